package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// seedFile is the 66-paper seed corpus (a saved trending-papers page).
const seedFile = "../../testdata/seed-abstracts.txt"

// run runs papermap in-process with the given stdin and returns its output
// and exit code. OLLAMA_HOST is unset through Getenv, and the lexical
// embedder is chosen explicitly where it matters, so tests never depend on a
// server being around.
func run(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code = m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

// mustRun runs papermap and fails the test on a non-zero exit.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, code := run(t, "", args...)
	if code != 0 {
		t.Fatalf("papermap %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// seedStore ingests the seed corpus with the lexical embedder into a new
// store and returns its directory.
func seedStore(t *testing.T) string {
	t.Helper()
	store := filepath.Join(t.TempDir(), "store")
	mustRun(t, "ingest", "--quiet", "--store", store, "--embedder", "lexical", seedFile)
	return store
}

type results struct {
	Results []struct {
		ID    string  `json:"id"`
		Title string  `json:"title"`
		Score float64 `json:"score"`
	} `json:"results"`
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, s)
	}
	return v
}

func TestIngestSeed(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	out := mustRun(t, "ingest", "--quiet", "--store", store, "--embedder", "lexical", seedFile)
	if !strings.HasPrefix(out, "ingested 66, skipped 0 (66 added") {
		t.Errorf("summary = %q, want it to start with %q", out, "ingested 66, skipped 0 (66 added")
	}
	info := decode[struct {
		Papers     int    `json:"papers"`
		Embedder   string `json:"embedder"`
		Model      string `json:"model"`
		Dimensions int    `json:"dimensions"`
	}](t, mustRun(t, "info", "--store", store, "--json"))
	if info.Papers != 66 || info.Embedder != "lexical" || info.Dimensions <= 0 || info.Model == "" {
		t.Errorf("info = %+v, want 66 lexical papers with a model and dimensions", info)
	}

	t.Run("rerun is a no-op", func(t *testing.T) {
		out := mustRun(t, "ingest", "--quiet", "--store", store, seedFile)
		if !strings.Contains(out, "(0 added, 0 updated, 66 unchanged)") {
			t.Errorf("second ingest summary = %q, want 66 unchanged", out)
		}
	})
	t.Run("titles free of page debris", func(t *testing.T) {
		got := decode[results](t, mustRun(t, "search", "--store", store, "--json", "-k", "66", "LoFTR semi-dense local feature matching"))
		if len(got.Results) == 0 {
			t.Fatal("no results")
		}
		if want := "Efficient LoFTR: Semi-Dense Local Feature Matching with Sparse-Like Speed"; got.Results[0].Title != want {
			t.Errorf("top title = %q, want %q", got.Results[0].Title, want)
		}
		for _, r := range got.Results {
			if strings.Contains(r.Title, "Subscribe") {
				t.Errorf("title with page debris: %q", r.Title)
			}
		}
	})
}

func TestSearchControlVariates(t *testing.T) {
	store := seedStore(t)
	got := decode[results](t, mustRun(t, "search", "--store", store, "--json", "control variates for variance reduction"))
	if len(got.Results) != 10 {
		t.Fatalf("got %d results, want the default 10", len(got.Results))
	}
	// The seed corpus has three papers on control variates; they must
	// come first.
	var top []string
	for _, r := range got.Results[:3] {
		top = append(top, r.Title)
		if !strings.Contains(r.Title, "Control Variates") {
			t.Errorf("top-3 result %q is not a control-variates paper", r.Title)
		}
	}
	for i := 1; i < len(got.Results); i++ {
		if got.Results[i].Score > got.Results[i-1].Score {
			t.Errorf("results not best first at %d: %v > %v", i, got.Results[i].Score, got.Results[i-1].Score)
		}
	}
	t.Logf("top 3: %q", top)
}

// TestSearchModes: every mode ranks the control-variates papers first,
// and the sparse score is the TF-IDF cosine (0 < s ≤ 1).
func TestSearchModes(t *testing.T) {
	store := seedStore(t)
	for _, mode := range []string{"dense", "sparse", "hybrid"} {
		got := decode[results](t, mustRun(t, "search", "--store", store, "--mode", mode, "-k", "3", "--json", "control variates for variance reduction"))
		if len(got.Results) != 3 {
			t.Fatalf("%s: %d results, want 3", mode, len(got.Results))
		}
		for _, r := range got.Results {
			if !strings.Contains(r.Title, "Control Variates") || r.Score <= 0 || r.Score > 1.0001 {
				t.Errorf("%s: result %q with score %v, want a control-variates paper scored in (0, 1]", mode, r.Title, r.Score)
			}
		}
	}
}

func TestSimilarNeverReturnsItself(t *testing.T) {
	store := seedStore(t)
	all := decode[results](t, mustRun(t, "search", "--store", store, "--json", "-k", "66", "image generation"))
	if len(all.Results) == 0 {
		t.Fatal("no papers")
	}
	for _, p := range all.Results[:10] {
		got := decode[results](t, mustRun(t, "similar", "--store", store, "--json", "-k", "65", p.ID))
		if len(got.Results) != 65 {
			t.Errorf("similar %s: %d results, want 65 (every other paper)", p.ID, len(got.Results))
		}
		for _, r := range got.Results {
			if r.ID == p.ID {
				t.Errorf("similar %s returned the paper itself", p.ID)
			}
		}
	}
	_, errs, code := run(t, "", "similar", "--store", store, "no-such-id")
	if code != 1 || !strings.Contains(errs, `no paper with id "no-such-id"`) {
		t.Errorf("unknown id: exit %d, stderr %q", code, errs)
	}
}

func TestThemesExactK(t *testing.T) {
	store := seedStore(t)
	for _, k := range []int{1, 5, 9} {
		t.Run("k="+strconv.Itoa(k), func(t *testing.T) {
			got := decode[struct {
				K      int `json:"k"`
				Themes []struct {
					ID       int      `json:"id"`
					Label    string   `json:"label"`
					Keywords []string `json:"keywords"`
					Size     int      `json:"size"`
					Members  []string `json:"members"`
				} `json:"themes"`
			}](t, mustRun(t, "themes", "--store", store, "--json", "--k", strconv.Itoa(k)))
			if got.K != k || len(got.Themes) != k {
				t.Fatalf("k = %d with %d themes, want %d", got.K, len(got.Themes), k)
			}
			seen := map[string]int{}
			for _, th := range got.Themes {
				if th.Size != len(th.Members) {
					t.Errorf("theme %d: size %d but %d members", th.ID, th.Size, len(th.Members))
				}
				if th.Label == "" || len(th.Keywords) == 0 {
					t.Errorf("theme %d has no label or keywords", th.ID)
				}
				for _, id := range th.Members {
					seen[id]++
				}
			}
			if len(seen) != 66 {
				t.Errorf("%d distinct papers in themes, want 66", len(seen))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("paper %s is in %d themes", id, n)
				}
			}
		})
	}
}

func TestStrictRejectsBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"id":"a","title":"A paper","abstract":"About things."}
{"id":"b", broken
{"id":"c","title":"","abstract":""}
`), 0o644)
	store := filepath.Join(dir, "store")
	_, errs, code := run(t, "", "ingest", "--strict", "--store", store, "--embedder", "lexical", bad)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{bad + ":2:", bad + ":3:", "nothing was written"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Errorf("--strict created the store (stat err %v)", err)
	}

	t.Run("without strict the bad records are skipped and reported", func(t *testing.T) {
		out, errs, code := run(t, "", "ingest", "--quiet", "--store", store, "--embedder", "lexical", bad)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if !strings.HasPrefix(out, "ingested 1, skipped 2") {
			t.Errorf("summary = %q", out)
		}
		if !strings.Contains(errs, bad+":2:") || !strings.Contains(errs, bad+":3:") {
			t.Errorf("skipped records not reported as FILE:LINE:\n%s", errs)
		}
	})
}

func TestBatchQueries(t *testing.T) {
	store := seedStore(t)
	in := "control variates\n\n{\"id\": \"q-audio\", \"text\": \"spatial audio quality\"}\n{\"id\": 7, \"text\": \"galaxy clustering\"}\n"
	out, errs, code := run(t, in, "search", "--store", store, "-k", "3", "--queries", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{"1", "q-audio", "7"}
	if len(lines) != len(want) {
		t.Fatalf("%d output lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, l := range lines {
		got := decode[struct {
			Query   string `json:"query"`
			Results []struct {
				ID string `json:"id"`
			} `json:"results"`
		}](t, l)
		if got.Query != want[i] || len(got.Results) != 3 {
			t.Errorf("line %d: query %q with %d results, want %q with 3", i+1, got.Query, len(got.Results), want[i])
		}
	}
}

func TestUsageAndErrors(t *testing.T) {
	store := seedStore(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string // in stderr (or stdout for help)
	}{
		{"no command", nil, 2, "Usage:"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"help", []string{"help", "search"}, 0, "Examples:"},
		{"flag help", []string{"ingest", "--help"}, 0, "Examples:"},
		{"unknown flag", []string{"search", "--nope", "x"}, 2, "flag provided but not defined"},
		{"no query", []string{"search", "--store", store}, 2, "no query"},
		{"bad mode", []string{"search", "--store", store, "--mode", "fuzzy", "x"}, 2, "--mode must be hybrid, dense or sparse"},
		{"bad k", []string{"themes", "--store", store, "--k", "zero"}, 2, "--k must be"},
		{"missing store", []string{"search", "--store", filepath.Join(t.TempDir(), "nope"), "x"}, 1, "nope"},
		{"missing file", []string{"ingest", "--store", store, "no-such-file.jsonl"}, 1, "no-such-file.jsonl"},
		{"mixing embedders", []string{"ingest", "--store", store, "--embedder", "ollama", seedFile}, 1, "lexical"},
		{"map needs -o", []string{"map", "--store", store}, 2, "-o FILE"},
		{"map extension", []string{"map", "--store", store, "-o", "x.pdf"}, 2, ".html"},
		{"flags after arguments", []string{"similar", "nope", "--store", store}, 1, `no paper with id "nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(t, "", tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tc.code, errs)
			}
			if !strings.Contains(out+errs, tc.contains) {
				t.Errorf("output lacks %q:\nstdout: %s\nstderr: %s", tc.contains, out, errs)
			}
		})
	}
}

