package paper_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"unicode/utf8"

	"github.com/papermap/papermap/paper"
)

// fuzzRead reads data in the given format and checks the invariants of
// doc.go: no panic, a bounded number of results (no loop without
// progress), every Paper with an ID and a title or an abstract, positions
// with a line >= 1, valid UTF-8, and the same result when read again. It
// reads with the default record bound and with a bound of 64 bytes, so
// that the skipping of records over the bound is fuzzed too.
func fuzzRead(t *testing.T, format paper.Format, data []byte) {
	for _, max := range []int{0, 64} {
		first := fuzzOnce(t, format, data, max)
		if again := fuzzOnce(t, format, data, max); again != first {
			t.Errorf("reading twice differs:\n%s\n%s", first, again)
		}
	}
}

func fuzzOnce(t *testing.T, format paper.Format, data []byte, max int) string {
	d, err := paper.NewDecoder(bytes.NewReader(data), paper.Options{Format: format, Name: "fuzz", MaxRecordBytes: max})
	if err != nil {
		var ie *paper.InputError
		if !errors.As(err, &ie) {
			t.Fatalf("NewDecoder error %v is not an *InputError", err)
		}
		return "fatal: " + err.Error()
	}
	if d.Format() == paper.FormatAuto || d.Format() == "" {
		t.Fatalf("decoder format %q", d.Format())
	}
	var trace bytes.Buffer
	// Every result but the last consumes at least one byte or one line.
	limit := len(data) + bytes.Count(data, []byte{'\n'}) + 2
	for i := 0; ; i++ {
		if i > limit {
			t.Fatalf("more than %d results from %d bytes: no progress", limit, len(data))
		}
		p, err := d.Next()
		if err == io.EOF {
			return trace.String()
		}
		var re *paper.RecordError
		if errors.As(err, &re) {
			if re.Pos.Line < 1 || re.Pos.File != "fuzz" {
				t.Errorf("record error at %+v: %v", re.Pos, re)
			}
			if !utf8.ValidString(re.Error()) {
				t.Errorf("record error is not UTF-8: %q", re.Error())
			}
			trace.WriteString("skip " + re.Error() + "\n")
			continue
		}
		if err != nil {
			var ie *paper.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("fatal error %v is not an *InputError", err)
			}
			if _, again := d.Next(); again != err {
				t.Errorf("fatal error not sticky: %v then %v", err, again)
			}
			return trace.String() + "fatal: " + err.Error()
		}
		checkPaper(t, p)
		trace.WriteString(p.Source.String() + " " + p.ID + " " + p.ContentHash() + "\n")
	}
}

// addFile adds a fixture as a seed when it exists.
func addFile(f *testing.F, path string) {
	if b, err := os.ReadFile(path); err == nil {
		f.Add(b)
	}
}

