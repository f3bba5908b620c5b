package naming_test

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/internal/testharness/fakegen"
	"github.com/papermap/papermap/naming"
)

// memFiles is a Files in memory.
type memFiles struct {
	mu     sync.Mutex
	files  map[string][]byte
	writes int
}

func newMemFiles() *memFiles { return &memFiles{files: map[string][]byte{}} }

func (m *memFiles) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.files[name]
	if !ok {
		return nil, fmt.Errorf("memfiles: %s: %w", name, fs.ErrNotExist)
	}
	return d, nil
}

func (m *memFiles) WriteFile(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[name] = append([]byte(nil), data...)
	m.writes++
	return nil
}

// warnings collects Warn messages.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) warn(msg string) {
	w.mu.Lock()
	w.msgs = append(w.msgs, msg)
	w.mu.Unlock()
}

// sampleThemes are two leaf themes and their parent.
func sampleThemes() []naming.ThemeText {
	return []naming.ThemeText{
		{
			Label:    "graph / vertex / edge",
			Keywords: []string{"graph", "vertex", "edge"},
			Docs:     []string{"Doc A1 about graphs", "Doc A2", "Doc A3", "Doc A4", "Doc A5 never sent"},
			Members:  []string{"p3", "p1", "p2"},
		},
		{
			Label:    "lattice / spin / ising",
			Keywords: []string{"lattice", "spin", "ising"},
			Docs:     []string{"Doc B1 about\nspins\tand lattices"},
			Members:  []string{"p4", "p5"},
		},
		{
			Label:    "graph / lattice",
			Keywords: []string{"graph", "lattice"},
			Children: []int{0, 1},
			Members:  []string{"p1", "p2", "p3", "p4", "p5"},
		},
	}
}

// answerByPrompt answers with a name made from the first document or
// sub-topic line of the prompt.
func answerByPrompt(r fakegen.Request) string {
	switch {
	case strings.Contains(r.Prompt, "Doc A1"):
		return "Graph Theory"
	case strings.Contains(r.Prompt, "Doc B1"):
		return "Topic: **Spin Models**"
	case strings.Contains(r.Prompt, "sub-topics"):
		return "Discrete Structures\nbecause both are about..."
	}
	return "Other"
}

func newNamer(t *testing.T, cache naming.Files, w *warnings, hosts ...string) *naming.Ollama {
	t.Helper()
	g, err := ollama.NewGenerator(ollama.Options{
		Hosts: hosts, Model: "llama", MaxRetries: 1,
		RetryDelay: time.Millisecond, MaxRetryDelay: 2 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := &naming.Ollama{Generator: g, Cache: cache, Seed: 3}
	if w != nil {
		n.Warn = w.warn
	}
	return n
}

func labels(names []naming.Name) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n.Label
	}
	return out
}

func TestOllamaNamesBottomUp(t *testing.T) {
	srv := fakegen.New(t, "llama", "sha256:1")
	srv.Answer(answerByPrompt)
	var w warnings
	n := newNamer(t, nil, &w, srv.URL)
	names, err := n.Name(t.Context(), sampleThemes())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Graph Theory", "Spin Models", "Discrete Structures"}
	if got := labels(names); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("names %q, want %q", got, want)
	}
	for _, nm := range names {
		if nm.Model != "llama" || nm.Cached {
			t.Errorf("name %+v: want model llama, not cached", nm)
		}
	}
	if len(w.msgs) != 0 {
		t.Errorf("warnings %q, want none", w.msgs)
	}

	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	// The parent is asked last, with its children's names.
	parent := reqs[2].Prompt
	for _, s := range []string{"sub-topics", "- Graph Theory\n- Spin Models", "keywords: graph, lattice", "three words at most"} {
		if !strings.Contains(parent, s) {
			t.Errorf("parent prompt lacks %q:\n%s", s, parent)
		}
	}
	var leafA, leafB string
	for _, r := range reqs[:2] {
		if strings.Contains(r.Prompt, "Doc A1") {
			leafA = r.Prompt
		} else {
			leafB = r.Prompt
		}
		if r.Model != "llama" || r.Stream == nil || *r.Stream ||
			r.Options["temperature"] != 0.0 || r.Options["seed"] != 3.0 || r.Options["num_predict"] != float64(naming.DefaultNumPredict) {
			t.Errorf("request options %v stream %v: want temperature 0, seed 3, num_predict %d, no streaming", r.Options, r.Stream, naming.DefaultNumPredict)
		}
	}
	// BERTopic's shape: four documents, the keywords, the request.
	for _, s := range []string{"following documents:\n- Doc A1 about graphs\n- Doc A2\n- Doc A3\n- Doc A4\n", "keywords: graph, vertex, edge", "a short topic label, three words at most"} {
		if !strings.Contains(leafA, s) {
			t.Errorf("leaf prompt lacks %q:\n%s", s, leafA)
		}
	}
	if strings.Contains(leafA, "A5") {
		t.Errorf("leaf prompt has a fifth document:\n%s", leafA)
	}
	if !strings.Contains(leafB, "- Doc B1 about spins and lattices\n") {
		t.Errorf("document white space not collapsed to one line:\n%s", leafB)
	}
}

