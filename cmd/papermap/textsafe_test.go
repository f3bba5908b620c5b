package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// invisible are the characters a title may hide that must never reach a
// terminal, a table, the map or the report, in any spelling.
var invisible = []string{
	"\u202E", `\u202e`, `\u202E`, "&#8238;", // RIGHT-TO-LEFT OVERRIDE
	"\u2066", `\u2066`, // LEFT-TO-RIGHT ISOLATE
	"\u200B", `\u200b`, `\u200B`, // ZERO WIDTH SPACE
	"\x1b", `\u001b`, `\u001B`, "&#27;", // ESC
}

// TestInvisibleCharactersNeverShown: titles holding bidi controls, a
// terminal escape and a zero-width space are shown without them in the
// search table (terminal and piped), the map (HTML, SVG) and the report
// (HTML, Markdown), while --json keeps the stored title as it is.
func TestInvisibleCharactersNeverShown(t *testing.T) {
	dir := t.TempDir()
	input := editedArxiv(t, filepath.Join(dir, "bidi.jsonl"), 60, func(i int, rec map[string]any) {
		if i%2 == 0 {
			rec["title"] = "Evil\u202Efdp.exe \u2066x\u2069 \x1b[2J\u200B" + rec["title"].(string)
		}
	})
	store, out := filepath.Join(dir, "store"), filepath.Join(dir, "out")
	mustRun(t, "analyze", "--quiet", "--store", store, "--embedder", "lexical", "-o", out, input)

	check := func(what, s string) {
		t.Helper()
		if what != "map.svg" && !strings.Contains(s, "Evilfdp.exe x") { // the SVG has no titles
			t.Errorf("%s: the hostile title is not there to check", what)
		}
		for _, c := range invisible {
			if strings.Contains(s, c) {
				t.Errorf("%s holds %q", what, c)
			}
		}
	}
	for _, tty := range []bool{true, false} {
		o, errs, code := runMain(t, Main{Terminal: &Terminal{Stdout: tty, Width: 200}}, "search", "--store", store, "-k", "60", "Evil fdp exe")
		if code != 0 {
			t.Fatalf("search: exit %d: %s", code, errs)
		}
		check(map[bool]string{true: "search table", false: "search TSV"}[tty], o)
	}
	for _, name := range []string{"map.html", "map.svg", "report.html", "report.md"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		check(name, string(withMapText(t, b)))
	}
	// JSON is data for programs: the title as stored.
	got := decode[results](t, mustRun(t, "search", "--store", store, "--json", "-k", "60", "Evil fdp exe"))
	kept := false
	for _, r := range got.Results {
		kept = kept || strings.HasPrefix(r.Title, "Evil\u202Efdp.exe")
	}
	if !kept {
		t.Errorf("--json changed the stored titles: %+v", got.Results)
	}
}
