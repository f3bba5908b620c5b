package paper_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/papermap/papermap/paper"
)

// The reference managers' exports in testdata/ (see ../testdata/README.md,
// "paper/testdata: reference manager exports"): each is read with the
// format detected from its name and content, and every paper is checked
// field by field; the one malformed record of each file is reported at its
// first line and the records after it are read.

// want is what a test expects of one paper.
type want struct {
	line     int
	id       string
	title    string
	abstract string
	year     int
	authors  []string
	doi      string
	extra    map[string]string // a few Extra fields
}

const (
	diphotonTitle    = "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
	diphotonAbstract = "A fully differential calculation in perturbative quantum chromodynamics is presented for the production of massive photon pairs at hadron colliders."
	sparsityTitle    = "Sparsity-certifying Graph Decompositions"
	sparsityAbstract = "We describe a new algorithm, the (k,ℓ)-pebble game with colors, and use it obtain a characterization of the family of (k,ℓ)-sparse graphs."
	callanTitle      = "A determinant of Stirling cycle numbers counts unlabeled acyclic single-source automata"
	dyadicTitle      = "From dyadic Λα to Λα"
	dyadicAbstract   = "In this paper we show how to compute the Λα norm, α≥0, using the dyadic grid. This result is a consequence of the description of the Hardy spaces in terms of dyadic and special atoms."
	doi1, doi2, doi5 = "10.48550/arXiv.0704.0001", "10.48550/arXiv.0704.0002", "10.48550/arXiv.0704.0005"
)

var (
	diphotonAuthors = []string{"Balázs, C.", "Berger, E. L.", "Nadolsky, P. M.", "Yuan, C.-P."}
	sparsityAuthors = []string{"Streinu, Ileana", "Theran, Louis"}
	dyadicAuthors   = []string{"Aldaz, J.M.", "García, M.", "Straßer, T."}
)

