package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// runMain runs papermap in-process with m's settings (streams are set
// here) and returns its output and exit code.
func runMain(t *testing.T, m Main, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(""), &out, &errb
	if m.Getenv == nil {
		m.Getenv = func(string) string { return "" }
	}
	code = m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

func TestForcedTerminal(t *testing.T) {
	for _, tc := range []struct {
		env   string
		ok    bool
		width int
	}{
		{"", false, 0},
		{"0", false, 0},
		{"false", false, 0},
		{"1", true, defaultWidth},
		{"true", true, defaultWidth},
		{"132", true, 132},
	} {
		t.Run(tc.env, func(t *testing.T) {
			got, ok := forcedTerminal(tc.env)
			if ok != tc.ok || (ok && (!got.Stdout || !got.Stderr || got.Width != tc.width)) {
				t.Errorf("forcedTerminal(%q) = %+v, %v; want forced=%v width %d", tc.env, got, ok, tc.ok, tc.width)
			}
		})
	}
}

// TestSearchOutputFollowsTerminal checks both paths of the results table:
// aligned and cut to the width on a terminal (forced through Main.Terminal
// and through $PAPERMAP_FORCE_TTY), tab-separated when piped, JSON with
// --json either way.
func TestSearchOutputFollowsTerminal(t *testing.T) {
	store := seedStore(t)
	query := []string{"search", "--store", store, "-k", "5", "control variates for variance reduction"}
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == forceTTYEnv {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name  string
		m     Main
		table bool
		width int
	}{
		{"piped", Main{}, false, 0},
		{"Main.Terminal", Main{Terminal: &Terminal{Stdout: true, Width: 70}}, true, 70},
		{"Main.Terminal on stderr only", Main{Terminal: &Terminal{Stderr: true}}, false, 0},
		{"PAPERMAP_FORCE_TTY=90", Main{Getenv: env("90")}, true, 90},
		{"PAPERMAP_FORCE_TTY=0", Main{Getenv: env("0")}, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runMain(t, tc.m, query...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if len(lines) != 6 {
				t.Fatalf("got %d lines, want a header and 5 rows:\n%s", len(lines), out)
			}
			if !tc.table {
				if lines[0] != "rank\tscore\tid\ttitle" {
					t.Errorf("header = %q, want tab-separated lower-case names", lines[0])
				}
				for _, l := range lines[1:] {
					if strings.Count(l, "\t") != 3 {
						t.Errorf("row %q: want 4 tab-separated cells", l)
					}
				}
				return
			}
			if !strings.HasPrefix(lines[0], "RANK  SCORE") || strings.Contains(out, "\t") {
				t.Errorf("want an aligned table with an upper-case header, no tabs:\n%s", out)
			}
			cutSeen := false
			for _, l := range lines {
				if n := utf8.RuneCountInString(l); n > tc.width {
					t.Errorf("line of %d runes is wider than the terminal's %d: %q", n, tc.width, l)
				}
				cutSeen = cutSeen || strings.HasSuffix(l, "…")
			}
			if !cutSeen {
				t.Errorf("no title was cut to the width %d; the test no longer checks cutting:\n%s", tc.width, out)
			}
		})
	}
	t.Run("--json on a terminal", func(t *testing.T) {
		out, errs, code := runMain(t, Main{Terminal: &Terminal{Stdout: true}}, append([]string{"search", "--json"}, query[1:]...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if got := decode[results](t, out); len(got.Results) != 5 {
			t.Errorf("got %d JSON results, want 5", len(got.Results))
		}
	})
}

// TestIngestProgressFollowsTerminal checks the progress display of both
// paths: a bar on a terminal, plain lines otherwise; in both, the lexical
// fit is named on a line of its own and the embedder notice never shares
// the bar's line.
func TestIngestProgressFollowsTerminal(t *testing.T) {
	for _, tty := range []bool{true, false} {
		name := map[bool]string{true: "terminal", false: "piped"}[tty]
		t.Run(name, func(t *testing.T) {
			store := filepath.Join(t.TempDir(), "store")
			// Port 1 refuses connections at once: auto falls back to the
			// lexical model and says so in a notice.
			_, errs, code := runMain(t, Main{Terminal: &Terminal{Stderr: tty}},
				"ingest", "--store", store, "--ollama-host", "http://127.0.0.1:1", seedFile)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			// Lines as a terminal shows them: a carriage return starts the
			// line again.
			var shown []string
			for _, l := range strings.Split(errs, "\n") {
				parts := strings.Split(l, "\r")
				shown = append(shown, parts[len(parts)-1])
				for _, p := range parts[:len(parts)-1] {
					if strings.Contains(p, "embedder:") || strings.Contains(p, "fitting") {
						t.Errorf("a notice was overwritten on the bar's line: %q", l)
					}
				}
			}
			wantLines := []string{"embedder: lexical (offline;", "ingest: fitting the lexical model on 66 papers"}
			for _, w := range wantLines {
				found := false
				for _, l := range shown {
					found = found || strings.HasPrefix(l, w)
				}
				if !found {
					t.Errorf("no line starts with %q in stderr:\n%q", w, errs)
				}
			}
			bar := strings.Contains(errs, "\r") && strings.Contains(errs, "% |")
			if bar != tty {
				t.Errorf("progress bar drawn = %v, want %v; stderr:\n%q", bar, tty, errs)
			}
		})
	}
}
