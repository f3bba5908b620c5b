package paper_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/papermap/papermap/paper"
)

// read reads s with the given format and returns what ReadAll returns,
// failing the test on a fatal error.
func read(t *testing.T, format paper.Format, s string) ([]paper.Paper, []*paper.RecordError) {
	t.Helper()
	ps, skipped, err := paper.ReadAll(strings.NewReader(s), paper.Options{Format: format, Name: "in"})
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	for _, p := range ps {
		checkPaper(t, p)
	}
	for _, e := range skipped {
		if e.Pos.Line < 1 {
			t.Errorf("record error without a line: %v", e)
		}
	}
	return ps, skipped
}

// checkPaper checks the invariants doc.go promises for every Paper.
func checkPaper(t testing.TB, p paper.Paper) {
	t.Helper()
	if p.ID == "" {
		t.Errorf("paper at %v has no ID", p.Source)
	}
	if p.Title == "" && p.Abstract == "" {
		t.Errorf("paper %s has neither title nor abstract", p.ID)
	}
	if p.Source.Line < 1 {
		t.Errorf("paper %s has source line %d", p.ID, p.Source.Line)
	}
	strs := []string{p.ID, p.Title, p.Abstract, p.DOI, p.URL}
	strs = append(strs, p.Authors...)
	strs = append(strs, p.Categories...)
	for k, v := range p.Extra {
		strs = append(strs, k, v)
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			t.Errorf("paper %s holds invalid UTF-8: %q", p.ID, s)
		}
	}
	for _, s := range []string{p.Title, p.Abstract} {
		if s != strings.Join(strings.Fields(s), " ") {
			t.Errorf("paper %s: text not trimmed and collapsed: %q", p.ID, s)
		}
	}
}

func titles(ps []paper.Paper) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Title)
	}
	return out
}

func lines(skipped []*paper.RecordError) []int {
	var out []int
	for _, e := range skipped {
		out = append(out, e.Pos.Line)
	}
	return out
}