func FuzzText(f *testing.F) {
	addFile(f, "../testdata/seed-abstracts.txt")
	addFile(f, "../testdata/sample-blocks.txt")
	f.Add([]byte("Get trending papers!\nSubscribeA Title\nAn abstract that is long enough to be one, since it ends in a full stop here.\n"))
	f.Add([]byte("\uFEFFTitle\r\n\r\nAbstract line one\r\nline two.\r\n"))
	f.Add([]byte("T\nA.\nT\nA.\n\n\n\nLoad more\n"))
	f.Add([]byte("Sign inShare\n<b>x</b>&amp;\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, paper.FormatText, data) })
}

func FuzzJSONL(f *testing.F) {
	addFile(f, "../testdata/sample.json")
	f.Add([]byte(`{"id":"0704.0001","title":"T","abstract":"A","categories":["a","b"],"authors_parsed":[["L","F",""]]}` + "\n"))
	f.Add([]byte(`{"id":1e400,"title":{"x":1},"authors":[{"name":"A"},["B","C"],3],"year":"n.d.","versions":[{"created":"2007"}]}` + "\n[1]\n\n{bad\n"))
	f.Add([]byte(`{"title":"\ud800 bad surrogate","abstract":"<sup>x</sup>&amp;"}` + "\r\n"))
	f.Add([]byte("{\"id\":\"10.1109/WI.2006.127\",\"title\":\"a\\u0000b\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, paper.FormatJSONL, data) })
}

func FuzzJSON(f *testing.F) {
	addFile(f, "../testdata/sample.json")
	f.Add([]byte(`[{"title":"A"},{"title":"B"}]`))
	f.Add([]byte(`{"papers":[{"title":"A"}],"x":{"papers":[1]}} {"title":"B"} [1,"s",null]`))
	f.Add([]byte(`{"data":{"a":[{"b":1}]},"title":"T"}`))
	f.Add([]byte("[\n{\"title\":\"A\"},\n{\"title\":"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, paper.FormatJSON, data) })
}

func FuzzCSV(f *testing.F) {
	addFile(f, "../testdata/sample.csv")
	addFile(f, "testdata/zotero.csv")
	addFile(f, "testdata/scopus.csv")
	f.Add([]byte("title,abstract\nA,\"multi\nline\"\nB,bare \" quote\nC\n"))
	f.Add([]byte("\uFEFFID,Summary,Update Date\r\nx,y,2019\r\n"))
	f.Add([]byte("name,text\na,b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, paper.FormatCSV, data)
		fuzzRead(t, paper.FormatTSV, data)
	})
}

func FuzzBibTeX(f *testing.F) {
	addFile(f, "../testdata/sample.bib")
	f.Add([]byte("@article{k, author = {Bal{\\'a}zs, C. and {Barnes and Noble}}, title = \"T {\\\"o}\" # x, year = 2007}\n"))
	f.Add([]byte("@string{a = {x}}@misc(k, title = a # {$\\frac{1}{2}$ \\texttimes{} -- ``q''})\n@misc{b, title={B\n@misc{c, title={C}}\n"))
	f.Add([]byte("@comment{x}@preamble{\"y\"}\n@\n@misc a\n@misc{, title = {\\'{\\i}\\c c\\ss\\~{}$x$ $5}}"))
	f.Add([]byte("@misc{k, title={\\'{\\'{\\'{e}}}}, abstract={{{{x}}}}}"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, paper.FormatBibTeX, data) })
}

func FuzzRIS(f *testing.F) {
	addFile(f, "testdata/sample.ris")
	f.Add([]byte("TY  - JOUR\r\nT1  - A\r\nN2  - line one\r\nline two\r\nAU  - B, C\r\nER  -\r\n"))
	f.Add([]byte("TI  - stray\nTY  - JOUR\nTY  - BOOK\nTI  - x\nDO  - https://doi.org/10.1/X\n"))
	f.Add([]byte("ER  - \nTY - GEN\nPY  - 2020///\nKW  - a\nKW  - b\nER  - \n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, paper.FormatRIS, data) })
}

func FuzzWoS(f *testing.F) {
	addFile(f, "testdata/savedrecs.txt")
	addFile(f, "testdata/savedrecs-tab.txt")
	f.Add([]byte("FN x\nVR 1.0\nPT J\nAU A, B\n   C, D\nTI T\n   U\nER\nEF\n"))
	f.Add([]byte("PT J\nbad\nPT J\nAB only\nUT WOS:1\nER\nER\n"))
	f.Add([]byte("PT\tTI\tAB\tID\nJ\tT\t\"A\tB\nJ\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, paper.FormatWoS, data) })
}

func FuzzMEDLINE(f *testing.F) {
	addFile(f, "testdata/pubmed.nbib")
	f.Add([]byte("PMID- 1\nTI  - A\n      b\nAID - 10.1/X [doi]\nPMID- 2\nAB  - x\n\n\n      orphan\nFAU - Q\n"))
	f.Add([]byte("\r\nPMID- 3\r\nDP  - 2007 Apr\r\nLID - x [pii]\r\ngarbage\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, paper.FormatMEDLINE, data) })
}

// FuzzDetect checks that detection always names a real format and that
// reading with the detected format keeps the invariants.
func FuzzDetect(f *testing.F) {
	for _, name := range []string{"../testdata/sample.bib", "../testdata/sample.csv", "../testdata/sample.json", "../testdata/sample-blocks.txt",
		"testdata/sample.ris", "testdata/savedrecs.txt", "testdata/savedrecs-tab.txt", "testdata/pubmed.nbib", "testdata/zotero.csv"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add("stdin", b)
		}
	}
	f.Add("x.json", []byte("[{\"title\":\"A\"}]"))
	f.Add("stdin", []byte("{\"title\":\"A\"}\n"))
	f.Add("a.tsv.gz", []byte("\x1f\x8b\x08\x00"))
	f.Add("page", []byte("\x89PNG\r\n\x1a\n\x00"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		got := paper.DetectFormat(name, data)
		if _, err := paper.ParseFormat(string(got)); err != nil || got == paper.FormatAuto {
			t.Fatalf("DetectFormat(%q) = %q", name, got)
		}
		fuzzRead(t, paper.FormatAuto, data)
	})
}
