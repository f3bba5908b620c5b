package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/internal/testharness/killloop"
	"github.com/papermap/papermap/vectorstore"
)

// The process-level tests (crash, concurrency, damage, security, memory) run
// the real binary, built once per test run into a temporary directory.
var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// papermapBinary returns the path of a papermap binary built from this
// package.
func papermapBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "papermap-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "papermap")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// arxivFile is the 2,000 arXiv records of April 2007 (CC0).
const arxivFile = "../../testdata/arxiv-2007-04-2000.jsonl"

// arxivCopies writes the arXiv records `copies` times into one JSON Lines
// file, each copy after the first with IDs prefixed by "c<N>-" and titles
// suffixed with " (copy N)", so that every record is a distinct paper.
func arxivCopies(t testing.TB, dir string, copies int) string {
	t.Helper()
	data, err := os.ReadFile(arxivFile)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	out.Write(data)
	for c := 2; c <= copies; c++ {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var rec map[string]any
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatal(err)
			}
			rec["id"] = fmt.Sprintf("c%d-%v", c, rec["id"])
			rec["title"] = fmt.Sprintf("%v (copy %d)", rec["title"], c)
			line, _ := json.Marshal(rec)
			out.Write(line)
			out.WriteByte('\n')
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, fmt.Sprintf("arxiv-x%d.jsonl", copies))
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// envInt reads a positive integer from the environment, or returns def.
func envInt(t testing.TB, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q is not a positive number", name, s)
	}
	return n
}

// TestKillLoop kills `papermap ingest` with SIGKILL at seeded random
// moments spread over reading, fitting the lexical model and writing, and
// checks after every kill that the store opens, and at the end that a
// rerun completes with exactly the papers of an undisturbed run, each as
// in the input (see internal/testharness/killloop). PAPERMAP_KILLS and
// PAPERMAP_KILL_SEED change the number of kills (default 21, up to 4 on
// each store before its rerun) and the seed (default 1).
//
// The stores have an approximate index: the index threshold is lowered to
// 1,000 papers, so every ingest that gets to Close builds or updates
// index.hnsw (and some kills fall while it does). At the end each store's
// index must be usable as it is and agree with the exact scan
// (checkKillLoopIndex).
func TestKillLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs papermap ingest some 30 times")
	}
	t.Setenv(indexThresholdEnv, strconv.Itoa(killLoopIndexThreshold))
	bin := papermapBinary(t)
	dir := t.TempDir()
	input := arxivCopies(t, dir, 2) // 4,000 papers
	rep, err := killloop.Run(context.Background(), killloop.Config{
		Binary:   bin,
		Input:    input,
		Args:     []string{"--embedder", "lexical"},
		Dir:      dir,
		Kills:    envInt(t, "PAPERMAP_KILLS", 21),
		MaxChain: 4,
		Seed:     uint64(envInt(t, "PAPERMAP_KILL_SEED", 1)),
		Logf:     t.Logf,
	})
	if rep != nil {
		t.Log(rep.Summary())
		t.Logf("states left by the kills: %v", rep.States())
	}
	if err != nil {
		t.Fatal(err)
	}
	if rep.Expected != 4000-rep.Skipped {
		t.Errorf("the reference stored %d papers and skipped %d; the input has 4000", rep.Expected, rep.Skipped)
	}
	stores, _ := filepath.Glob(filepath.Join(dir, "store-*"))
	for _, store := range append(stores, filepath.Join(dir, "reference")) {
		checkKillLoopIndex(t, store)
	}
}

// killLoopIndexThreshold is the index threshold of the kill loop's stores.
const killLoopIndexThreshold = 1000