func TestSeedFile(t *testing.T) {
	ps, skipped, err := paper.ReadFile("../testdata/seed-abstracts.txt", paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 66 papers: the count given in shared/data/README.md for this file
	// (134 lines = 2 header lines + 66 title/abstract pairs).
	if len(ps) != 66 || len(skipped) != 0 {
		t.Fatalf("read %d papers, %d skipped; want 66, 0: %v", len(ps), len(skipped), skipped)
	}
	if want := "Efficient LoFTR: Semi-Dense Local Feature Matching with Sparse-Like Speed"; ps[0].Title != want {
		t.Errorf("first title = %q, want %q", ps[0].Title, want)
	}
	ids := map[string]bool{}
	for i, p := range ps {
		checkPaper(t, p)
		if strings.HasPrefix(p.Title, "Subscribe") {
			t.Errorf("title %d keeps the page chrome: %q", i, p.Title)
		}
		if p.Source.Line != 3+2*i {
			t.Errorf("paper %d at line %d, want %d", i, p.Source.Line, 3+2*i)
		}
		if len(p.Abstract) < 300 {
			t.Errorf("paper %d: abstract of %d bytes looks like a title: %q", i, len(p.Abstract), p.Abstract)
		}
		if !strings.HasPrefix(p.ID, "t:") || ids[p.ID] {
			t.Errorf("paper %d: ID %q not derived or not unique", i, p.ID)
		}
		ids[p.ID] = true
	}
}

func TestTextLayouts(t *testing.T) {
	long := func(s string) string { return s + strings.Repeat(" More words in a long abstract sentence.", 10) }
	a1, a2, a3 := long("First abstract."), long("Second abstract."), long("Third abstract.")
	tests := []struct {
		name        string
		in          string
		wantTitles  []string
		wantSkipped []int // lines
	}{
		{
			name:       "alternate lines",
			in:         "Title one\n" + a1 + "\nTitle two\n" + a2 + "\n",
			wantTitles: []string{"Title one", "Title two"},
		},
		{
			name:       "header chrome",
			in:         "Get trending papers in your email inbox!\nSign in\nSubscribeTitle one\n" + a1 + "\n",
			wantTitles: []string{"Title one"},
		},
		{
			name:       "blank line blocks with wrapped abstracts",
			in:         "Menu\n\nTitle one\nA first abstract that is wrapped\nover two short lines.\n\nTitle two\nAnother abstract.\n",
			wantTitles: []string{"Title one", "Title two"},
		},
		{
			name:        "orphan abstract after the start",
			in:          "Title one\n" + a1 + "\n" + a2 + "\nTitle three\n" + a3 + "\n",
			wantTitles:  []string{"Title one", "Title three"},
			wantSkipped: []int{3},
		},
		{
			name:        "orphan abstract at the start",
			in:          a1 + "\nTitle two\n" + a2 + "\n",
			wantTitles:  []string{"Title two"},
			wantSkipped: []int{1},
		},
		{
			name:        "title without abstract in the middle and at the end",
			in:          "Title one\n" + a1 + "\nStray line\nTitle two\n" + a2 + "\nLoad more\n",
			wantTitles:  []string{"Title one", "Title two"},
			wantSkipped: []int{3, 6},
		},
		{
			name:       "short abstract between pairs",
			in:         "Title one\n" + a1 + "\nTitle two\nA short abstract of exactly one sentence, which is still long enough to count as one.\nTitle three\n" + a3 + "\n",
			wantTitles: []string{"Title one", "Title two", "Title three"},
		},
		{
			name:       "short alternating block",
			in:         "Title one\nA short first abstract.\nTitle two\nA short second abstract.\n",
			wantTitles: []string{"Title one", "Title two"},
		},
		{
			name:       "crlf and bom",
			in:         "\uFEFFTitle one\r\n" + a1 + "\r\n\r\nTitle two\r\n" + a2 + "\r\n",
			wantTitles: []string{"Title one", "Title two"},
		},
		{
			name:       "chrome words glued to titles",
			in:         "SubscribeEfficient LoFTR\n" + a1 + "\nShareGPT4V: Improving Captions\n" + a2 + "\nPDFormer: Traffic\n" + a3 + "\n",
			wantTitles: []string{"Efficient LoFTR", "ShareGPT4V: Improving Captions", "PDFormer: Traffic"},
		},
		{
			name:       "chrome lines between papers",
			in:         "Title one\n" + a1 + "\nShare\nPDF\nTitle two\n" + a2 + "\n",
			wantTitles: []string{"Title one", "Title two"},
		},
		{
			name:       "html in titles",
			in:         "The Semantic Web 10<sup>th</sup> Year Update &amp; more\n" + a1 + "\n",
			wantTitles: []string{"The Semantic Web 10th Year Update & more"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, skipped := read(t, paper.FormatText, tt.in)
			if got := titles(ps); !reflect.DeepEqual(got, tt.wantTitles) {
				t.Errorf("titles = %q, want %q", got, tt.wantTitles)
			}
			if got := lines(skipped); !reflect.DeepEqual(got, tt.wantSkipped) {
				t.Errorf("skipped at lines %v, want %v (%v)", got, tt.wantSkipped, skipped)
			}
		})
	}
}

func TestTextBlocksFixture(t *testing.T) {
	ps, skipped, err := paper.ReadFile("../testdata/sample-blocks.txt", paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Calculation of prompt diphoton production cross sections at Tevatron and LHC energies", "Sparsity-certifying Graph Decompositions"}
	if !reflect.DeepEqual(titles(ps), want) {
		t.Errorf("titles = %q, want %q", titles(ps), want)
	}
	if !strings.HasSuffix(ps[0].Abstract, "is presented for the production of massive photon pairs at hadron colliders.") {
		t.Errorf("wrapped abstract not joined: %q", ps[0].Abstract)
	}
	// "Load more" on line 12 is page chrome after the papers: reported.
	if len(skipped) != 1 || skipped[0].Pos.Line != 12 {
		t.Errorf("skipped = %v, want one record at line 12", skipped)
	}
}

func TestJSONL(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, p paper.Paper)
	}{
		{"arxiv fields", `{"id": "0704.0002", "title": "Sparsity", "abstract": "We describe.", "categories": ["math.CO", "cs.CG"], "primary": "math.CO", "archive": "math", "license": null}`,
			func(t *testing.T, p paper.Paper) {
				want := paper.Paper{ID: "0704.0002", Title: "Sparsity", Abstract: "We describe.", Year: 2007, Categories: []string{"math.CO", "cs.CG"},
					Extra: map[string]string{"primary": "math.CO", "archive": "math"}, Source: p.Source}
				if !reflect.DeepEqual(p, want) {
					t.Errorf("got %+v\nwant %+v", p, want)
				}
			}},
		{"summary alias and string authors", `{"id":"x","title":"T","summary":"S.","authors":"C. Bal\u00e1zs, E. L. Berger and C.-P. Yuan","update_date":"2008-11-13","categories":"hep-ph astro-ph"}`,
			func(t *testing.T, p paper.Paper) {
				if p.Abstract != "S." || p.Year != 2008 || !reflect.DeepEqual(p.Authors, []string{"C. Balázs", "E. L. Berger", "C.-P. Yuan"}) ||
					!reflect.DeepEqual(p.Categories, []string{"hep-ph", "astro-ph"}) || p.Extra["update_date"] != "2008-11-13" {
					t.Errorf("got %+v", p)
				}
			}},
		{"authors_parsed", `{"title":"T","authors_parsed":[["Bal\u00e1zs","C.",""],["Yuan","C.-P.","Jr"]]}`,
			func(t *testing.T, p paper.Paper) {
				if !reflect.DeepEqual(p.Authors, []string{"C. Balázs", "C.-P. Yuan Jr"}) {
					t.Errorf("authors = %q", p.Authors)
				}
			}},
		{"author objects", `{"title":"T","authors":[{"name":"Ada Lovelace"},{"given":"Charles","family":"Babbage"}]}`,
			func(t *testing.T, p paper.Paper) {
				if !reflect.DeepEqual(p.Authors, []string{"Ada Lovelace", "Charles Babbage"}) {
					t.Errorf("authors = %q", p.Authors)
				}
			}},
		{"numeric id and year", `{"id": 12345678901234567890, "Title": "T", "YEAR": "2019"}`,
			func(t *testing.T, p paper.Paper) {
				if p.ID != "12345678901234567890" || p.Year != 2019 {
					t.Errorf("id %q year %d", p.ID, p.Year)
				}
			}},
		{"doi as id", `{"title":"T","doi":"https://doi.org/10.1145/ABC.1"}`,
			func(t *testing.T, p paper.Paper) {
				if p.ID != "10.1145/ABC.1" || p.DOI != "10.1145/ABC.1" {
					t.Errorf("id %q doi %q", p.ID, p.DOI)
				}
			}},
		{"doi-shaped id kept as written", `{"id":"10.1109/WI.2006.127","title":"T"}`,
			func(t *testing.T, p paper.Paper) {
				if p.ID != "10.1109/WI.2006.127" {
					t.Errorf("id %q", p.ID)
				}
			}},
		{"derived id", `{"title":"  Deep   Learning "}`,
			func(t *testing.T, p paper.Paper) {
				if p.ID != paper.DeriveID("deep learning", "") {
					t.Errorf("id %q, want DeriveID of the title", p.ID)
				}
			}},
		{"acm fields and html", `{"id": "10.1145/1988688.1988690", "venue": "wims", "type": "inproceedings", "year": "2011", "title": "The Semantic Web 10<sup>th</sup> Year Update", "abstract": "", "keywords": "open data, semantic web", "series": "WIMS '11"}`,
			func(t *testing.T, p paper.Paper) {
				if p.Title != "The Semantic Web 10th Year Update" || p.Abstract != "" || p.Year != 2011 ||
					p.Extra["keywords"] != "open data, semantic web" || p.Extra["venue"] != "wims" || p.Extra["type"] != "inproceedings" {
					t.Errorf("got %+v", p)
				}
				if _, ok := p.Extra["abstract"]; ok {
					t.Errorf("empty abstract went to Extra")
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, skipped := read(t, paper.FormatJSONL, tt.in+"\n")
			if len(ps) != 1 || len(skipped) != 0 {
				t.Fatalf("got %d papers, skipped %v", len(ps), skipped)
			}
			tt.check(t, ps[0])
		})
	}
}

func TestJSONLBadLines(t *testing.T) {
	in := `{"id":"a","title":"A"}
{"id":"b","title":"B"
[1, 2]

{"id":"c","abstract":"C."} trailing
{"id":"d","title":"","abstract":""}
{"id":"e","title":"E"}
`
	ps, skipped := read(t, paper.FormatJSONL, in)
	if got := titles(ps); !reflect.DeepEqual(got, []string{"A", "E"}) {
		t.Errorf("titles = %q", got)
	}
	if got := lines(skipped); !reflect.DeepEqual(got, []int{2, 3, 5, 6}) {
		t.Errorf("skipped at %v, want [2 3 5 6]: %v", got, skipped)
	}
	if skipped[3].Reason != "no title and no abstract" || skipped[3].ID != "d" {
		t.Errorf("got %q (id %q)", skipped[3].Reason, skipped[3].ID)
	}
	if want := "in:2: invalid JSON"; !strings.HasPrefix(skipped[0].Error(), want) {
		t.Errorf("error %q does not start with %q", skipped[0].Error(), want)
	}
}

func TestArxivFixture(t *testing.T) {
	ps, skipped, err := paper.ReadFile("../testdata/arxiv-2007-04-2000.jsonl", paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 2,000 records: the row count in shared/data/README.md.
	if len(ps) != 2000 || len(skipped) != 0 {
		t.Fatalf("read %d, skipped %d", len(ps), len(skipped))
	}
	for _, p := range ps {
		checkPaper(t, p)
		if p.Extra["archive"] == "" || p.Extra["primary"] == "" || len(p.Categories) == 0 {
			t.Fatalf("paper %s lacks archive, primary or categories: %+v", p.ID, p)
		}
	}
	if ps[0].ID != "0704.0001" || ps[1999].Source.Line != 2000 {
		t.Errorf("first ID %q, last line %d", ps[0].ID, ps[1999].Source.Line)
	}
}

func TestJSONDocuments(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		wantTitles  []string
		wantLines   []int
		wantSkipped []int
	}{
		{"array", "[\n {\"title\": \"A\"},\n {\"title\": \"B\"}\n]\n", []string{"A", "B"}, []int{2, 3}, nil},
		{"array on one line", `[{"title": "A"}, {"title": "B"}]`, []string{"A", "B"}, []int{1, 1}, nil},
		{"single object", "{\n  \"title\": \"A\",\n  \"authors\": [\"X\"]\n}\n", []string{"A"}, []int{1}, nil},
		{"wrapper", "{\"count\": 2,\n \"papers\": [\n  {\"title\": \"A\"},\n  {\"title\": \"B\"}],\n \"next\": {\"page\": 2}}", []string{"A", "B"}, []int{3, 4}, nil},
		{"wrapper without list is a record", `{"title": "A", "data": "x"}`, []string{"A"}, []int{1}, nil},
		{"concatenated", "{\"title\": \"A\"}\n{\"title\": \"B\"}\n[{\"title\": \"C\"}]", []string{"A", "B", "C"}, []int{1, 2, 3}, nil},
		{"non-objects skipped", "[\n1,\n{\"title\": \"A\"},\n\"s\",\n[],\n{}\n]", []string{"A"}, []int{3}, []int{2, 4, 5, 6}},
		{"empty array", "[]", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, skipped := read(t, paper.FormatJSON, tt.in)
			if got := titles(ps); !reflect.DeepEqual(got, tt.wantTitles) {
				t.Errorf("titles = %q, want %q", got, tt.wantTitles)
			}
			var got []int
			for _, p := range ps {
				got = append(got, p.Source.Line)
			}
			if !reflect.DeepEqual(got, tt.wantLines) {
				t.Errorf("lines = %v, want %v", got, tt.wantLines)
			}
			if got := lines(skipped); !reflect.DeepEqual(got, tt.wantSkipped) {
				t.Errorf("skipped at %v, want %v (%v)", got, tt.wantSkipped, skipped)
			}
		})
	}
}

