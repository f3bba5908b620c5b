package main

// End-to-end tests of papermap against real Ollama servers running the
// papermap-tiny test model (32 dimensions, a context of 128 positions).
// They skip unless OLLAMA_TEST_HOST is set, as scripts/ollama-test-server
// prints it; with PAPERMAP_OLLAMA_TESTS=1 (as CI sets it) a missing server
// fails them instead:
//
//	export $(scripts/ollama-test-server start)
//	go test -run OllamaServer ./cmd/papermap/
//
// The kill-and-restart and two-host tests start servers of their own with
// the script (in a temporary state directory, so that nobody else's
// servers are touched) and stop them at the end.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/internal/testharness/testmodel"
	"github.com/papermap/papermap/paper"
)

const (
	// tinyModel is the test model the tests embed with.
	tinyModel = "papermap-tiny"
	// tinyDims and tinyContext are its vector length and its context in
	// positions, [CLS] and [SEP] included (internal/testharness/testmodel.Tiny).
	tinyDims    = 32
	tinyContext = 128
	// ollamaArxivFile holds 2,000 arXiv papers, one JSON object a line.
	ollamaArxivFile = "../../testdata/arxiv-2007-04-2000.jsonl"
	// ollamaServerScript starts and stops test servers.
	ollamaServerScript = "../../scripts/ollama-test-server"
)

// ollamaTestServer returns the URL of the test server called name ("" for
// the default one) from OLLAMA_TEST_HOST (OLLAMA_TEST_HOST_B for "b", ...).
// It skips the test when the variable is unset, unless
// PAPERMAP_OLLAMA_TESTS=1, and fails it when the server does not answer.
func ollamaTestServer(t *testing.T, name string) string {
	t.Helper()
	u, ok := testmodel.Host(name)
	if !ok {
		env := testmodel.HostEnv(name)
		if os.Getenv("PAPERMAP_OLLAMA_TESTS") == "1" {
			t.Fatalf("PAPERMAP_OLLAMA_TESTS=1 but %s is not set: start the server with `export $(scripts/ollama-test-server start)`", env)
		}
		t.Skipf("%s is not set: run `export $(scripts/ollama-test-server start)` for tests against a real Ollama server", env)
	}
	testmodel.Client(t, name) // fails the test if the server does not answer
	return u.String()
}

// ownServer is a test server started by the test itself.
type ownServer struct {
	name  string
	url   string
	state string // PAPERMAP_OLLAMA_STATE of the script
}

// startOllamaServer starts a server of the test's own with
// scripts/ollama-test-server (which registers the test models on it) in
// a temporary state directory, and stops it when the test ends.
func startOllamaServer(t *testing.T, name string) *ownServer {
	t.Helper()
	ollamaTestServer(t, "") // the same skip policy as the other tests
	s := &ownServer{name: name, state: t.TempDir()}
	start := time.Now()
	out, err := s.script("start", "--name", name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := s.script("stop", "--name", name); err != nil {
			t.Errorf("stopping server %s: %v", name, err)
		}
	})
	_, s.url, _ = strings.Cut(strings.TrimSpace(out), "=")
	if !strings.HasPrefix(s.url, "http://") {
		t.Fatalf("ollama-test-server start printed %q, want VAR=URL", out)
	}
	t.Logf("server %s at %s, started in %v", name, s.url, time.Since(start).Round(time.Millisecond))
	return s
}