// checkKillLoopIndex checks the index of a store the kill loop finished:
// index.hnsw is there, a reader uses it without a notice (it is neither
// damaged nor out of date), and its answers for 40 stored papers' own
// vectors reach recall@10 ≥ 0.95 against the exact scan, with the same
// best score.
func checkKillLoopIndex(t *testing.T, store string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(store, "index.hnsw")); err != nil {
		t.Errorf("%s: no index after the final run: %v", store, err)
		return
	}
	var notes strings.Builder
	c, err := corpus.Open(context.Background(), store, corpus.Options{ReadOnly: true, Notice: &notes, IndexThreshold: killLoopIndexThreshold})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := c.Store()
	ids := st.IDs()
	var sum float64
	n := 0
	for i := 0; i < len(ids); i += len(ids) / 40 {
		r, _ := st.Get(ids[i])
		got, err1 := st.Query(context.Background(), r.Embedding, 10, vectorstore.QueryOptions{})
		want, err2 := st.Query(context.Background(), r.Embedding, 10, vectorstore.QueryOptions{Exact: true})
		if err1 != nil || err2 != nil || len(got) != len(want) || len(got) == 0 {
			t.Fatalf("%s: query %s: %v %v, %d hits, the scan %d", store, ids[i], err1, err2, len(got), len(want))
		}
		if got[0].Score != want[0].Score {
			t.Errorf("%s: %s's best hit scores %v through the index, %v by the scan", store, ids[i], got[0].Score, want[0].Score)
		}
		hit := 0
		for _, g := range got {
			for _, w := range want {
				if g.ID == w.ID {
					hit++
				}
			}
		}
		sum += float64(hit) / float64(len(want))
		n++
	}
	if r := sum / float64(n); r < 0.95 {
		t.Errorf("%s: recall@10 of the index against the scan %.3f, want ≥ 0.95", store, r)
	}
	if notes.Len() > 0 {
		t.Errorf("%s: the index was not used as it is: %s", store, notes.String())
	}
}

// interruptRe matches the line an interrupted ingest prints.
var interruptRe = regexp.MustCompile(`interrupted: ([0-9,]+) of ([0-9,]+) papers are stored in (.+); run the same command again to store the rest`)

// TestInterrupt sends SIGINT (Ctrl-C) to ingests at chosen moments: while
// the input is still being read, while the lexical model is fitted, while
// a half-done store is resumed, and as the records are written. Each run
// either finishes (exit 0, a complete summary) or stops with exit code 130
// and a line saying how many papers are stored and how to resume; info then
// counts exactly that many, and a rerun finishes with the exact count.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs papermap ingest several times")
	}
	bin := papermapBinary(t)
	dir := t.TempDir()
	input := arxivCopies(t, dir, 2)
	data, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	const want = 4000

	tests := []struct {
		name string
		// prefill, if set, is ingested into the store first.
		prefill string
		// stdin feeds the input through a pipe, interrupting half-way.
		stdin bool
		// signal waits for the moment to interrupt the run.
		signal func(t *testing.T, store string, cmd *exec.Cmd)
		// mustStop says the run cannot have finished before the signal.
		mustStop   bool
		wantStored int
	}{
		{name: "while reading", stdin: true, mustStop: true, wantStored: 0},
		{name: "while fitting", mustStop: true, wantStored: 0, signal: func(t *testing.T, store string, cmd *exec.Cmd) {
			waitFor(t, cmd, func() bool { return holdsLock(store, cmd.Process.Pid) })
			time.Sleep(200 * time.Millisecond) // the fit takes seconds
		}},
		// The store is opened before the input is read, so the interrupt
		// comes with the store open and half of its papers stored.
		{name: "resuming a half-done store", prefill: arxivFile, stdin: true, mustStop: true, wantStored: 2000},
		{name: "while writing", wantStored: -1, signal: func(t *testing.T, store string, cmd *exec.Cmd) {
			waitFor(t, cmd, func() bool { _, err := os.Stat(filepath.Join(store, "lexical.model")); return err == nil })
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := filepath.Join(dir, fmt.Sprintf("s%d", i))
			if tc.prefill != "" {
				if out, err := exec.Command(bin, "ingest", "--quiet", "--store", store, "--embedder", "lexical", tc.prefill).CombinedOutput(); err != nil {
					t.Fatalf("prefill: %v\n%s", err, out)
				}
			}
			arg := input
			if tc.stdin {
				arg = "-"
			}
			cmd := exec.Command(bin, "ingest", "--quiet", "--store", store, "--embedder", "lexical", "--format", "jsonl", arg)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			var stdin io.WriteCloser
			if tc.stdin {
				if stdin, err = cmd.StdinPipe(); err != nil {
					t.Fatal(err)
				}
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tc.stdin {
				// Writing more than a pipe holds means the process is
				// reading, so its signal handler is in place.
				half := len(data) / 2
				if _, err := stdin.Write(data[:half]); err != nil {
					t.Fatal(err)
				}
				cmd.Process.Signal(syscall.SIGINT)
				stdin.Write(data[half:])
				stdin.Close()
			} else {
				tc.signal(t, store, cmd)
				cmd.Process.Signal(syscall.SIGINT)
			}
			cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			checkNoPanic(t, errb.String())
			stored := max(countPapers(t, bin, store), 0)
			switch {
			case code == 0 && !tc.mustStop:
				if !strings.HasPrefix(out.String(), "ingested 4,000") {
					t.Fatalf("finished without the summary: %q", out.String())
				}
				t.Log("finished before the interrupt took effect")
			case code == exitInterrupted:
				m := interruptRe.FindStringSubmatch(errb.String())
				if m == nil {
					t.Fatalf("exit 130 without the resume hint:\n%s", errb.String())
				}
				n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
				if m[2] != "4,000" || m[3] != store {
					t.Errorf("hint names %s of %s papers in %s, want of 4,000 in %s", m[1], m[2], m[3], store)
				}
				if n != stored {
					t.Errorf("the hint says %d papers are stored, info counts %d", n, stored)
				}
				if tc.wantStored >= 0 && n != tc.wantStored {
					t.Errorf("the hint says %d papers are stored, want %d", n, tc.wantStored)
				}
				t.Logf("exit 130: %s", m[0])
			default:
				t.Fatalf("exit %d after SIGINT, want 130 (or 0 had it finished)\n%s", code, errb.String())
			}
			if out, err := exec.Command(bin, "ingest", "--quiet", "--store", store, "--embedder", "lexical", input).CombinedOutput(); err != nil {
				t.Fatalf("rerun: %v\n%s", err, out)
			}
			if got := libraryCount(t, store); got != want {
				t.Errorf("after the rerun the store holds %d papers, want %d", got, want)
			}
		})
	}
}