func TestAnalyzeWritesMapAndReport(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	outDir := filepath.Join(dir, "out")
	out := mustRun(t, "analyze", "--quiet", "--store", store, "--embedder", "lexical", "-o", outDir, seedFile)
	for _, name := range []string{"map.html", "map.svg", "report.html", "report.md"} {
		st, err := os.Stat(filepath.Join(outDir, name))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s not written (err %v)", name, err)
		}
	}
	if !strings.Contains(out, "ingested 66") || !strings.Contains(out, "map.html") {
		t.Errorf("analyze output lacks the summary or the file list:\n%s", out)
	}
	md, _ := os.ReadFile(filepath.Join(outDir, "report.md"))
	if !strings.Contains(string(md), "map.html") {
		t.Errorf("report.md does not link map.html")
	}
	// Saved themes are reused by info.
	info := decode[struct {
		Themes *struct {
			K     int  `json:"k"`
			Stale bool `json:"stale"`
		} `json:"themes"`
	}](t, mustRun(t, "info", "--store", store, "--json"))
	if info.Themes == nil || info.Themes.K < 2 || info.Themes.Stale {
		t.Errorf("info themes = %+v, want fresh themes with k >= 2", info.Themes)
	}
}

func TestThemesDeterministicUnderShuffle(t *testing.T) {
	// The same papers in another order must give the same themes.
	data, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	header, body := lines[:2], lines[2:]
	var pairs []string
	for i := 0; i+1 < len(body); i += 2 {
		pairs = append(pairs, body[i]+"\n"+body[i+1])
	}
	// Reverse, then rotate: a fixed shuffle.
	slices.Reverse(pairs)
	pairs = append(pairs[7:], pairs[:7]...)
	shuffled := filepath.Join(t.TempDir(), "shuffled.txt")
	os.WriteFile(shuffled, []byte(strings.Join(header, "\n")+"\n"+strings.Join(pairs, "\n")+"\n"), 0o644)

	themes := func(file string) string {
		store := filepath.Join(t.TempDir(), "store")
		mustRun(t, "ingest", "--quiet", "--store", store, "--embedder", "lexical", file)
		return mustRun(t, "themes", "--store", store, "--json", "--k", "7", "--seed", "3")
	}
	a, b := themes(seedFile), themes(shuffled)
	if a != b {
		t.Errorf("themes differ after shuffling the input:\n%s\n%s", a, b)
	}
}

// TestSourcesAreTheInputFiles: the store records the files its papers were
// read from; info and the report name them, not the store (issue 13 §6).
func TestSourcesAreTheInputFiles(t *testing.T) {
	store := filepath.Join(t.TempDir(), "store")
	mustRun(t, "ingest", "--quiet", "--store", store, "--embedder", "lexical", seedFile, arxivFile)
	mustRun(t, "ingest", "--quiet", "--store", store, seedFile) // nothing new
	info := decode[struct {
		Sources []string `json:"sources"`
	}](t, mustRun(t, "info", "--store", store, "--json"))
	if want := []string{seedFile, arxivFile}; !slices.Equal(info.Sources, want) {
		t.Errorf("info sources = %q, want %q", info.Sources, want)
	}
	report := filepath.Join(t.TempDir(), "r.md")
	mustRun(t, "report", "--store", store, "-o", report)
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "- **Sources:**") {
			line = l
		}
	}
	if !strings.Contains(line, "seed-abstracts") || !strings.Contains(line, "arxiv-2007-04-2000") || strings.Contains(line, store) {
		t.Errorf("report's sources line = %q, want the two input files and not the store", line)
	}
}