func TestJSONLNamedFileHoldingJSON(t *testing.T) {
	// Detected from the name as JSON Lines, but pretty-printed: read as JSON.
	in := "[\n  {\n    \"title\": \"A\"\n  }\n]\n"
	ps, skipped, err := paper.ReadAll(strings.NewReader(in), paper.Options{Name: "x.jsonl"})
	if err != nil || len(ps) != 1 || len(skipped) != 0 || ps[0].Source.Line != 2 {
		t.Errorf("got %d papers at %v, skipped %v, err %v", len(ps), ps, skipped, err)
	}
}

func TestJSONSyntaxErrors(t *testing.T) {
	// A bad element inside balanced brackets is one bad record: the
	// elements after it are read.
	in := "[\n{\"title\": \"A\"},\n{\"title\": \"B\",,}\n,{\"title\": \"C\"}]"
	ps, skipped, err := paper.ReadAll(strings.NewReader(in), paper.Options{Format: paper.FormatJSON, Name: "in.json"})
	if err != nil || !reflect.DeepEqual(titles(ps), []string{"A", "C"}) || !reflect.DeepEqual(lines(skipped), []int{3}) ||
		!strings.HasPrefix(skipped[0].Error(), "in.json:3: invalid JSON") {
		t.Errorf("got %q, skipped %v, err %v; want A and C, in.json:3 skipped", titles(ps), skipped, err)
	}
	// A break in the structure between elements is fatal, at its line.
	for _, tt := range []struct {
		in   string
		line int
	}{
		{"[\n{\"title\": \"A\"}\n{\"title\": \"B\"}]", 3},   // missing comma
		{"[\n{\"title\": \"A\"},\n{\"title\": \"B\"", 3},    // cut short
		{"{\"papers\": [{\"title\": \"A\"}]\n \"x\" 1}", 2}, // missing comma in the wrapper
		{"{\"title\": \"A\"}\n]", 2},                        // stray bracket
	} {
		ps, _, err := paper.ReadAll(strings.NewReader(tt.in), paper.Options{Format: paper.FormatJSON, Name: "in.json"})
		var ie *paper.InputError
		if !errors.As(err, &ie) || ie.Pos.Line != tt.line || !strings.Contains(err.Error(), "invalid JSON") {
			t.Errorf("%q: err = %v, want an InputError at in.json:%d", tt.in, err, tt.line)
		}
		if len(ps) != 1 || ps[0].Title != "A" {
			t.Errorf("%q: papers before the error = %q", tt.in, titles(ps))
		}
	}
}