// holdsLock reports whether process pid holds the writer lock of store (a
// writer writes its pid into LOCK once it has the lock).
func holdsLock(store string, pid int) bool {
	b, err := os.ReadFile(filepath.Join(store, "LOCK"))
	return err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(pid)
}

// waitFor polls cond every millisecond until it holds; it fails the test if
// the process exits first.
func waitFor(t *testing.T, cmd *exec.Cmd, cond func() bool) {
	t.Helper()
	for !cond() {
		if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
			t.Fatalf("the process ended before the moment came: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
}

// countPapers returns what `papermap info --json` counts in store, or -1
// when there is no store there.
func countPapers(t *testing.T, bin, store string) int {
	t.Helper()
	cmd := exec.Command(bin, "info", "--json", "--store", store)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if strings.Contains(errb.String(), "no papermap store there") {
			return -1
		}
		t.Fatalf("info: %v\n%s", err, errb.String())
	}
	var info struct {
		Papers int `json:"papers"`
	}
	if err := json.Unmarshal(out.Bytes(), &info); err != nil {
		t.Fatalf("info --json: %v\n%s", err, out.String())
	}
	return info.Papers
}

// checkNoPanic fails the test if stderr shows a Go panic or runtime crash.
func checkNoPanic(t *testing.T, stderr string) {
	t.Helper()
	for _, bad := range []string{"panic:", "goroutine ", "fatal error:", "SIGSEGV"} {
		if strings.Contains(stderr, bad) {
			t.Fatalf("the process crashed (%q on stderr):\n%s", bad, stderr)
		}
	}
}

// libraryCount opens store read-only through the library and returns its
// count.
func libraryCount(t *testing.T, store string) int {
	t.Helper()
	c, err := corpus.Open(context.Background(), store, corpus.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.Len()
}

func TestAnalyzeIntoClosedPipe(t *testing.T) {
	// `papermap analyze ... | head -3`: head closes the pipe after three
	// lines, and the next write to stdout ends the process (SIGPIPE).
	// The map and the report are written before the themes are printed,
	// so they are there all the same.
	bin := papermapBinary(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "analyze", "--store", filepath.Join(dir, "store"), "-o", out, seedFile)
	cmd.Env = append(os.Environ(), "OLLAMA_HOST=http://127.0.0.1:1") // offline, at once
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("first line: %v", err)
	}
	stdout.Close() // as head does
	err = cmd.Wait()
	t.Logf("first line %q; exit: %v", first, err)
	if !strings.HasPrefix(first, "ingested 66") {
		t.Errorf("first line %q, want the ingest summary", first)
	}
	for _, name := range []string{"map.html", "map.svg", "report.html", "report.md"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v (size %d), want it written before the themes are printed\nstderr:\n%s", name, err, sizeOf(fi), stderr.String())
		}
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}
