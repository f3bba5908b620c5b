package paper_test

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/papermap/papermap/paper"
)

// The tests in this file read the ACM exports in ../shared/data beside the
// checkout (they skip when the files are absent, and fail instead when
// PAPERMAP_ACM_TESTS=1, as .ci/run sets). Both files hold the same records: the
// JSONL file is the BibTeX exports with duplicates across venue files
// removed, so they cross-check the two readers.

// acmSummary is what a test learns from one source.
type acmSummary struct {
	read, skipped, noAbstract int
	reasons                   map[string]int
	byID                      map[string]paper.Paper // first paper per ID
	dupIdentical, dupDiffer   int
}

func summarise(tb testing.TB, name string, ps []paper.Paper, skipped []*paper.RecordError) acmSummary {
	tb.Helper()
	s := acmSummary{read: len(ps), skipped: len(skipped), reasons: map[string]int{}, byID: map[string]paper.Paper{}}
	for _, e := range skipped {
		s.reasons[e.Reason]++
	}
	for _, p := range ps {
		checkPaper(tb, p)
		if p.Abstract == "" {
			s.noAbstract++
		}
	}
	kept, dropped := paper.Dedupe(ps)
	for _, p := range kept {
		s.byID[p.ID] = p
	}
	for _, d := range dropped {
		if strings.HasSuffix(d.Reason, "(identical)") {
			s.dupIdentical++
		} else {
			s.dupDiffer++
		}
	}
	tb.Logf("%s: read %d, skipped %d %v, without abstract %d, unique IDs %d, duplicates %d identical + %d different",
		name, s.read, s.skipped, s.reasons, s.noAbstract, len(s.byID), s.dupIdentical, s.dupDiffer)
	return s
}

// TestACM reads both exports once (about 300 MB of text, so not in -short
// mode) and checks each, then compares them.
func TestACM(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 300 MB of ACM records")
	}
	if raceEnabled {
		t.Skip("reads 300 MB of ACM records: too slow under -race; run without it (.ci/run does)")
	}
	var j, b acmSummary
	t.Run("jsonl", func(t *testing.T) {
		openACM(t, acmJSONLPath).Close() // skips (or fails) when absent
		// ReadFile goes through the Decoder's own gzip path, as the CLI does.
		ps, skipped, err := paper.ReadFile(acmJSONLPath, paper.Options{})
		if err != nil {
			t.Fatal(err)
		}
		j = summarise(t, "acm-dl-docs.jsonl.gz", ps, skipped)
		// 113,221 records, 98,442 of them with an abstract over 100
		// characters: the figures given in shared/data/README.md.
		if j.read != 113221 || j.skipped != 0 {
			t.Errorf("read %d records, skipped %d (%v); want 113221 and 0", j.read, j.skipped, j.reasons)
		}
		if len(j.byID) != j.read {
			t.Errorf("%d duplicate IDs", j.read-len(j.byID))
		}
		over100 := 0
		for _, p := range j.byID {
			if utf8.RuneCountInString(p.Abstract) > 100 {
				over100++
			}
		}
		if over100 != 98442 {
			t.Errorf("%d abstracts over 100 characters, want 98442", over100)
		}
	})
	t.Run("bibtex", func(t *testing.T) {
		var all []paper.Paper
		var skipped []*paper.RecordError
		files, latexLeft := 0, 0
		forEachBib(t, func(name string, data []byte) bool {
			files++
			ps, sk, err := paper.ReadAll(bytes.NewReader(data), paper.Options{Name: name})
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			all = append(all, ps...)
			skipped = append(skipped, sk...)
			return true
		})
		b = summarise(t, "acm-dl-bib.tar.gz", all, skipped)
		t.Logf("%d .bib files", files)
		for _, e := range skipped[:min(len(skipped), 10)] {
			t.Errorf("skipped: %v", e)
		}
		// The conversion on real data: no accent commands, braces or
		// escaped ampersands left in titles and names.
		for _, p := range all {
			for _, s := range append([]string{p.Title}, p.Authors...) {
				if strings.ContainsAny(s, "{}") || strings.Contains(s, `\'`) || strings.Contains(s, `\"`) || strings.Contains(s, "&amp;") {
					if latexLeft++; latexLeft <= 5 {
						t.Errorf("%v: LaTeX or entity left in %q", p.Source, s)
					}
				}
			}
		}
	})
	t.Run("same records", func(t *testing.T) {
		if j.byID == nil || b.byID == nil {
			t.Skip("a source was not read")
		}
		// The unique IDs, years and the presence of an abstract must agree.
		var onlyBib, onlyJSON, years, abstracts []string
		for id, p := range b.byID {
			q, ok := j.byID[id]
			switch {
			case !ok:
				onlyBib = append(onlyBib, id)
			case p.Year != q.Year:
				years = append(years, id)
			case (p.Abstract == "") != (q.Abstract == ""):
				abstracts = append(abstracts, id)
			}
		}
		for id := range j.byID {
			if _, ok := b.byID[id]; !ok {
				onlyJSON = append(onlyJSON, id)
			}
		}
		for _, d := range []struct {
			what string
			ids  []string
		}{{"only in BibTeX", onlyBib}, {"only in JSONL", onlyJSON}, {"with different years", years}, {"with an abstract in one only", abstracts}} {
			if len(d.ids) > 0 {
				sort.Strings(d.ids)
				t.Errorf("%d IDs %s, e.g. %q", len(d.ids), d.what, d.ids[:min(len(d.ids), 5)])
			}
		}
	})
}
