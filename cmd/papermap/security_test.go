package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// hostileInput writes 60 arXiv records, every third with hostile fields: a
// script in the title and the abstract, an event handler, quotes of both
// kinds, a javascript: URL, markup in the authors and the DOI.
func hostileInput(t *testing.T, dir string) string {
	t.Helper()
	return editedArxiv(t, filepath.Join(dir, "hostile.jsonl"), 60, func(i int, rec map[string]any) {
		if i%3 == 0 {
			rec["title"] = `<script>window.__pwned=1</script> "double" 'single' & ` + rec["title"].(string)
			rec["abstract"] = `<script>window.__pwned=2</script><img src=x onerror="window.__pwned=3"> ` + rec["abstract"].(string)
			rec["url"] = "javascript:alert(1)"
			rec["doi"] = `"><script>window.__pwned=4</script>`
			rec["authors"] = `<b onmouseover="window.__pwned=5">Eve</b>, Mallory`
			// A categorical field the map colours by (two values), with
			// markup in a value.
			rec["venue"] = `<script>window.__pwned=7</script><img src=x onerror="window.__pwned=8">`
		} else {
			rec["venue"] = "plain venue"
		}
	})
}

// editedArxiv writes the first n records of the arXiv test file to path as
// JSON Lines, each passed through edit first, and returns path.
func editedArxiv(t *testing.T, path string, n int, edit func(i int, rec map[string]any)) string {
	t.Helper()
	f, err := os.Open(arxivFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for i := 0; i < n && sc.Scan(); i++ {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		edit(i, rec)
		line, _ := json.Marshal(rec)
		out.Write(line)
		out.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// unsafe are patterns that must never appear in an output: live script
// tags, event handlers and javascript: links of the hostile input.
var unsafe = []*regexp.Regexp{
	regexp.MustCompile(`(?i)<script>window`),
	regexp.MustCompile(`(?i)<img[^>]*onerror`),
	regexp.MustCompile(`(?i)<b onmouseover`),
	regexp.MustCompile(`(?i)href\s*=\s*["']?\s*javascript:`),
	regexp.MustCompile(`(?i)src\s*=\s*["']?\s*javascript:`),
	regexp.MustCompile(`(?i)\]\(\s*javascript:`), // a Markdown link
	regexp.MustCompile(`(?i)<(a|img|iframe|object|embed)[^>]*javascript:`),
}

// TestHostileFieldsEscaped ingests papers whose fields carry scripts,
// event handlers, quotes and javascript: URLs, and checks the raw bytes of
// every map and report (and of analyze's output) for any of them left
// live, while the hostile text itself does appear (escaped), so that the
// check is not vacuous.
func TestHostileFieldsEscaped(t *testing.T) {
	dir := t.TempDir()
	input := hostileInput(t, dir)
	store := filepath.Join(dir, "store")
	mustRun(t, "ingest", "--quiet", "--store", store, "--embedder", "lexical", input)
	mustRun(t, "themes", "--store", store, "--k", "4")
	title := `<script>window.__pwned=6</script> "t" 'u'`
	outs := map[string][]string{
		"map.html":    {"map", "--title", title, "-o"},
		"map.svg":     {"map", "--title", title, "-o"},
		"map.json":    {"map", "--title", title, "-o"},
		"report.html": {"report", "--title", title, "-o"},
		"report.md":   {"report", "--title", title, "-o"},
	}
	var files []string
	for name, args := range outs {
		path := filepath.Join(dir, name)
		mustRun(t, append(args, path, "--store", store)...)
		files = append(files, path)
	}
	an := filepath.Join(dir, "analyze")
	mustRun(t, "analyze", "--quiet", "--store", filepath.Join(dir, "store2"), "--embedder", "lexical", "-o", an, input)
	for _, name := range []string{"map.html", "map.svg", "report.html", "report.md"} {
		files = append(files, filepath.Join(an, name))
	}
	sort.Strings(files)
	t.Run("the patterns catch live markup", func(t *testing.T) {
		for _, live := range []string{
			`<script>window.__pwned=1</script>`,
			`<img src=x onerror="window.__pwned=3">`,
			`<b onmouseover="window.__pwned=5">Eve</b>`,
			`<a href="javascript:alert(1)">x</a>`,
			`<a href= 'JavaScript:alert(1)'>x</a>`,
			`[x](javascript:alert(1))`,
		} {
			caught := false
			for _, re := range unsafe {
				caught = caught || re.MatchString(live)
			}
			if !caught {
				t.Errorf("no pattern catches %s", live)
			}
		}
	})
	for _, path := range files {
		t.Run(strings.TrimPrefix(path, dir+"/"), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b = withMapText(t, b)
			for _, re := range unsafe {
				if loc := re.FindIndex(b); loc != nil {
					lo, hi := max(loc[0]-80, 0), min(loc[1]+80, len(b))
					t.Errorf("%s is left live: ...%s...", re, b[lo:hi])
				}
			}
			// The hostile text must be there, escaped, for the check to
			// prove anything: titles in the HTML and Markdown (where "_"
			// is escaped), at least theme keywords drawn from the hostile
			// abstracts in an SVG.
			want := "pwned"
			switch filepath.Ext(path) {
			case ".html":
				want = "__pwned=1"
				if strings.Contains(path, "map") && !bytes.Contains(b, []byte("__pwned=7")) {
					t.Error("the hostile venue is not in the map: the colour-by-field check proves nothing")
				}
			case ".json":
				want = "__pwned=7"
			case ".md":
				want = `\_\_pwned=1`
			}
			if !bytes.Contains(b, []byte(want)) {
				t.Errorf("%q is not in the output: the hostile fields did not reach it, so the check proves nothing", want)
			}
		})
	}
}

// TestStorePermissions checks that a store is readable by its owner only:
// the directory 0700 and every file 0600, after ingest, themes and repair,
// whatever the umask lets through.
func TestStorePermissions(t *testing.T) {
	store := filepath.Join(t.TempDir(), "a", "store")
	mustRun(t, "ingest", "--quiet", "--store", store, "--embedder", "lexical", seedFile)
	mustRun(t, "themes", "--store", store, "--k", "3")
	mustRun(t, "repair", "--store", store)
	n := 0
	err := filepath.WalkDir(store, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = fs.ModeDir | 0o700
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 6 { // the directory, LOCK, records.log, manifest.json, lexical.model, themes.json
		t.Errorf("only %d entries checked", n)
	}
}

// snapshot lists every file and directory under root with its size and
// modification time.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := make(map[string]string)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		m[path] = fmt.Sprintf("%v %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWritesOnlyStoreAndOutput runs every command with its working
// directory, HOME and TMPDIR in a fresh tree and checks, after each, that
// nothing changed in that tree outside --store and -o.
func TestWritesOnlyStoreAndOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	bin := papermapBinary(t)
	root := t.TempDir()
	for _, d := range []string{"home", "cwd", "tmp", "in", "out"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	seed, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	input := filepath.Join(root, "in", "seed.txt")
	queries := filepath.Join(root, "in", "queries.txt")
	os.WriteFile(input, seed, 0o600)
	os.WriteFile(queries, []byte("control variates\nimage generation\n"), 0o600)
	store := "st" // relative: inside the working directory
	storeAbs := filepath.Join(root, "cwd", store)
	env := []string{"HOME=" + filepath.Join(root, "home"), "TMPDIR=" + filepath.Join(root, "tmp"), "PATH=" + os.Getenv("PATH")}

	steps := []struct {
		args []string
		out  string // the -o target, relative to root ("" for none)
	}{
		{[]string{"ingest", "--quiet", "--store", store, "--embedder", "lexical", input}, ""},
		{[]string{"info", "--store", store}, ""},
		{[]string{"info", "--json", "--store", store}, ""},
		{[]string{"search", "--store", store, "control variates"}, ""},
		{[]string{"search", "--store", store, "--queries", queries}, ""},
		{[]string{"themes", "--store", store, "--k", "4"}, ""},
		{[]string{"map", "--store", store, "-o", "../out/m.html"}, "out/m.html"},
		{[]string{"map", "--store", store, "-o", "../out/m.svg"}, "out/m.svg"},
		{[]string{"map", "--store", store, "-o", "../out/m.png"}, "out/m.png"},
		{[]string{"report", "--store", store, "-o", "../out/r.html"}, "out/r.html"},
		{[]string{"report", "--store", store, "-o", "../out/r.md"}, "out/r.md"},
		{[]string{"repair", "--store", store}, ""},
		{[]string{"ingest", "--quiet", "--store", store, input}, ""},
		{[]string{"analyze", "--quiet", "--store", "st2", "--embedder", "lexical", "-o", "../out/an", input}, "out/an"},
		{[]string{"help"}, ""},
	}
	for _, st := range steps {
		before := snapshot(t, root)
		cmd := exec.Command(bin, st.args...)
		cmd.Dir = filepath.Join(root, "cwd")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", st.args, err, out)
		}
		after := snapshot(t, root)
		allowed := func(path string) bool {
			if path == storeAbs || strings.HasPrefix(path, storeAbs+"/") {
				return true
			}
			if st.args[0] == "analyze" {
				s2 := filepath.Join(root, "cwd", "st2")
				if path == s2 || strings.HasPrefix(path, s2+"/") {
					return true
				}
			}
			if st.out != "" {
				o := filepath.Join(root, st.out)
				if path == o || strings.HasPrefix(path, o+"/") {
					return true
				}
				// A Markdown report's picture of the map, written beside
				// it (see report --help).
				if st.args[0] == "report" && strings.HasSuffix(o, ".md") && path == strings.TrimSuffix(o, ".md")+".map.svg" {
					return true
				}
			}
			// The working directory's own entry changes when the store is
			// created in it.
			return path == filepath.Join(root, "cwd") || (st.out != "" && path == filepath.Dir(filepath.Join(root, st.out)))
		}
		for path, a := range after {
			if b, ok := before[path]; (!ok || a != b) && !allowed(path) {
				t.Errorf("%v wrote %s", st.args, path)
			}
		}
		for path := range before {
			if _, ok := after[path]; !ok && !allowed(path) {
				t.Errorf("%v removed %s", st.args, path)
			}
		}
	}
	// The checks above must have seen the outputs.
	for _, o := range []string{"out/m.html", "out/m.png", "out/r.md", "out/an/report.html"} {
		if _, err := os.Stat(filepath.Join(root, o)); err != nil {
			t.Errorf("%s was not written: %v", o, err)
		}
	}
}

// mapTextRE finds the compressed text of an interactive map's data (see
// topicmap.WriteHTML) once the page is HTML-unescaped (a report holds the
// map page in an iframe's srcdoc attribute).
var mapTextRE = regexp.MustCompile(`"text":"([A-Za-z0-9+/=]*)"`)

// withMapText returns b followed by the inflated text (snippets and URLs
// as JSON) of every interactive map in it, so that checks of
// what a page holds also see the strings it carries compressed.
func withMapText(t *testing.T, b []byte) []byte {
	t.Helper()
	out := slices.Clone(b)
	for _, m := range mapTextRE.FindAllStringSubmatch(html.UnescapeString(string(b)), -1) {
		z, err := base64.StdEncoding.DecodeString(m[1])
		if err != nil {
			t.Fatalf("map text is not base64: %v", err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatalf("map text is not gzip: %v", err)
		}
		text, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("map text: %v", err)
		}
		out = append(append(out, '\n'), text...)
	}
	return out
}