func TestReferenceManagerFiles(t *testing.T) {
	tests := []struct {
		file    string
		format  paper.Format
		papers  []want
		skipped map[int]string // line -> part of the reason
		warning string         // part of the one warning, if any
	}{
		{"sample.ris", paper.FormatRIS, []want{
			{1, doi1, diphotonTitle, diphotonAbstract, 2007, diphotonAuthors, doi1, map[string]string{"venue": "Physical Review D", "keywords": "diphoton production; perturbative QCD", "type": "JOUR"}},
			{17, doi2, sparsityTitle, "We describe a new algorithm, the (k,ℓ)-pebble game with colors, and use it obtain a characterization of the family of (k,ℓ)-sparse graphs and algorithmic solutions to a family of problems concerning tree decompositions of graphs.", 2007, sparsityAuthors, doi2, map[string]string{"venue": "Graphs and Combinatorics", "ris_id": "17"}},
			{34, "", callanTitle, "", 2007, []string{"Callan, David"}, "", map[string]string{"url": ""}},
			{41, doi5, dyadicTitle, dyadicAbstract, 2007, dyadicAuthors, doi5, map[string]string{"venue": "Harmonic Analysis", "m3": "Conference Paper"}},
		}, map[int]string{30: "has no ER line before the next TY at line 34"}, ""},
		{"savedrecs.txt", paper.FormatWoS, []want{
			{3, doi1, diphotonTitle, diphotonAbstract, 2007, diphotonAuthors, doi1, map[string]string{"venue": "PHYSICAL REVIEW D", "keywords": "diphoton production; perturbative QCD; transverse momentum resummation", "accession": "WOS:000000000000001", "author": "Balazs, C; Berger, EL; Nadolsky, PM; Yuan, CP"}},
			{28, doi2, sparsityTitle, sparsityAbstract, 2007, sparsityAuthors, doi2, nil},
			{49, "WOS:000000000000004", callanTitle, "", 2007, []string{"Callan, David"}, "", nil},
		}, map[int]string{42: "line 45 is neither a tag line"}, ""},
		{"savedrecs-tab.txt", paper.FormatWoS, []want{
			{2, doi1, diphotonTitle, diphotonAbstract, 2007, diphotonAuthors, doi1, map[string]string{"keywords_plus": "GLUON RESUMMATION", "venue": "PHYSICAL REVIEW D"}},
			{3, doi2, sparsityTitle, "We describe a new algorithm, the (k,ℓ)-pebble game with colors.", 2007, sparsityAuthors, doi2, nil},
			{5, "WOS:000000000000004", callanTitle, "", 2007, []string{"Callan, David"}, "", nil},
		}, map[int]string{4: "row has 3 fields, the header has 14"}, ""},
		{"pubmed.nbib", paper.FormatMEDLINE, []want{
			{2, doi1, diphotonTitle + ".", diphotonAbstract, 2007, []string{"Balázs, C", "Berger, E L", "Nadolsky, P M", "Yuan, C-P"}, doi1, map[string]string{"venue": "Physical review. D", "pmid": "90000001", "journal_abbreviation": "Phys Rev D"}},
			{28, doi2, "Sparsity-certifying graph decompositions.", sparsityAbstract, 2007, sparsityAuthors, doi2, map[string]string{"mesh_terms": "Algorithms; Graphs", "keywords": "pebble games", "article_id": "S0000-0000(07)00000-2 [pii]"}},
			{50, "pmid:90000004", callanTitle + ".", "", 2007, []string{"Callan, David"}, "", nil},
		}, map[int]string{44: "line 47 is neither a tag line"}, ""},
		{"zotero.csv", paper.FormatCSV, []want{
			{2, doi1, diphotonTitle, diphotonAbstract, 2007, diphotonAuthors, doi1, map[string]string{"key": "8ZJQK2ME", "item_type": "journalArticle", "publication_title": "Physical Review D", "manual_tags": "diphoton production; perturbative QCD"}},
			{3, doi2, sparsityTitle, sparsityAbstract + " Special instances of sparse graphs appear in rigidity theory and have received increased attention.", 2007, sparsityAuthors, doi2, nil},
			{7, "", callanTitle, "", 2007, []string{"Callan, David"}, "", map[string]string{"key": "Q9V2PL3C"}},
		}, map[int]string{6: `text after its closing " at line 6, column 73`}, ""},
		{"scopus.csv", paper.FormatCSV, []want{
			{2, doi1, diphotonTitle, diphotonAbstract + " © 2007 The American Physical Society.", 2007, []string{"Balázs C.", "Berger E.L.", "Nadolsky P.M.", "Yuan C.-P."}, doi1, map[string]string{"source_title": "Physical Review D", "eid": "2-s2.0-90000000001", "author_keywords": "diphoton production; perturbative QCD"}},
			{3, "2-s2.0-90000000005", dyadicTitle, dyadicAbstract, 2007, []string{"Aldaz J.M.", "García M.", "Straßer T."}, "", nil},
			{6, "2-s2.0-90000000004", callanTitle, "", 2007, []string{"Callan D."}, "", nil},
		}, map[int]string{5: `text after its closing " at line 5, column 81`}, ""},
		{"mendeley.csv", paper.FormatCSV, []want{
			{2, doi1, diphotonTitle, diphotonAbstract, 2007, diphotonAuthors, doi1, map[string]string{"source": "Physical Review D", "keywords": "diphoton production, perturbative QCD"}},
			{3, doi2, sparsityTitle, sparsityAbstract, 2007, sparsityAuthors, doi2, nil},
			{6, "", callanTitle, "", 2007, []string{"Callan, David"}, "", nil},
		}, map[int]string{5: "row has 10 fields, the header has 9"}, ""},
		{"titles-only.csv", paper.FormatCSV, []want{
			{2, doi1, diphotonTitle, "", 2007, []string{"Balázs, C.", "Berger, E. L."}, doi1, nil},
			{3, doi2, sparsityTitle, "", 2007, sparsityAuthors, doi2, nil},
		}, nil, "names no abstract column (it has: \"Title, Authors, Year, DOI\"); papers are read with their titles alone"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := "testdata/" + tt.file
			d, err := paper.NewDecoder(strings.NewReader(readFixture(t, path)), paper.Options{Name: path})
			if err != nil {
				t.Fatal(err)
			}
			if d.Format() != tt.format {
				t.Errorf("detected %q, want %q", d.Format(), tt.format)
			}
			ps, skipped, err := paper.ReadFile(path, paper.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var warnings []*paper.RecordError
			gotSkipped := map[int]string{}
			for _, e := range skipped {
				if e.Warning {
					warnings = append(warnings, e)
					continue
				}
				gotSkipped[e.Pos.Line] = e.Reason
			}
			if len(gotSkipped) != len(tt.skipped) {
				t.Errorf("skipped %v, want %v", skipped, tt.skipped)
			}
			for line, reason := range tt.skipped {
				if !strings.Contains(gotSkipped[line], reason) {
					t.Errorf("skipped at line %d: %q, want it to say %q (all: %v)", line, gotSkipped[line], reason, skipped)
				}
			}
			switch {
			case tt.warning == "" && len(warnings) > 0:
				t.Errorf("warnings %v, want none", warnings)
			case tt.warning != "" && (len(warnings) != 1 || !strings.Contains(warnings[0].Error(), path+":1: warning: the header row "+tt.warning)):
				t.Errorf("warnings %v, want one saying %q", warnings, tt.warning)
			}
			if len(ps) != len(tt.papers) {
				t.Fatalf("read %d papers %q, want %d", len(ps), titles(ps), len(tt.papers))
			}
			for i, w := range tt.papers {
				p := ps[i]
				checkPaper(t, p)
				if w.id == "" {
					w.id = paper.DeriveID(w.title, w.abstract)
				}
				got := want{p.Source.Line, p.ID, p.Title, p.Abstract, p.Year, p.Authors, p.DOI, nil}
				w.extra = nil
				if !reflect.DeepEqual(got, w) {
					t.Errorf("paper %d:\n got  %+v\n want %+v", i, got, w)
				}
			}
			for i, w := range tt.papers {
				for k, v := range w.extra {
					if k == "url" {
						continue
					}
					if got := ps[i].Extra[k]; got != v {
						t.Errorf("paper %d: Extra[%q] = %q, want %q (Extra: %q)", i, k, got, v, ps[i].Extra)
					}
				}
			}
		})
	}
}

func readFixture(t *testing.T, path string) string {
	t.Helper()
	ps, err := readAllBytes(path)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}