func TestOllamaCache(t *testing.T) {
	srv := fakegen.New(t, "llama", "sha256:1")
	srv.Answer(answerByPrompt)
	files := newMemFiles()
	n := newNamer(t, files, nil, srv.URL)
	themes := sampleThemes()
	first, err := n.Name(t.Context(), themes)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Requests()); got != 3 {
		t.Fatalf("first run: %d requests, want 3", got)
	}
	cache := string(files.files[naming.CacheFile])
	for _, s := range []string{`"model": "llama"`, `"digest": "sha256:1"`, `"prompt": "`, `"label": "Spin Models"`} {
		if !strings.Contains(cache, s) {
			t.Errorf("cache lacks %s:\n%s", s, cache)
		}
	}

	// Same themes (members in another order): nothing asked, same names.
	themes[0].Members = []string{"p1", "p2", "p3"}
	second, err := n.Name(t.Context(), themes)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("second run: %d requests, want 0", got)
	}
	if strings.Join(labels(second), "|") != strings.Join(labels(first), "|") {
		t.Errorf("second run names %q, first %q", labels(second), labels(first))
	}
	for _, nm := range second {
		if !nm.Cached {
			t.Errorf("second run: %+v not from the cache", nm)
		}
	}
	if files.writes != 1 {
		t.Errorf("cache written %d times, want once (nothing changed in the second run)", files.writes)
	}

	// A theme that changes is asked again, and so is its parent; the
	// other theme is not.
	themes[1].Members = append(themes[1].Members, "p6")
	if _, err := n.Name(t.Context(), themes); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 || !strings.Contains(reqs[0].Prompt, "Doc B1") || !strings.Contains(reqs[1].Prompt, "sub-topics") {
		t.Errorf("after a change: %d requests, want theme 1 then its parent", len(reqs))
	}

	// A new version of the model (another digest) invalidates every name.
	srv.SetDigest("llama", "sha256:2")
	if _, err := n.Name(t.Context(), themes); err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Requests()); got != 3 {
		t.Errorf("after the model changed: %d requests, want 3", got)
	}
}

func TestOllamaGarbageFallsBack(t *testing.T) {
	srv := fakegen.New(t, "llama", "sha256:1")
	// What the random-weight test model answers: bytes, not words.
	srv.Answer(func(fakegen.Request) string { return "L]*\x05\x11 \u200b$" })
	files := newMemFiles()
	n := newNamer(t, files, nil, srv.URL)
	themes := sampleThemes()
	names, err := n.Name(t.Context(), themes)
	if err != nil {
		t.Fatal(err)
	}
	for i, nm := range names {
		if nm.Label != themes[i].Label || nm.Model != "" {
			t.Errorf("theme %d: %+v, want the keyword label %q", i, nm, themes[i].Label)
		}
	}
	srv.Requests()
	// The empty answer is cached too: the same prompt would get it again.
	if _, err := n.Name(t.Context(), themes); err != nil {
		t.Fatal(err)
	}
	if got := len(srv.Requests()); got != 0 {
		t.Errorf("second run: %d requests, want 0", got)
	}
}

// closedPortURL returns the URL of a port nothing listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