// script runs scripts/ollama-test-server with args on s's state directory
// and returns its standard output.
func (s *ownServer) script(args ...string) (string, error) {
	cmd := exec.Command(ollamaServerScript, args...)
	cmd.Env = append(os.Environ(), "PAPERMAP_OLLAMA_STATE="+s.state)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("ollama-test-server %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), err
}

// embedsSinceStart counts the /api/embed requests the server answered
// since it was last started, from its log.
func (s *ownServer) embedsSinceStart(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.state, s.name, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	if i := strings.LastIndex(log, "\n=== "); i >= 0 {
		log = log[i:]
	}
	return strings.Count(log, `"/api/embed"`)
}

// batches returns the inputs of the /api/embed requests p recorded so far,
// leaving out the probe New sends to every host, and forgets them.
func batches(p *testmodel.RecordingProxy) [][]string {
	var out [][]string
	for _, r := range p.Requests() {
		if len(r.Input) == 1 && strings.HasPrefix(r.Input[0], "papermap probe:") {
			continue
		}
		out = append(out, r.Input)
	}
	return out
}

// documentTexts returns the papers of file by ID, and the texts papermap
// embeds for them (title and abstract), in file order.
func documentTexts(t *testing.T, file string) (ids []string, texts map[string]string) {
	t.Helper()
	ps, _, err := paper.ReadFile(file, paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	texts = make(map[string]string, len(ps))
	for _, p := range ps {
		ids = append(ids, p.ID)
		texts[p.ID] = p.Text()
	}
	return ids, texts
}

// ingestOllama runs `papermap ingest` with the tiny model on hosts and
// returns its stderr.
func ingestOllama(t *testing.T, store, hosts string, extra ...string) string {
	t.Helper()
	args := append([]string{"ingest", "--quiet", "--store", store, "--embedder", "ollama", "--model", tinyModel, "--ollama-host", hosts}, extra...)
	out, errs, code := run(t, "", args...)
	if code != 0 {
		t.Fatalf("papermap %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return errs
}

type ollamaInfo struct {
	Papers     int    `json:"papers"`
	Embedder   string `json:"embedder"`
	Model      string `json:"model"`
	Dimensions int    `json:"dimensions"`
}

// storedVectors returns the vector of every paper in store, through the
// library, read-only.
func storedVectors(t *testing.T, store string) map[string][]float32 {
	t.Helper()
	c, err := corpus.Open(t.Context(), store, corpus.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	out := map[string][]float32{}
	for _, id := range c.Store().IDs() {
		r, ok := c.Store().Get(id)
		if !ok {
			t.Fatalf("store %s lists %s but has no record of it", store, id)
		}
		out[id] = r.Embedding
	}
	return out
}

func vecMaxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func TestOllamaServerIngestSeed(t *testing.T) {
	host := ollamaTestServer(t, "")
	store := filepath.Join(t.TempDir(), "store")
	errs := ingestOllama(t, store, host, seedFile)
	// Seed abstracts are longer than tiny's context: the cut is reported,
	// once per ingest step (of up to 256 papers).
	if n := strings.Count(errs, "to fit the context"); n != 1 {
		t.Errorf("%d notices of cut texts, want 1:\n%s", n, errs)
	}
	info := decode[ollamaInfo](t, mustRun(t, "info", "--store", store, "--json"))
	if info != (ollamaInfo{Papers: 66, Embedder: "ollama", Model: tinyModel, Dimensions: tinyDims}) {
		t.Errorf("info = %+v, want 66 papers, ollama, %s, %d dimensions", info, tinyModel, tinyDims)
	}
	ids, texts := documentTexts(t, seedFile)

	t.Run("rerun is a no-op", func(t *testing.T) {
		out, errs, code := run(t, "", "ingest", "--quiet", "--store", store, "--ollama-host", host, seedFile)
		if code != 0 || !strings.Contains(out, "(0 added, 0 updated, 66 unchanged)") {
			t.Errorf("exit %d, summary %q, want 66 unchanged\n%s", code, out, errs)
		}
	})
	t.Run("search", func(t *testing.T) {
		// A paper's own text as the query has the paper's own vector
		// (the tiny model has no task prefixes): it comes first, with a
		// cosine of 1 within float32 rounding.
		for _, id := range ids[:3] {
			got := decode[results](t, mustRun(t, "search", "--store", store, "--ollama-host", host, "--json", texts[id]))
			if len(got.Results) != 10 {
				t.Fatalf("%d results, want the default 10", len(got.Results))
			}
			if got.Results[0].ID != id || math.Abs(got.Results[0].Score-1) > 1e-5 {
				t.Errorf("query with the text of %s: first %s with score %v, want %s with 1", id, got.Results[0].ID, got.Results[0].Score, id)
			}
			for i := 1; i < len(got.Results); i++ {
				if got.Results[i].Score > got.Results[i-1].Score {
					t.Errorf("results not best first at %d", i)
				}
			}
		}
	})
	t.Run("search at the remembered host", func(t *testing.T) {
		// The test server is not at the default address: without
		// --ollama-host (and OLLAMA_HOST unset), search must find it
		// through the hosts the store remembers from its ingest.
		if os.Getenv(ollama.HostEnv) != "" {
			t.Skipf("%s is set, and overrides the remembered host", ollama.HostEnv)
		}
		id := ids[0]
		got := decode[results](t, mustRun(t, "search", "--store", store, "--json", texts[id]))
		if len(got.Results) == 0 || got.Results[0].ID != id {
			t.Errorf("query with the text of %s without --ollama-host: %+v, want %s first", id, got.Results, id)
		}
	})
	t.Run("similar", func(t *testing.T) {
		for _, id := range ids[:8] {
			got := decode[results](t, mustRun(t, "similar", "--store", store, "--json", "-k", "65", id))
			if len(got.Results) != 65 {
				t.Errorf("similar %s: %d results, want 65 (every other paper)", id, len(got.Results))
			}
			for _, r := range got.Results {
				if r.ID == id {
					t.Errorf("similar %s returned the paper itself", id)
				}
			}
		}
	})
	t.Run("themes", func(t *testing.T) {
		got := decode[struct {
			K      int `json:"k"`
			Themes []struct {
				ID      int      `json:"id"`
				Size    int      `json:"size"`
				Members []string `json:"members"`
			} `json:"themes"`
		}](t, mustRun(t, "themes", "--store", store, "--json", "--k", "4"))
		if got.K != 4 || len(got.Themes) != 4 {
			t.Fatalf("k = %d with %d themes, want 4", got.K, len(got.Themes))
		}
		seen := map[string]int{}
		for _, th := range got.Themes {
			if th.Size != len(th.Members) || th.Size == 0 {
				t.Errorf("theme %d: size %d, %d members", th.ID, th.Size, len(th.Members))
			}
			for _, id := range th.Members {
				seen[id]++
			}
		}
		for _, id := range ids {
			if seen[id] != 1 {
				t.Errorf("paper %s is in %d themes, want 1", id, seen[id])
			}
		}
		if len(seen) != len(ids) {
			t.Errorf("%d distinct papers in themes, want %d", len(seen), len(ids))
		}
	})
}

func TestOllamaServerBatchesOnTheWire(t *testing.T) {
	host := ollamaTestServer(t, "")
	proxy := testmodel.NewRecordingProxy(t, host)
	ids, texts := documentTexts(t, seedFile)
	for _, tc := range []struct {
		name  string
		flags []string
		size  int
	}{
		{"default batch size", nil, 16},
		{"batch size 5", []string{"--batch-size", "5"}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ingestOllama(t, filepath.Join(t.TempDir(), "store"), proxy.URL, append(tc.flags, seedFile)...)
			batches := batches(proxy)
			sent := 0
			for _, b := range batches {
				if len(b) == 0 || len(b) > tc.size {
					t.Errorf("a batch of %d texts, want 1 to %d", len(b), tc.size)
				}
				for _, in := range b {
					// No prefix (papermap-tiny has none), and the text
					// itself or its first part, cut to the context.
					if !slices.ContainsFunc(ids, func(id string) bool { return strings.HasPrefix(texts[id], in) }) {
						t.Errorf("sent %q, which begins no paper's text", in)
					}
				}
				sent += len(b)
			}
			if want := (66 + tc.size - 1) / tc.size; len(batches) != want || sent != 66 {
				t.Errorf("%d batches with %d texts, want %d with 66", len(batches), sent, want)
			}
		})
	}
}

func TestOllamaServerLongAbstract(t *testing.T) {
	// An abstract of about 1,500 tokens (tiny reads 126 of a text's own):
	// stored, with the cut reported.
	host := ollamaTestServer(t, "")
	dir := t.TempDir()
	long := strings.Repeat("We study graph neural networks for protein folding and report results on three benchmarks. ", 100)
	file := filepath.Join(dir, "long.jsonl")
	if err := os.WriteFile(file, fmt.Appendf(nil, `{"id": "long-1", "title": "A long abstract", "abstract": %q}`+"\n", long), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "store")
	errs := ingestOllama(t, store, host, file)
	if !strings.Contains(errs, "cut 1 of 1 texts") || !strings.Contains(errs, fmt.Sprintf("reads %d tokens", tinyContext)) {
		t.Errorf("stderr does not report the cut to %d tokens:\n%s", tinyContext, errs)
	}
	if strings.Contains(errs, "cut in half") {
		t.Errorf("the model runner crashed or refused the text:\n%s", errs)
	}
	if info := decode[ollamaInfo](t, mustRun(t, "info", "--store", store, "--json")); info.Papers != 1 {
		t.Errorf("info = %+v, want 1 paper", info)
	}
}

func TestOllamaServerMissingModel(t *testing.T) {
	host := ollamaTestServer(t, "")
	store := filepath.Join(t.TempDir(), "store")
	_, errs, code := run(t, "", "ingest", "--quiet", "--store", store, "--embedder", "ollama",
		"--model", "papermap-no-such-model", "--ollama-host", host, seedFile)
	if code != 1 || !strings.Contains(errs, "ollama pull papermap-no-such-model") {
		t.Errorf("exit %d, stderr %q; want exit 1 and the advice `ollama pull papermap-no-such-model`", code, errs)
	}
}

// headLines writes the first n lines of src to a new file and returns its
// name.
func headLines(t *testing.T, src string, n int) string {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var b bytes.Buffer
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<20)
	for i := 0; i < n && sc.Scan(); i++ {
		b.Write(sc.Bytes())
		b.WriteByte('\n')
	}
	name := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

type ollamaIngestSummary struct {
	Complete  bool `json:"complete"`
	Read      int  `json:"read"`
	Ingested  int  `json:"ingested"`
	Added     int  `json:"added"`
	Unchanged int  `json:"unchanged"`
}

// kill9 kills s's server with SIGKILL, as a crash would, without starting
// it again: its process group (the server and its model runners, which
// the script starts with setsid) by the PID in the script's state file.
func (s *ownServer) kill9(t *testing.T) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.state, s.name, "state"))
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PID="); ok {
			pid, _ = strconv.Atoi(v)
		}
	}
	if pid <= 1 {
		t.Fatalf("no PID in the state of server %s:\n%s", s.name, data)
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 -%d: %v", pid, err)
	}
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(20 * time.Millisecond) // until the zombie is reaped by its parent shell
	}
}

