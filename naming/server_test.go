package naming_test

// Against a real Ollama v0.6.5 server with the generated random-weight
// Llama (papermap-llama), as scripts/ollama-test-server registers it.
// Skips unless OLLAMA_TEST_HOST is set; PAPERMAP_OLLAMA_TESTS=1 (as .ci/run
// sets it) turns the skip into a failure:
//
//	export $(scripts/ollama-test-server start)
//	go test -run Server ./naming/

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/internal/testharness/testmodel"
	"github.com/papermap/papermap/naming"
	"github.com/papermap/papermap/vectorstore"
)

func TestServerNames(t *testing.T) {
	host := testmodel.Server(t, "")
	// papermap-llama answers bytes of every kind, which sanitising leaves
	// nothing name-like of; papermap-llama-letters answers strings of
	// letters, which become names.
	for _, tc := range []struct {
		spec  testmodel.LlamaSpec
		named bool // whether the model's answers become names
	}{
		{testmodel.Llama, false},
		{testmodel.LlamaLetters, true},
	} {
		t.Run(tc.spec.Name, func(t *testing.T) {
			names := serverNames(t, host, tc.spec.Model)
			for i, nm := range names {
				if (nm.Model != "") != tc.named {
					t.Errorf("theme %d: %+v; want a name from the model: %v", i, nm, tc.named)
				}
			}
		})
	}
}

// serverNames names sampleThemes with model on host, checks the requests,
// the names and the cache, and returns the names.
func serverNames(t *testing.T, host, model string) []naming.Name {
	proxy := testmodel.NewRecordingProxy(t, host)
	g, err := ollama.NewGenerator(ollama.Options{Hosts: []string{proxy.URL}, Model: model})
	if err != nil {
		t.Fatal(err)
	}
	// The test model's answers are random bytes whatever their length, and
	// on a busy CPU each token can take a good part of a second.
	const numPredict = 8
	store, err := vectorstore.Open(t.Context(), t.TempDir(), vectorstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var w warnings
	n := &naming.Ollama{Generator: g, Cache: store, Warn: w.warn, Seed: 1, NumPredict: numPredict}
	themes := sampleThemes()

	names, err := n.Name(t.Context(), themes)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.msgs) != 0 {
		t.Errorf("warnings %q, want none", w.msgs)
	}
	reqs := proxy.Generates()
	if len(reqs) != len(themes) {
		t.Fatalf("%d /api/generate requests reached the server, want %d", len(reqs), len(themes))
	}
	for _, r := range reqs {
		if r.Model != model || r.Stream == nil || *r.Stream || r.Options["num_predict"] != float64(numPredict) ||
			r.Options["temperature"] != 0.0 || r.Options["seed"] != 1.0 || !strings.Contains(r.Prompt, "three words at most") {
			t.Errorf("request %+v", r)
		}
	}
	// Each name is the sanitised answer the server gives that prompt (the
	// same again: temperature 0 and a seed), or the keyword label when
	// nothing name-like is left of it.
	for i, nm := range names {
		k := slices.IndexFunc(reqs, func(r testmodel.GenerateRequest) bool {
			return i < 2 && strings.Contains(r.Prompt, themes[i].Docs[0][:6]) || i == 2 && strings.Contains(r.Prompt, "sub-topics")
		})
		if k < 0 {
			t.Fatalf("no request for theme %d", i)
		}
		raw, err := g.Generate(t.Context(), reqs[k].Prompt, ollama.Sampling{Seed: 1, NumPredict: numPredict})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("theme %d: server answered %q, name %q", i, raw, nm.Label)
		want := naming.Sanitize(raw)
		if want == "" {
			if nm.Label != themes[i].Label || nm.Model != "" {
				t.Errorf("theme %d: %+v, want the keyword label %q for answer %q", i, nm, themes[i].Label, raw)
			}
			continue
		}
		if nm.Label != want || nm.Model != model {
			t.Errorf("theme %d: %+v, want %q from %s", i, nm, want, model)
		}
		if utf8.RuneCountInString(nm.Label) > naming.MaxRunes || strings.ContainsFunc(nm.Label, func(r rune) bool {
			return unicode.IsControl(r) || strings.ContainsRune("*_#`<>\"{}$\\\n", r)
		}) {
			t.Errorf("theme %d: name %q is not sanitised", i, nm.Label)
		}
	}
	proxy.Generates()

	// The cache is in the store, with the model's digest, and used.
	data, err := store.ReadFile(naming.CacheFile)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := g.Digest(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), digest) || !strings.Contains(string(data), `"model": "`+model+`"`) {
		t.Errorf("cache does not name %s with digest %s:\n%s", model, digest, data)
	}
	again, err := n.Name(t.Context(), themes)
	if err != nil {
		t.Fatal(err)
	}
	if got := proxy.Generates(); len(got) != 0 {
		t.Errorf("second run sent %d /api/generate requests, want 0", len(got))
	}
	for i := range again {
		if again[i].Label != names[i].Label || !again[i].Cached {
			t.Errorf("theme %d: second run %+v, first %+v", i, again[i], names[i])
		}
	}
	return names
}

func TestServerEmbeddingModelFallsBack(t *testing.T) {
	// An embedding model cannot generate: the server refuses, and every
	// theme keeps its keyword label, with one message.
	host := testmodel.Server(t, "")
	g, err := ollama.NewGenerator(ollama.Options{Hosts: []string{host}, Model: testmodel.Tiny.Model})
	if err != nil {
		t.Fatal(err)
	}
	var w warnings
	n := &naming.Ollama{Generator: g, Warn: w.warn, NumPredict: 4}
	themes := sampleThemes()
	names, err := n.Name(t.Context(), themes)
	if err != nil {
		t.Fatal(err)
	}
	for i, nm := range names {
		if nm.Label != themes[i].Label {
			t.Errorf("theme %d: %q, want its keyword label", i, nm.Label)
		}
	}
	if len(w.msgs) != 1 || !strings.Contains(w.msgs[0], "3 of 3 themes keep their keyword labels") {
		t.Errorf("messages %q, want one saying 3 of 3 themes keep their keyword labels", w.msgs)
	}
	t.Logf("message: %s", w.msgs)
}
