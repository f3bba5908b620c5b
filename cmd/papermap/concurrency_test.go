package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecondWriterFailsFast holds a store with one ingest and checks that
// every other writer (ingest, themes, repair) fails at once with a message
// naming the store and the process that holds it. The ingests that must
// fail read standard input from a pipe that is never written to or closed:
// one that read its input before taking the store would wait forever.
func TestSecondWriterFailsFast(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	bin := papermapBinary(t)
	dir := t.TempDir()
	store := filepath.Join(dir, "store")
	if out, err := exec.Command(bin, "ingest", "--quiet", "--store", store, "--embedder", "lexical", arxivFile).CombinedOutput(); err != nil {
		t.Fatalf("first ingest: %v\n%s", err, out)
	}
	input := arxivCopies(t, dir, 2)

	// The holder: an ingest that has taken the store and waits for its
	// input on a pipe.
	holder := exec.Command(bin, "ingest", "--quiet", "--store", store, "--format", "jsonl", "-")
	hin, err := holder.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var hout, herr bytes.Buffer
	holder.Stdout, holder.Stderr = &hout, &herr
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Process.Kill()
	waitFor(t, holder, func() bool { return holdsLock(store, holder.Process.Pid) })

	for _, tc := range []struct {
		name  string
		args  []string
		stdin bool
	}{
		{"ingest from a pipe", []string{"ingest", "--store", store, "-"}, true},
		{"ingest of a file", []string{"ingest", "--store", store, input}, false},
		{"themes", []string{"themes", "--store", store, "--k", "3"}, false},
		{"repair", []string{"repair", "--store", store}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if tc.stdin {
				// Never written to, closed only when the test ends.
				pw, err := cmd.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				defer pw.Close()
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(time.Minute):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running after a minute: it did not check the store before reading its input")
			}
			checkNoPanic(t, errb.String())
			if code := cmd.ProcessState.ExitCode(); code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			msg := errb.String()
			for _, want := range []string{
				"store " + store + " is in use by another papermap process",
				fmt.Sprintf("(pid %d)", holder.Process.Pid),
				"wait for it to finish, or use another --store",
			} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr lacks %q:\n%s", want, msg)
				}
			}
		})
	}

	// The holder is unharmed: give it its input and let it finish.
	data, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hin.Write(data); err != nil {
		t.Fatal(err)
	}
	hin.Close()
	if err := holder.Wait(); err != nil {
		t.Fatalf("the holder failed: %v\n%s", err, herr.String())
	}
	if got := libraryCount(t, store); got != 4000 {
		t.Errorf("the store holds %d papers, want 4000", got)
	}
}

// TestSearchDuringIngest runs `search --json` and `info --json` in a loop
// while ingests write to the store. Every search answer must be valid JSON
// with results, or a clean error saying there is nothing to search yet;
// never a crash or a report of damage. Once the store holds papers, every
// answer must have results, and the count info gives never goes down.
func TestSearchDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	bin := papermapBinary(t)
	dir := t.TempDir()
	input := arxivCopies(t, dir, 2)
	// 10 files of 200 new papers each, for a series of small ingests.
	data, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	var parts []string
	for i := 0; i < 10; i++ {
		part := filepath.Join(dir, fmt.Sprintf("part-%d.jsonl", i))
		if err := os.WriteFile(part, []byte(strings.Join(lines[2000+200*i:2000+200*(i+1)], "")), 0o600); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, part)
	}

	for _, tc := range []struct {
		name    string
		prefill bool
		inputs  [][]string // one ingest per element, one after the other
	}{
		{"new store", false, [][]string{{input}}},
		{"store with 2,000 papers", true, [][]string{{input}}},
		{"ten ingests of 200 papers", true, func() (in [][]string) {
			for _, p := range parts {
				in = append(in, []string{p})
			}
			return in
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "store")
			if tc.prefill {
				if out, err := exec.Command(bin, "ingest", "--quiet", "--store", store, "--embedder", "lexical", arxivFile).CombinedOutput(); err != nil {
					t.Fatalf("prefill: %v\n%s", err, out)
				}
			}
			done := make(chan error, 1)
			go func() {
				for _, files := range tc.inputs {
					args := append([]string{"ingest", "--quiet", "--store", store, "--embedder", "lexical"}, files...)
					if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
						done <- fmt.Errorf("ingest %v: %v\n%s", files, err, out)
						return
					}
				}
				done <- nil
			}()

			counts := map[string]int{}
			last := -1
			for running := true; running; {
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
					running = false // one more round, on the finished store
				default:
				}
				kind := checkSearch(t, bin, store, tc.prefill || !running)
				counts[kind]++
				if n := countPapers(t, bin, store); n < last {
					t.Fatalf("info counted %d papers after %d", n, last)
				} else {
					last = n
				}
			}
			t.Logf("answers during the ingest: %v; final count %d", counts, last)
			if counts["results"] == 0 {
				t.Error("no search answered with results")
			}
			if last != 4000 {
				t.Errorf("the store holds %d papers at the end, want 4000", last)
			}
		})
	}
}

// checkSearch runs one search and checks its answer: JSON with results
// (required when mustAnswer), or a clean error for a store not made yet or
// still empty. It returns the kind of answer.
func checkSearch(t *testing.T, bin, store string, mustAnswer bool) string {
	t.Helper()
	cmd := exec.Command(bin, "search", "--json", "--store", store, "quantum chromodynamics of hadron colliders")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	checkNoPanic(t, errb.String())
	if err != nil {
		msg := errb.String()
		for _, clean := range []string{"no papermap store there", "the store holds no papers"} {
			if strings.Contains(msg, clean) && !mustAnswer && cmd.ProcessState.ExitCode() == exitFailure {
				return clean
			}
		}
		t.Fatalf("search failed: exit %d\n%s", cmd.ProcessState.ExitCode(), msg)
	}
	var got struct {
		Results []struct {
			ID    string   `json:"id"`
			Title string   `json:"title"`
			Score *float64 `json:"score"`
		} `json:"results"`
	}
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("search printed no valid JSON (%v):\n%s", err, out.String())
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("search printed more than one JSON value:\n%s", out.String())
	}
	if len(got.Results) != 10 {
		t.Fatalf("search gave %d results, want 10:\n%s", len(got.Results), out.String())
	}
	for _, r := range got.Results {
		if r.ID == "" || r.Title == "" || r.Score == nil || math.IsNaN(*r.Score) || *r.Score < -1.0001 || *r.Score > 1.0001 {
			t.Fatalf("bad result %+v in:\n%s", r, out.String())
		}
	}
	return "results"
}