func TestOllamaServerKillAndRestart(t *testing.T) {
	// The papermap binary ingests papers into a store; the server is
	// killed with SIGKILL in the middle, and the ingest is rerun until it
	// completes. Twice: 500 papers (two steps of 256 and 244), the server
	// killed once the first step is stored and started again at once
	// (scripts/ollama-test-server restart); then 100 more, the server
	// killed after a few requests and left down longer than the embedder's
	// retries last (about 8 s) before it is started again. In the end every
	// paper is stored exactly once, with the vector the server gives its
	// text.
	srv := startOllamaServer(t, "killtest")
	bin := papermapBinary(t) // built once per test run (crash_test.go)
	all := headLines(t, ollamaArxivFile, 600)
	ids, texts := documentTexts(t, all)
	if len(ids) != 600 {
		t.Fatalf("%d papers in the first 600 lines of %s", len(ids), ollamaArxivFile)
	}
	store := filepath.Join(t.TempDir(), "store")
	stored := func() int {
		c, err := corpus.Open(t.Context(), store, corpus.Options{ReadOnly: true})
		if err != nil {
			return 0 // not created yet
		}
		defer c.Close()
		return c.Len()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()

	for _, tc := range []struct {
		name string
		n    int
		// when says, given the papers stored and the requests the server
		// answered since this step began, that it is time to kill.
		when func(stored, requests int) bool
		kill func()
		// mustFail: the first run cannot survive (the server is down
		// longer than the embedder retries).
		mustFail bool
	}{
		{"restarted at once", 500, func(stored, _ int) bool { return stored >= 256 }, func() {
			if _, err := srv.script("restart", srv.name); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"down for 12 s", 100, func(_, requests int) bool { return requests >= 3 }, func() {
			srv.kill9(t)
			time.Sleep(12 * time.Second)
			if _, err := srv.script("start", "--name", srv.name); err != nil {
				t.Fatal(err)
			}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.n
			base := stored()
			requests0 := srv.embedsSinceStart(t)
			input := headLines(t, all, base+n)
			ingest := func() (ollamaIngestSummary, string, error) {
				cmd := exec.CommandContext(ctx, bin, "ingest", "--quiet", "--json", "--store", store,
					"--embedder", "ollama", "--model", tinyModel, "--ollama-host", srv.url, input)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var res ollamaIngestSummary
				if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil && err == nil {
					err = fmt.Errorf("summary is not JSON: %v\n%s", jerr, stdout.String())
				}
				return res, stderr.String(), err
			}
			type result struct {
				res    ollamaIngestSummary
				stderr string
				err    error
			}
			first := make(chan result, 1)
			go func() {
				res, stderr, err := ingest()
				first <- result{res, stderr, err}
			}()

			// Kill once the first step is stored, while the second is
			// embedded.
			var r result
			killed := false
			for done := false; !done; {
				select {
				case r = <-first:
					done = true
				case <-time.After(50 * time.Millisecond):
					if killed {
						continue
					}
					if k := stored(); tc.when(k-base, srv.embedsSinceStart(t)-requests0) {
						start := time.Now()
						tc.kill()
						killed = true
						t.Logf("server killed with %d papers stored, answering again %v later", k, time.Since(start).Round(time.Millisecond))
					}
				}
			}
			if !killed {
				t.Fatalf("the ingest ended before the server could be killed: %+v, %v\n%s", r.res, r.err, r.stderr)
			}
			// Requests the started-again server answered before any
			// rerun: the first run lost its server mid-ingest and went
			// on with the new one.
			after := srv.embedsSinceStart(t)
			survived := r.err == nil && r.res.Complete
			t.Logf("first run survived: %v (%d papers stored, %d requests to the new server; error %v)\n%s",
				survived, r.res.Ingested, after, r.err, tailLines(r.stderr, 2))
			switch {
			case survived && after == 0:
				t.Errorf("the first run completed without a request to the new server: the kill came too late to test anything")
			case survived && tc.mustFail:
				t.Errorf("the first run survived a server down for longer than its retries")
			case !survived && !strings.Contains(r.stderr, "stored in") && !strings.Contains(r.stderr, "cannot reach Ollama"):
				t.Errorf("the failed run did not say why:\n%s", r.stderr)
			}
			if !survived {
				// What was embedded before the server went away is
				// kept: the rerun embeds only the rest.
				kept := stored() - base
				t.Logf("the failed run kept %d papers", kept)
				if kept == 0 {
					t.Errorf("the failed run kept none of the papers embedded before the server went away (%d requests answered)", srv.embedsSinceStart(t)-requests0)
				}
				if !strings.Contains(r.stderr, fmt.Sprintf("stopped: %d of %d papers are stored in", base+kept, base+n)) {
					t.Errorf("the failed run did not say how many papers it stored:\n%s", r.stderr)
				}
			}

			// Rerun until it completes; each rerun stores only what is
			// missing.
			for attempt := 1; !r.res.Complete; attempt++ {
				if attempt > 3 {
					t.Fatalf("the ingest did not complete in 3 reruns: %v\n%s", r.err, r.stderr)
				}
				before := stored()
				r.res, r.stderr, r.err = ingest()
				t.Logf("rerun %d: %+v, error %v", attempt, r.res, r.err)
				if r.res.Complete && (r.res.Added != base+n-before || r.res.Unchanged != before) {
					t.Errorf("rerun added %d and found %d unchanged, want %d and %d", r.res.Added, r.res.Unchanged, base+n-before, before)
				}
			}

			info := decode[ollamaInfo](t, mustRun(t, "info", "--store", store, "--json"))
			if info.Papers != base+n {
				t.Errorf("info counts %d papers, want %d", info.Papers, base+n)
			}
			c, err := corpus.Open(t.Context(), store, corpus.Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			stIDs := c.Store().IDs()
			c.Close()
			seen := map[string]int{}
			for _, id := range stIDs {
				seen[id]++
			}
			for _, id := range ids[:base+n] {
				if seen[id] != 1 {
					t.Errorf("paper %s is stored %d times, want once", id, seen[id])
				}
			}
			if len(stIDs) != base+n {
				t.Errorf("the store lists %d IDs, want %d", len(stIDs), base+n)
			}
		})
	}

	// The vectors are those of the papers' own texts (none mixed up by
	// the retries): checked on every 25th paper against the server.
	vecs := storedVectors(t, store)
	o, err := ollama.New(t.Context(), ollama.Options{Hosts: []string{srv.url}, Model: tinyModel})
	if err != nil {
		t.Fatal(err)
	}
	var sample, in []string
	for i := 0; i < len(ids); i += 25 {
		sample = append(sample, ids[i])
		in = append(in, texts[ids[i]])
	}
	want, err := o.Embed(t.Context(), in, embed.Document)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range sample {
		if d := vecMaxDiff(vecs[id], want[i]); d > 1e-6 {
			t.Errorf("paper %s: stored vector differs by %g from its text's", id, d)
		}
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func TestOllamaServerTwoHosts(t *testing.T) {
	// The seed corpus through two servers (behind recording proxies) in
	// batches of 4: both get work, and the vectors are those one server
	// gives.
	a := ollamaTestServer(t, "")
	var bURL string
	if _, ok := testmodel.Host("b"); ok {
		bURL = ollamaTestServer(t, "b")
	} else {
		bURL = startOllamaServer(t, "b").url
	}
	one := filepath.Join(t.TempDir(), "one")
	ingestOllama(t, one, a, "--batch-size", "4", seedFile)

	pa, pb := testmodel.NewRecordingProxy(t, a), testmodel.NewRecordingProxy(t, bURL)
	two := filepath.Join(t.TempDir(), "two")
	ingestOllama(t, two, pa.URL+","+pb.URL, "--batch-size", "4", seedFile)
	ba, bb := batches(pa), batches(pb)
	t.Logf("batches: %d on the first host, %d on the second", len(ba), len(bb))
	if len(ba) == 0 || len(bb) == 0 {
		t.Errorf("batches: %d on the first host, %d on the second; want both to work", len(ba), len(bb))
	}
	if got := len(ba) + len(bb); got != 17 {
		t.Errorf("%d batches in all, want 17 (66 papers by 4)", got)
	}

	v1, v2 := storedVectors(t, one), storedVectors(t, two)
	if len(v1) != 66 || len(v2) != 66 {
		t.Fatalf("%d and %d papers stored, want 66 each", len(v1), len(v2))
	}
	worst := 0.0
	for id, v := range v1 {
		worst = max(worst, vecMaxDiff(v, v2[id]))
	}
	// Both servers run the same binary on the same model bytes, and
	// Ollama 0.6.5 embeds each text alone: equal to float32 rounding.
	if worst > 1e-6 {
		t.Errorf("vectors from two hosts differ from one host's by up to %g", worst)
	}
	t.Logf("largest difference between one-host and two-host vectors: %g", worst)
}
