package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// maxHugeLineRSS bounds the peak resident memory of an ingest of a 100 MB
// single-line file: 1 GiB, about ten times the file.
const maxHugeLineRSS = 1 << 30

// TestHugeLineIngest feeds `papermap ingest` files of one 100 MB line in
// every format, and checks that each run ends (a stored paper or an error
// naming the file), never panics, and peaks below maxHugeLineRSS, as the
// kernel measures it (getrusage ru_maxrss of the child). A 100 MB record is
// over the readers' bound (paper.DefaultMaxRecordBytes, 16 MiB): it is
// skipped as FILE:LINE, and a paper after it in the same file is stored
// (issue 13 §3: a 270 MB record lost the other paper of its file).
func TestHugeLineIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and ingests 100 MB files")
	}
	bin := papermapBinary(t)
	const size = 100 << 20
	words := func(w io.Writer) { writeRepeat(w, "abcdefgh ", size/9) }
	token := func(w io.Writer) { writeRepeat(w, "x", size) }
	tests := []struct {
		name     string
		file     string
		write    func(w io.Writer)
		wantFail bool   // no usable paper in it
		wantErr  string // in stderr, after the file's path
	}{
		{"text: an abstract without a title", "huge.txt", words, true, ":1: record is longer than"},
		{"jsonl: a huge record, then a paper", "huge.jsonl", func(w io.Writer) {
			io.WriteString(w, `{"title":"T","abstract":"`)
			words(w)
			io.WriteString(w, "\"}\n")
			io.WriteString(w, `{"title":"The paper after it","abstract":"Is stored."}`+"\n")
		}, false, ":1: record is longer than"},
		{"jsonl: one 100 MB word", "word.jsonl", func(w io.Writer) {
			io.WriteString(w, `{"title":"Tokens of unusual length","abstract":"`)
			token(w)
			io.WriteString(w, "\"}\n")
		}, true, ":1: record is longer than"},
		{"jsonl: unterminated", "open.jsonl", func(w io.Writer) {
			io.WriteString(w, `{"title":"T","abstract":"`)
			words(w)
		}, true, ":1: record is longer than"},
		{"json: an array of one", "huge.json", func(w io.Writer) {
			io.WriteString(w, `[{"title":"T","abstract":"`)
			words(w)
			io.WriteString(w, `"}]`)
		}, true, ":1: record is longer than"},
		{"csv: one row", "huge.csv", func(w io.Writer) {
			io.WriteString(w, "title,abstract\nT,")
			words(w)
		}, true, ":2: record is longer than"},
		{"bibtex: one entry", "huge.bib", func(w io.Writer) {
			io.WriteString(w, "@misc{k, title={T}, abstract={")
			words(w)
			io.WriteString(w, "}}")
		}, true, ":1: record is longer than"},
		{"bibtex: unbalanced", "open.bib", func(w io.Writer) {
			io.WriteString(w, "@misc{k, title={T}, abstract={")
			words(w)
		}, true, ":1: record is longer than"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.file)
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			tc.write(f)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			defer os.Remove(path)
			store := filepath.Join(dir, "store-"+tc.file)
			defer os.RemoveAll(store)

			cmd := exec.Command(bin, "ingest", "--quiet", "--store", store, "--embedder", "lexical", path)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			cmd.Run()
			checkNoPanic(t, errb.String())
			code := cmd.ProcessState.ExitCode()
			rss := int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10 // kB on Linux
			t.Logf("exit %d, peak RSS %d MB: %s", code, rss>>20, firstLineOf(out.String()+errb.String()))
			if rss > maxHugeLineRSS {
				t.Errorf("peak RSS %d MB, want at most %d MB", rss>>20, maxHugeLineRSS>>20)
			}
			switch {
			case tc.wantFail && code != exitFailure:
				t.Errorf("exit %d, want %d (no usable paper)", code, exitFailure)
			case tc.wantFail && !strings.Contains(errb.String(), path):
				t.Errorf("the error does not name the file:\n%s", errb.String())
			case !tc.wantFail && (code != exitOK || !strings.HasPrefix(out.String(), "ingested 1,")):
				t.Errorf("exit %d, want one paper stored\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
			}
			if !strings.Contains(errb.String(), path+tc.wantErr) {
				t.Errorf("stderr does not say %q:\n%s", path+tc.wantErr, errb.String())
			}
		})
	}
}

// writeRepeat writes s n times to w, a megabyte at a time.
func writeRepeat(w io.Writer, s string, n int) {
	per := max(1, (1<<20)/len(s))
	block := strings.Repeat(s, per)
	for ; n >= per; n -= per {
		io.WriteString(w, block)
	}
	io.WriteString(w, strings.Repeat(s, n))
}

func firstLineOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return fmt.Sprint(s)
}