func TestOllamaFallback(t *testing.T) {
	missing := fakegen.New(t, "other", "sha256:1")
	failing := fakegen.New(t, "llama", "sha256:1")
	// The first request is answered; then the model stops working.
	failing.Fail(func(n int) int {
		if n == 1 {
			return 0
		}
		return http.StatusBadRequest
	})
	for _, tc := range []struct {
		name       string
		host       string
		concurrent bool
		want       []string // in the one message
		named      int      // themes with a model's name
	}{
		{"server down", closedPortURL(t), false, []string{"cannot reach Ollama", "ollama serve", "all 3 themes keep their keyword labels"}, 0},
		{"model missing", missing.URL, false, []string{"ollama pull llama", "all 3 themes keep their keyword labels"}, 0},
		{"model fails", failing.URL, false, []string{"400", "2 of 3 themes keep their keyword labels"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w warnings
			n := newNamer(t, newMemFiles(), &w, tc.host)
			themes := sampleThemes()
			names, err := n.Name(t.Context(), themes)
			if err != nil {
				t.Fatal(err)
			}
			named := 0
			for i, nm := range names {
				if nm.Model != "" {
					named++
				} else if nm.Label != themes[i].Label {
					t.Errorf("theme %d: %q, want its keyword label %q", i, nm.Label, themes[i].Label)
				}
			}
			if named != tc.named {
				t.Errorf("%d themes named by the model, want %d", named, tc.named)
			}
			if len(w.msgs) != 1 {
				t.Fatalf("%d messages, want exactly 1: %q", len(w.msgs), w.msgs)
			}
			for _, s := range tc.want {
				if !strings.Contains(w.msgs[0], s) {
					t.Errorf("message %q lacks %q", w.msgs[0], s)
				}
			}
		})
	}
}

func TestOllamaContextEnds(t *testing.T) {
	srv := fakegen.New(t, "llama", "sha256:1")
	n := newNamer(t, nil, nil, srv.URL)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := n.Name(ctx, sampleThemes()); err == nil {
		t.Error("Name with an ended context: no error")
	}
}

func TestKeywords(t *testing.T) {
	names, err := naming.Keywords{}.Name(t.Context(), sampleThemes())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(labels(names), "|"); got != "graph / vertex / edge|lattice / spin / ising|graph / lattice" {
		t.Errorf("Keywords names %q", got)
	}
}

func TestFingerprints(t *testing.T) {
	a := naming.Fingerprints(sampleThemes())
	th := sampleThemes()
	th[0].Members = []string{"p2", "p3", "p1"}
	if b := naming.Fingerprints(th); b[0] != a[0] || b[2] != a[2] {
		t.Error("member order changed the fingerprint")
	}
	th[0].Keywords = []string{"graph", "edge", "vertex"}
	b := naming.Fingerprints(th)
	if b[0] == a[0] || b[1] != a[1] {
		t.Error("keywords of theme 0 changed: want theme 0's fingerprint changed, theme 1's not")
	}
	if b[2] == a[2] {
		t.Error("a child changed but its parent's fingerprint did not")
	}
}

func TestCyclePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(fmt.Sprint(r), "naming: ") {
			t.Errorf("recovered %v, want a naming: panic", r)
		}
	}()
	naming.Fingerprints([]naming.ThemeText{{Children: []int{1}}, {Children: []int{0}}})
}

func TestOllamaDistinctSiblings(t *testing.T) {
	srv := fakegen.New(t, "llama", "sha256:1")
	srv.Answer(func(r fakegen.Request) string {
		if strings.Contains(r.Prompt, "sub-topics") {
			return "Physics"
		}
		return "Physics" // both leaves too: siblings with one name
	})
	n := newNamer(t, nil, nil, srv.URL)
	names, err := n.Name(t.Context(), sampleThemes())
	if err != nil {
		t.Fatal(err)
	}
	// The second leaf gets its first keyword; the parent has no sibling.
	want := []string{"Physics", "Physics (lattice)", "Physics"}
	if got := labels(names); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("names %q, want %q", got, want)
	}
	// The parent was asked with the names its children ended up with.
	if reqs := srv.Requests(); len(reqs) != 3 || !strings.Contains(reqs[2].Prompt, "- Physics\n- Physics (lattice)\n") {
		t.Errorf("parent not asked with its children's final names")
	}
}