func TestJSONFixture(t *testing.T) {
	ps, skipped, err := paper.ReadFile("../testdata/sample.json", paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 3 || len(skipped) != 1 || skipped[0].Pos.Line != 21 {
		t.Fatalf("got %d papers, skipped %v", len(ps), skipped)
	}
	want := paper.Paper{
		ID: "0704.0001", Title: "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies",
		Abstract: "A fully differential calculation in perturbative quantum chromodynamics is presented for the production of massive photon pairs at hadron colliders.",
		Authors:  []string{"C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"}, Year: 2007, Categories: []string{"hep-ph"},
		Extra:  map[string]string{"primary": "hep-ph", "published": "2007-04-02T19:18:42Z"},
		Source: paper.Position{File: "../testdata/sample.json", Line: 4},
	}
	if !reflect.DeepEqual(ps[0], want) {
		t.Errorf("got  %+v\nwant %+v", ps[0], want)
	}
	if ps[1].ID != "704.0002" || ps[1].Year != 2007 || !reflect.DeepEqual(ps[1].Authors, []string{"Ileana Streinu", "Louis Theran"}) {
		t.Errorf("second paper %+v", ps[1])
	}
	if ps[2].Year != 2007 || ps[2].Abstract != "" {
		t.Errorf("third paper %+v", ps[2])
	}
}

func TestCSV(t *testing.T) {
	ps, skipped, err := paper.ReadFile("../testdata/sample.csv", paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(skipped); !reflect.DeepEqual(got, []int{5}) || !strings.Contains(skipped[0].Reason, "row has 3 fields, the header has 6") {
		t.Errorf("skipped %v, want the ragged row at line 5", skipped)
	}
	if len(ps) != 3 {
		t.Fatalf("got %d papers", len(ps))
	}
	if ps[1].Source.Line != 3 || !strings.Contains(ps[1].Abstract, `the "pebble game with colors", and use it`) ||
		!reflect.DeepEqual(ps[1].Authors, []string{"Ileana Streinu", "Louis Theran"}) || !reflect.DeepEqual(ps[1].Categories, []string{"math.CO", "cs.CG"}) {
		t.Errorf("multi-line record: %+v", ps[1])
	}
	if ps[2].Source.Line != 6 || ps[2].Abstract != "" || ps[2].ID != "0704.0004" {
		t.Errorf("last record: %+v", ps[2])
	}
}

func TestCSVVariants(t *testing.T) {
	tests := []struct {
		name        string
		format      paper.Format
		in          string
		wantTitles  []string
		wantSkipped []int
	}{
		{"tsv with quotes in fields", paper.FormatTSV, "Title\tAbstract\tVenue\nA \"quoted\" word\tText.\tX\nB\tMore.\tY\n", []string{`A "quoted" word`, "B"}, nil},
		{"csv bare quote", paper.FormatCSV, "title,abstract\nA,ok\nB \"x\",bad\nC,ok\n", []string{"A", "C"}, []int{3}},
		{"crlf and bom", paper.FormatCSV, "\uFEFFTitle,Summary\r\nA,\"one\r\ntwo\"\r\nB,three\r\n", []string{"A", "B"}, nil},
		{"columns by alias and case", paper.FormatCSV, "ID,Summary,Update Date\nx1,Only an abstract.,2019-01-01\n", []string{""}, nil},
		{"empty row fields", paper.FormatCSV, "title,abstract\n,\nA,\n", []string{"A"}, []int{2}},
		{"unclosed quote", paper.FormatCSV, "title,abstract\nA,ok\nB,\"never closed\nC,x\n", []string{"A"}, []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, skipped := read(t, tt.format, tt.in)
			if got := titles(ps); !reflect.DeepEqual(got, tt.wantTitles) {
				t.Errorf("titles = %q, want %q", got, tt.wantTitles)
			}
			if got := lines(skipped); !reflect.DeepEqual(got, tt.wantSkipped) {
				t.Errorf("skipped at %v, want %v (%v)", got, tt.wantSkipped, skipped)
			}
		})
	}
}

func TestCSVWithoutTitleColumn(t *testing.T) {
	_, _, err := paper.ReadAll(strings.NewReader("name,text\na,b\n"), paper.Options{Format: paper.FormatCSV, Name: "x.csv"})
	var ie *paper.InputError
	if !errors.As(err, &ie) || ie.Pos.Line != 1 || !strings.Contains(err.Error(), "no title or abstract column") {
		t.Errorf("err = %v, want a fatal header error at x.csv:1", err)
	}
}

func TestBibTeXFixture(t *testing.T) {
	ps, skipped, err := paper.ReadFile("../testdata/sample.bib", paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The broken entry starts on line 32 and is reported there; reading
	// resumes at the next entry.
	if len(skipped) != 1 || skipped[0].Pos.Line != 32 || !strings.Contains(skipped[0].Reason, "not closed before the next entry at line 36") {
		t.Errorf("skipped = %v", skipped)
	}
	if len(ps) != 4 {
		t.Fatalf("got %d papers: %q", len(ps), titles(ps))
	}
	want := paper.Paper{
		ID:       "10.48550/arXiv.0704.0001",
		Title:    "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies",
		Abstract: "A fully differential calculation in perturbative quantum chromodynamics is presented for the production of massive photon pairs at hadron colliders.",
		Authors:  []string{"Balázs, C.", "Berger, E. L.", "Nadolsky, P. M.", "Yuan, C.-P."},
		Year:     2007,
		DOI:      "10.48550/arXiv.0704.0001",
		Extra: map[string]string{"journal": "High Energy Physics – Phenomenology", "month": "April",
			"type": "article", "citekey": "Balazs2007diphoton"},
		Source: paper.Position{File: "../testdata/sample.bib", Line: 12},
	}
	if !reflect.DeepEqual(ps[0], want) {
		t.Errorf("got  %+v\nwant %+v", ps[0], want)
	}
	if p := ps[1]; p.ID != "Streinu2007" || p.Abstract != "We describe a new algorithm, the (k,ℓ)-pebble game with colors, and use it obtain a characterization of the family of (k,ℓ)-sparse graphs." ||
		p.Extra["keywords"] != "pebble games, (k,ℓ)-sparse graphs" || p.Extra["type"] != "article" {
		t.Errorf("quoted entry: %+v", p)
	}
	if p := ps[2]; p.ID != "Callan2007" || p.Abstract != "" || p.Text() != p.Title ||
		p.Extra["booktitle"] != "Proceedings of a Workshop on Ökonomie & Graphs" || p.Extra["pages"] != "1–10" {
		t.Errorf("entry without abstract: %+v", p)
	}
	if p := ps[3]; p.Title != "From dyadic Λ_α to Λ_α" || !strings.HasSuffix(p.Abstract, "This result costs $5 and $10.") ||
		!reflect.DeepEqual(p.Authors, []string{"Aldaz, J. M.", "García, M.", "Straßer, T."}) ||
		p.Extra["note"] != "10th naïve test – with 3× speed" {
		t.Errorf("latex entry: %+v", p)
	}
}

func TestBibTeXSyntax(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		wantTitles  []string
		wantIDs     []string
		wantSkipped []int
	}{
		{"parentheses", "@article(k1, title = {A (1)}, year = 2000)\n", []string{"A (1)"}, []string{"k1"}, nil},
		{"two entries on a line", "@misc{a, title={A}} @misc{b, title={B}}\n", []string{"A", "B"}, []string{"a", "b"}, nil},
		{"no key", "@misc{title = {A}}\n", []string{"A"}, []string{paper.DeriveID("A", "")}, nil},
		{"macros and concatenation", "@STRING{ conf = \"Conf\" }\n@string(yr = {20})\n@misc{a, title = conf # { on } # \"X\", year = yr # {19}, month = dec}\n", []string{"Conf on X"}, []string{"a"}, nil},
		{"undefined macro reads as its name", "@misc{a, title = undefinedmacro}\n", []string{"undefinedmacro"}, []string{"a"}, nil},
		{"comment text outside entries", "Some notes, mail me at a@b.org\n% @misc{x, title={Not an entry}}\n@misc{a, title={A}}\n", []string{"A"}, []string{"a"}, nil},
		{"comment and preamble", "@comment{x}\n@preamble{\"\\foo\"}\n@misc{a, title={A}}\n", []string{"A"}, []string{"a"}, nil},
		{"at without entry", "@\n@misc{a, title={A}}\n", []string{"A"}, []string{"a"}, []int{1}},
		{"type without brace", "@misc a\n@misc{a, title={A}}\n", []string{"A"}, []string{"a"}, []int{1}},
		{"unclosed at end", "@misc{a, title={A}}\n@misc{b, title={B\n", []string{"A"}, []string{"a"}, []int{2}},
		{"bad field syntax", "@misc{a, title {A}}\n@misc{b, title={B}}\n", []string{"B"}, []string{"b"}, []int{1}},
		{"missing comma between fields", "@misc{a, title={A} year={2000}}\n@misc{b, title={B}}\n", []string{"B"}, []string{"b"}, []int{1}},
		{"no title and no abstract", "@misc{a, year={2000}}\n", nil, nil, []int{1}},
		{"escaped braces", "@misc{a, title={A \\{set\\} of \\} things}}\n", []string{"A {set} of } things"}, []string{"a"}, nil},
		{"quoted with braces and escaped quote", "@misc{a, title=\"The {\"}Quote{\"} and Ren\\\"e\"}\n", []string{"The \"Quote\" and Renë"}, []string{"a"}, nil},
		{"doi wins over key", "@misc{key1, title={A}, doi={10.1000/XYZ}}\n", []string{"A"}, []string{"10.1000/XYZ"}, nil},
		{"id field wins", "@misc{key1, id={my-id}, title={A}, doi={10.1000/xyz}}\n", []string{"A"}, []string{"my-id"}, nil},
		{"acm multi-line indented", "@Article{\t  10.5555/1.2,\n  author\t= {A, B},\n  title\t\t= {Applying Semantic Networks to Hypertext Design: Effects on\n\t\t  Knowledge Structure}\n}\n", []string{"Applying Semantic Networks to Hypertext Design: Effects on Knowledge Structure"}, []string{"10.5555/1.2"}, nil},
		{"crlf", "@misc{a,\r\n title={A\r\n B},\r\n}\r\n", []string{"A B"}, []string{"a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, skipped := read(t, paper.FormatBibTeX, tt.in)
			if got := titles(ps); !reflect.DeepEqual(got, tt.wantTitles) {
				t.Errorf("titles = %q, want %q", got, tt.wantTitles)
			}
			var ids []string
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			if !reflect.DeepEqual(ids, tt.wantIDs) {
				t.Errorf("ids = %q, want %q", ids, tt.wantIDs)
			}
			if got := lines(skipped); !reflect.DeepEqual(got, tt.wantSkipped) {
				t.Errorf("skipped at %v, want %v (%v)", got, tt.wantSkipped, skipped)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("@article{a, title={A}}\n"))
	zw.Close()
	tests := []struct {
		name string
		file string
		head string
		want paper.Format
	}{
		{"txt", "a.txt", "{}", paper.FormatText},
		{"jsonl", "a.JSONL", "", paper.FormatJSONL},
		{"ndjson", "a.ndjson", "", paper.FormatJSONL},
		{"json", "a.json", "", paper.FormatJSON},
		{"csv", "a.csv", "", paper.FormatCSV},
		{"tsv", "a.tsv", "", paper.FormatTSV},
		{"bib", "refs.bib", "", paper.FormatBibTeX},
		{"gz suffix", "docs.jsonl.gz", "", paper.FormatJSONL},
		{"sniff jsonl", "stdin", "{\"title\": \"A\"}\n{\"title\": \"B\"}\n", paper.FormatJSONL},
		{"sniff jsonl cut line", "stdin", `{"title": "A very long li`, paper.FormatJSONL},
		{"sniff json object", "stdin", "{\n \"papers\": []\n}\n", paper.FormatJSON},
		{"sniff json array", "stdin", "  [\n{}]", paper.FormatJSON},
		{"sniff bibtex", "stdin", "% refs\n\n@InProceedings{x,\n", paper.FormatBibTeX},
		{"sniff tsv", "data", "id\ttitle\tabstract\n", paper.FormatTSV},
		{"sniff csv", "data", "\"id\",\"Title\",\"year\"\n", paper.FormatCSV},
		{"sniff gzip", "stdin", gz.String(), paper.FormatBibTeX},
		{"sniff text", "page", "Some title\nSome abstract.\n", paper.FormatText},
		{"empty", "", "", paper.FormatText},
		{"bom", "x", "\uFEFF[{}]", paper.FormatJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paper.DetectFormat(tt.file, []byte(tt.head)); got != tt.want {
				t.Errorf("DetectFormat(%q, %q) = %q, want %q", tt.file, tt.head, got, tt.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want paper.Format
	}{
		{"", paper.FormatAuto}, {"auto", paper.FormatAuto}, {"TXT", paper.FormatText}, {"text", paper.FormatText},
		{"jsonl", paper.FormatJSONL}, {"ndjson", paper.FormatJSONL}, {"json", paper.FormatJSON},
		{"csv", paper.FormatCSV}, {"tsv", paper.FormatTSV}, {"bib", paper.FormatBibTeX}, {"bibtex", paper.FormatBibTeX},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := paper.ParseFormat(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("ParseFormat(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
	_, err := paper.ParseFormat("xml")
	if err == nil || !strings.Contains(err.Error(), "auto, txt, jsonl, json, csv, tsv, bib") {
		t.Errorf("ParseFormat(xml) error %v does not list the formats", err)
	}
}

// The bad-input cases of the brief, one test each.

func TestEmptyInput(t *testing.T) {
	for _, f := range []paper.Format{paper.FormatAuto, paper.FormatText, paper.FormatJSONL, paper.FormatJSON, paper.FormatCSV, paper.FormatTSV, paper.FormatBibTeX} {
		t.Run(string(f), func(t *testing.T) {
			for _, in := range []string{"", "\n\n", "\uFEFF", "  \r\n"} {
				ps, skipped, err := paper.ReadAll(strings.NewReader(in), paper.Options{Format: f})
				if err != nil || len(ps) != 0 || len(skipped) != 0 {
					t.Errorf("ReadAll(%q) = %d papers, %v, %v; want nothing", in, len(ps), skipped, err)
				}
			}
		})
	}
}

func TestBinaryInput(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"), make([]byte, 100)...)
	rnd := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.IntN(256))
	}
	late := []byte(strings.Repeat("Title\nAn abstract line that is plain text.\n", 3000) + "\x00binary")
	tests := []struct {
		name   string
		in     []byte
		format paper.Format
		at     string
	}{
		{"png", png, paper.FormatAuto, "byte 8"},
		{"png as bib", png, paper.FormatBibTeX, "byte 8"},
		{"random bytes", rnd, paper.FormatAuto, "byte"},
		{"nul after the head", late, paper.FormatText, "byte 129000"},
		{"utf-16", []byte("\xff\xfeT\x00i\x00"), paper.FormatAuto, "UTF-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, _, err := paper.ReadAll(bytes.NewReader(tt.in), paper.Options{Format: tt.format, Name: "img.png"})
			if !errors.Is(err, paper.ErrNotText) {
				t.Fatalf("err = %v, want ErrNotText", err)
			}
			if !strings.HasPrefix(err.Error(), "img.png: not a text file (") || !strings.Contains(err.Error(), tt.at) {
				t.Errorf("error %q, want \"img.png: not a text file (... %s ...)\"", err, tt.at)
			}
			for _, p := range ps {
				if strings.ContainsRune(p.Title+p.Abstract, 0) {
					t.Errorf("garbage paper %q", p.Title)
				}
			}
		})
	}
}

func TestInvalidUTF8(t *testing.T) {
	// Documented in doc.go: invalid bytes become U+FFFD and the record is kept.
	for _, f := range []paper.Format{paper.FormatText, paper.FormatJSONL, paper.FormatCSV, paper.FormatBibTeX} {
		t.Run(string(f), func(t *testing.T) {
			var in string
			switch f {
			case paper.FormatText:
				in = "Caf\xe9 title\nAn abstract.\n"
			case paper.FormatJSONL:
				in = "{\"title\": \"Caf\xe9 title\", \"abstract\": \"An abstract.\"}\n"
			case paper.FormatCSV:
				in = "title,abstract\nCaf\xe9 title,An abstract.\n"
			case paper.FormatBibTeX:
				in = "@misc{a, title={Caf\xe9 title}, abstract={An abstract.}}\n"
			}
			ps, skipped := read(t, f, in)
			if len(ps) != 1 || len(skipped) != 0 || ps[0].Title != "Caf\uFFFD title" {
				t.Errorf("got %q, skipped %v", titles(ps), skipped)
			}
		})
	}
}

func TestHugeAbstract(t *testing.T) {
	abstract := strings.Repeat("word ", 1<<20) // 5 MiB on one line
	abstract = strings.TrimSpace(abstract)
	for _, tt := range []struct {
		format   paper.Format
		in       string
		nextLine int
	}{
		{paper.FormatText, "A title\n" + abstract + "\nNext title\nA short abstract that is just long enough to count, since it ends in a full stop.\n", 3},
		{paper.FormatJSONL, `{"title":"A title","abstract":"` + abstract + "\"}\n{\"title\":\"Next title\"}\n", 2},
		{paper.FormatJSON, `[{"title":"A title","abstract":"` + abstract + "\"},\n{\"title\":\"Next title\"}]", 2},
		{paper.FormatCSV, "title,abstract\nA title," + abstract + "\nNext title,x\n", 3},
		{paper.FormatBibTeX, "@misc{a, title={A title}, abstract={" + abstract + "}}\n@misc{b, title={Next title}}\n", 2},
	} {
		t.Run(string(tt.format), func(t *testing.T) {
			ps, skipped := read(t, tt.format, tt.in)
			if len(ps) != 2 || len(skipped) != 0 {
				t.Fatalf("got %d papers, skipped %v", len(ps), skipped)
			}
			if ps[0].Abstract != abstract || ps[1].Title != "Next title" || ps[1].Source.Line != tt.nextLine {
				t.Errorf("abstract of %d bytes (want %d), next %q at line %d (want %d)", len(ps[0].Abstract), len(abstract), ps[1].Title, ps[1].Source.Line, tt.nextLine)
			}
		})
	}
}

func TestHugeLine(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 100 MB line")
	}
	const size = 100 << 20
	line := bytes.Repeat([]byte("abcdefgh "), size/9)
	for _, f := range []paper.Format{paper.FormatText, paper.FormatJSONL} {
		t.Run(string(f), func(t *testing.T) {
			var in io.Reader = bytes.NewReader(line)
			if f == paper.FormatJSONL {
				in = io.MultiReader(strings.NewReader(`{"title":"T","abstract":"`), bytes.NewReader(line), strings.NewReader("\"}\n"))
			}
			before := allocated()
			d, err := paper.NewDecoder(in, paper.Options{Format: f, MaxRecordBytes: 2 * size}) // within the bound
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for ; ; n++ {
				_, err := d.Next()
				if err == io.EOF {
					break
				}
				var re *paper.RecordError
				if err != nil && !errors.As(err, &re) {
					t.Fatal(err)
				}
			}
			// Bytes allocated in all while reading, an upper bound on the
			// peak: a small multiple of the line.
			got := allocated() - before
			t.Logf("allocated %d MB in all to read a %d MB line", got>>20, len(line)>>20)
			if got > 6*uint64(len(line)) {
				t.Errorf("allocated %d MB to read a %d MB line", got>>20, len(line)>>20)
			}
			if n != 1 {
				t.Errorf("got %d results, want 1 (the text line is an orphan abstract, the JSON line a paper)", n)
			}
		})
	}
}

func TestBOMAndCRLF(t *testing.T) {
	in := "\uFEFF{\"title\":\"A\"}\r\n{\"title\":\"B\"}\r\n"
	ps, skipped := read(t, paper.FormatAuto, in)
	if got := titles(ps); !reflect.DeepEqual(got, []string{"A", "B"}) || len(skipped) != 0 {
		t.Errorf("titles %q, skipped %v", got, skipped)
	}
}

func TestGzipInput(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, "\uFEFFid\ttitle\tabstract\r\nx\tA\tB\r\n")
	zw.Close()
	d, err := paper.NewDecoder(&buf, paper.Options{Name: "data.tsv.gz"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Format() != paper.FormatTSV {
		t.Errorf("format %q", d.Format())
	}
	p, err := d.Next()
	if err != nil || p.ID != "x" || p.Title != "A" {
		t.Errorf("got %+v, %v", p, err)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Errorf("want io.EOF, got %v", err)
	}
}

func TestCorruptGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	io.WriteString(zw, strings.Repeat("{\"title\":\"A\"}\n", 1000))
	zw.Close()
	b := buf.Bytes()
	b[len(b)-5] ^= 0xff // break the checksum
	_, _, err := paper.ReadAll(bytes.NewReader(b), paper.Options{Name: "x.jsonl.gz"})
	var ie *paper.InputError
	if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "x.jsonl.gz: ") {
		t.Errorf("err = %v, want an InputError naming the file", err)
	}
}

func TestDuplicateIDs(t *testing.T) {
	in := `{"id":"a","title":"A"}
{"id":"b","title":"B"}
{"title":"A","id":"a"}
{"id":"a","title":"A changed"}
{"id":"b","title":"B"}
`
	ps, _ := read(t, paper.FormatJSONL, in)
	kept, dropped := paper.Dedupe(ps)
	if got := titles(kept); !reflect.DeepEqual(got, []string{"A", "B"}) {
		t.Errorf("kept %q", got)
	}
	want := []string{
		"in:3: duplicate of in:1 (identical)",
		`in:4: duplicate id "a" with different content (first at in:1)`,
		"in:5: duplicate of in:2 (identical)",
	}
	var got []string
	for _, e := range dropped {
		got = append(got, e.Error())
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("dropped:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDOICase(t *testing.T) {
	// IDs and DOIs come back as written; DOIs that differ only in case
	// (or resolver prefix) are one paper, within a file and across files.
	a, _ := read(t, paper.FormatJSONL, `{"id":"10.1109/ASONAM.2011.23","title":"A","doi":"https://doi.org/10.1109/ASONAM.2011.23"}
{"id":"10.1109/asonam.2011.23","title":"A"}
`)
	b, _ := read(t, paper.FormatBibTeX, "@inproceedings{k, title={A}, doi={https://doi.org/10.1109/Asonam.2011.23}}\n")
	if len(a) != 2 || len(b) != 1 {
		t.Fatalf("read %d and %d papers", len(a), len(b))
	}
	if a[0].ID != "10.1109/ASONAM.2011.23" || a[0].DOI != "10.1109/ASONAM.2011.23" || b[0].ID != "10.1109/Asonam.2011.23" {
		t.Errorf("ids %q (doi %q) and %q, want them as written", a[0].ID, a[0].DOI, b[0].ID)
	}
	kept, dropped := paper.Dedupe(append(a, b...))
	if len(kept) != 1 || kept[0].ID != "10.1109/ASONAM.2011.23" || len(dropped) != 2 {
		t.Errorf("kept %v, dropped %v; want the first copy only", kept, dropped)
	}
}

func TestNoTitleNoAbstract(t *testing.T) {
	tests := []struct {
		format paper.Format
		in     string
		line   int
	}{
		{paper.FormatJSONL, "{\"id\":\"x\",\"title\":\" \",\"abstract\":null}\n", 1},
		{paper.FormatCSV, "id,title,abstract\nx,<b></b>,\n", 2},
		{paper.FormatBibTeX, "\n@misc{x, title={{}}}\n", 2},
		{paper.FormatJSON, "[\n{\"id\":\"x\"}]", 2},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			ps, skipped := read(t, tt.format, tt.in)
			if len(ps) != 0 || len(skipped) != 1 {
				t.Fatalf("got %d papers, skipped %v", len(ps), skipped)
			}
			e := skipped[0]
			if e.Reason != "no title and no abstract" || e.ID != "x" || e.Pos.Line != tt.line {
				t.Errorf("got %q (id %q, line %d)", e.Error(), e.ID, e.Pos.Line)
			}
		})
	}
}

func TestIDsIndependentOfOrder(t *testing.T) {
	recs := []string{
		`{"title":"Alpha"}`, `{"title":"Beta","abstract":"B."}`, `{"abstract":"Only an abstract."}`,
		`{"doi":"10.1/X","title":"Gamma"}`, `{"id":7,"title":"Delta"}`,
	}
	idsOf := func(order []int) map[string]string {
		var b strings.Builder
		for _, i := range order {
			b.WriteString(recs[i] + "\n")
		}
		ps, _ := read(t, paper.FormatJSONL, b.String())
		out := map[string]string{}
		for _, p := range ps {
			out[p.Title+"|"+p.Abstract] = p.ID
		}
		return out
	}
	want := idsOf([]int{0, 1, 2, 3, 4})
	r := rand.New(rand.NewPCG(7, 7))
	for trial := range 5 {
		order := r.Perm(len(recs))
		if got := idsOf(order); !reflect.DeepEqual(got, want) {
			t.Errorf("trial %d order %v: ids %v, want %v", trial, order, got, want)
		}
	}
}

func TestDeriveID(t *testing.T) {
	a := paper.DeriveID("Caf\u00e9  Society", "")
	tests := []struct {
		name            string
		title, abstract string
		same            bool
	}{
		{"case and spaces", "  café society ", "", true},
		{"decomposed accent", "Cafe\u0301 Society", "", true},
		{"abstract ignored with a title", "Café Society", "An abstract.", true},
		{"different title", "Cafe Society", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paper.DeriveID(tt.title, tt.abstract); (got == a) != tt.same {
				t.Errorf("DeriveID(%q) = %s vs %s, same = %v", tt.title, got, a, tt.same)
			}
		})
	}
	if len(a) != 18 || !strings.HasPrefix(a, "t:") {
		t.Errorf("DeriveID = %q, want t: and 16 hex digits", a)
	}
	if b := paper.DeriveID("", "Only an abstract."); !strings.HasPrefix(b, "a:") {
		t.Errorf("abstract-only ID %q", b)
	}
	if paper.DeriveID(" ", "") != "" {
		t.Errorf("DeriveID of nothing is not empty")
	}
}

func TestIDKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{" 10.1109/WI.2006.127 ", "10.1109/wi.2006.127"},
		{"https://doi.org/10.1145/ABC", "10.1145/abc"},
		{"HTTPS://DX.DOI.ORG/10.1145/ABC", "10.1145/abc"},
		{"0704.0001", "0704.0001"},
		{"Key:Case", "Key:Case"},
		{"0704.0001", "0704.0001"},
		{"Hendler:2011:SW", "Hendler:2011:SW"},
		{"t:4a1c934d3d98f3ce", "t:4a1c934d3d98f3ce"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := paper.IDKey(tt.in); got != tt.want {
				t.Errorf("IDKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestContentHash(t *testing.T) {
	read1 := func(s string) paper.Paper {
		ps, _ := read(t, paper.FormatJSONL, s+"\n")
		return ps[0]
	}
	a := read1(`{"id":"x","title":"T","venue":"V","keywords":"k"}`)
	b := read1(`{"keywords":"k","venue":"V","title":"T","id":"x"}`)
	b.Source = paper.Position{File: "elsewhere", Line: 99}
	if a.ContentHash() != b.ContentHash() {
		t.Errorf("hash depends on field order or source")
	}
	c := a
	c.Extra = map[string]string{"venue": "V", "keywords": "other"}
	if a.ContentHash() == c.ContentHash() {
		t.Errorf("hash ignores Extra")
	}
	if h := a.ContentHash(); len(h) != 64 {
		t.Errorf("hash %q is not hex sha256", h)
	}
	empty := paper.Paper{ID: "x", Title: "T", Authors: []string{}, Extra: map[string]string{}}
	if empty.ContentHash() != (paper.Paper{ID: "x", Title: "T"}).ContentHash() {
		t.Errorf("empty and nil slices hash differently")
	}
}

func TestPaperText(t *testing.T) {
	tests := []struct {
		name string
		p    paper.Paper
		want string
	}{
		{"both", paper.Paper{Title: "T", Abstract: "A."}, "T. A."},
		{"title ends in question mark", paper.Paper{Title: "Why?", Abstract: "A."}, "Why? A."},
		{"title only", paper.Paper{Title: "T"}, "T"},
		{"abstract only", paper.Paper{Abstract: "A."}, "A."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Text(); got != tt.want {
				t.Errorf("Text() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadFileErrors(t *testing.T) {
	_, _, err := paper.ReadFile(filepath.Join(t.TempDir(), "missing.bib"), paper.Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
	_, err = paper.NewDecoder(strings.NewReader(""), paper.Options{Format: "xml"})
	if err == nil {
		t.Errorf("NewDecoder accepted format xml")
	}
	d, err := paper.NewDecoder(strings.NewReader("@misc{a, title={A}}"), paper.Options{Format: "BibTeX"})
	if err != nil || d.Format() != paper.FormatBibTeX {
		t.Errorf("format alias: %v, %v", d, err)
	}
	if p, err := d.Next(); err != nil || p.Title != "A" {
		t.Errorf("read %+v, %v", p, err)
	}
}

func TestDecoderErrorsAreSticky(t *testing.T) {
	d, err := paper.NewDecoder(strings.NewReader("[{\"title\":\"A\"} {"), paper.Options{Format: paper.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	_, err1 := d.Next()
	_, err2 := d.Next()
	if err1 == nil || err1 != err2 {
		t.Errorf("errors %v then %v, want the same fatal error twice", err1, err2)
	}
}

// countingReader serves a JSON array of n objects, one per line, made on
// demand, and counts the bytes handed out.
type countingReader struct {
	n, next int
	pending []byte
	served  int
}

func (r *countingReader) Read(p []byte) (int, error) {
	for len(r.pending) == 0 {
		switch {
		case r.next == 0:
			r.pending = []byte("[\n")
		case r.next <= r.n:
			sep := ",\n"
			if r.next == r.n {
				sep = "\n]\n"
			}
			r.pending = fmt.Appendf(nil, `{"id": "p%d", "title": "Paper %d", "abstract": "%s"}%s`, r.next, r.next, strings.Repeat("x", 100), sep)
		default:
			return 0, io.EOF
		}
		r.next++
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	r.served += n
	return n, nil
}

func TestJSONArrayStreams(t *testing.T) {
	src := &countingReader{n: 100_000} // about 15 MB
	d, err := paper.NewDecoder(src, paper.Options{Format: paper.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	p, err := d.Next()
	if err != nil || p.ID != "p1" || p.Source.Line != 2 {
		t.Fatalf("first paper %+v, %v", p, err)
	}
	// The decoder looks at 64 KiB to detect the format and reads ahead a
	// little; it must not have read the whole array.
	if src.served > 1<<20 {
		t.Errorf("read %d bytes before the first paper", src.served)
	}
	n := 1
	for {
		p, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if p.Source.Line != n+1 {
			t.Fatalf("paper %s at line %d, want %d", p.ID, p.Source.Line, n+1)
		}
	}
	if n != 100_000 {
		t.Errorf("read %d papers", n)
	}
}
