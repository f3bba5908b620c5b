package paper_test

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/papermap/papermap/paper"
)

// The record bound (issue 13 §3: a 270 MB JSONL record made ingest panic
// and lose the other paper of the file). Each case holds a record over the
// bound between two good ones: the big one must be a RecordError at the
// line where it starts, saying it is too long, and the others read, at
// their own lines.

const testLimit = 1000

func TestRecordBound(t *testing.T) {
	big := strings.Repeat("x", 5*testLimit)                       // one long line
	bigLines := strings.Repeat(strings.Repeat("y", 59)+"\n", 100) // 6,000 bytes of short lines
	indent := func(prefix string) string {
		return strings.TrimSuffix(strings.ReplaceAll(bigLines, "\n", "\n"+prefix), prefix)
	}
	longAbstract := "An abstract long enough to be read as one, since it is longer than three hundred characters: " + strings.Repeat("words and more words ", 12) + "end."
	tests := []struct {
		name      string
		format    paper.Format
		in        string
		wantLines []int // of the papers A and C
		skipped   int   // line of the big record
		notPaper  bool  // the big record is not a paper even within the bound
	}{
		{"jsonl", paper.FormatJSONL, `{"title":"A"}` + "\n" + `{"title":"Big","abstract":"` + big + `"}` + "\n" + `{"title":"C"}` + "\n", []int{1, 3}, 2, false},
		{"json array", paper.FormatJSON, "[\n{\"title\":\"A\"},\n{\"title\":\"Big\",\n\"abstract\":\"" + big + "\"},\n{\"title\":\"C\"}\n]", []int{2, 5}, 3, false},
		{"json array, nested and escaped", paper.FormatJSON, "[{\"title\":\"A\"},\n{\"title\":\"Big\",\"x\":[" + strings.Repeat(`{"a":["\"]}"]},`, 400) + "1]},\n{\"title\":\"C\"}]", []int{1, 3}, 2, false},
		{"json wrapper", paper.FormatJSON, "{\"papers\": [\n{\"title\":\"A\"},\n{\"title\":\"Big\",\"abstract\":\"" + big + "\"},\n{\"title\":\"C\"}]}", []int{2, 4}, 3, false},
		{"json top-level string", paper.FormatJSON, "{\"title\":\"A\"}\n\"" + big + "\"\n{\"title\":\"C\"}", []int{1, 3}, 2, true},
		{"json objects", paper.FormatJSON, "{\"title\":\"A\"}\n{\"title\":\"Big\",\n\"abstract\":\"" + big + "\"}\n{\"title\":\"C\"}", []int{1, 4}, 2, false},
		{"json object, many fields", paper.FormatJSON, "{\"title\":\"A\"}\n{\"title\":\"Big\"" + strings.Repeat(",\n\"f\":\"0123456789\"", 100) + "}\n{\"title\":\"C\"}", []int{1, 103}, 2, false},
		{"csv", paper.FormatCSV, "title,abstract\nA,a\nBig,\"" + strings.ReplaceAll(bigLines, "y", `y""`) + "\"\nC,c\n", []int{2, 104}, 3, false},
		{"csv one line", paper.FormatCSV, "title,abstract\nA,a\nBig," + big + "\nC,c\n", []int{2, 4}, 3, false},
		{"tsv", paper.FormatTSV, "title\tabstract\nA\ta\nBig\t\"" + bigLines + "\"\nC\tc\n", []int{2, 104}, 3, false},
		{"bibtex", paper.FormatBibTeX, "@misc{a, title={A}}\n@misc{big, title={Big},\n abstract={" + bigLines + "}}\n@misc{c, title={C}}\n", []int{1, 104}, 2, false},
		{"bibtex one line", paper.FormatBibTeX, "@misc{a, title={A}}\n@misc{big, title={Big}, abstract={" + big + "}}\n@misc{c, title={C}}\n", []int{1, 3}, 2, false},
		{"bibtex long line inside", paper.FormatBibTeX, "@misc{a, title={A}}\n@misc{big,\n abstract={" + big + "}}\n@misc{c, title={C}}\n", []int{1, 4}, 2, false},
		{"text pairs", paper.FormatText, "A\n" + longAbstract + "\nBig\n" + big + "\nC\n" + longAbstract + "\n", []int{1, 5}, 3, false},
		{"text blocks", paper.FormatText, "A\n" + longAbstract + "\n\nBig\n" + bigLines + "\nC\n" + longAbstract + "\n", []int{1, 106}, 4, false},
		{"ris", paper.FormatRIS, "TY  - JOUR\nTI  - A\nER  - \n\nTY  - JOUR\nTI  - Big\nAB  - " + big + "\nER  - \n\nTY  - JOUR\nTI  - C\nER  - \n", []int{1, 10}, 5, false},
		{"ris continued", paper.FormatRIS, "TY  - JOUR\nTI  - A\nER  - \nTY  - JOUR\nTI  - Big\nAB  - " + bigLines + "ER  - \nTY  - JOUR\nTI  - C\nER  - \n", []int{1, 107}, 4, false},
		{"wos", paper.FormatWoS, "FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nTI A\nER\n\nPT J\nTI Big\nAB " + indent("   ") + "ER\n\nPT J\nTI C\nER\nEF\n", []int{3, 111}, 7, false},
		{"wos tab-delimited", paper.FormatWoS, "PT\tTI\tAB\nJ\tA\ta\nJ\tBig\t" + big + "\nJ\tC\tc\n", []int{2, 4}, 3, false},
		{"medline", paper.FormatMEDLINE, "PMID- 1\nTI  - A\n\nPMID- 2\nTI  - Big\nAB  - " + indent("      ") + "\nPMID- 3\nTI  - C\n", []int{1, 107}, 4, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, skipped, err := paper.ReadAll(strings.NewReader(tt.in), paper.Options{Format: tt.format, Name: "in", MaxRecordBytes: testLimit})
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, p := range ps {
				checkPaper(t, p)
				got = append(got, p.Source.Line)
			}
			if !reflect.DeepEqual(titles(ps), []string{"A", "C"}) || !reflect.DeepEqual(got, tt.wantLines) {
				t.Errorf("papers %q at lines %v, want A and C at %v", titles(ps), got, tt.wantLines)
			}
			if len(skipped) != 1 || skipped[0].Pos.Line != tt.skipped || !strings.Contains(skipped[0].Reason, "longer than 1,000 bytes") {
				t.Errorf("skipped %v, want one record too long at in:%d", skipped, tt.skipped)
			}
			// The same input with the default bound reads all three.
			ps, skipped, err = paper.ReadAll(strings.NewReader(tt.in), paper.Options{Format: tt.format, Name: "in"})
			if tt.notPaper {
				if err != nil || len(ps) != 2 || len(skipped) != 1 || strings.Contains(skipped[0].Reason, "longer than") {
					t.Errorf("default bound: %d papers, skipped %v, err %v", len(ps), skipped, err)
				}
			} else if err != nil || len(ps) != 3 || len(skipped) != 0 {
				t.Errorf("default bound: %d papers, skipped %v, err %v", len(ps), skipped, err)
			}
		})
	}
}

// lazyReader serves head, then n filler bytes made as they are read, then
// tail: a huge input that never exists in memory.
type lazyReader struct {
	head, tail string
	n          int
	fill       byte
}

func (r *lazyReader) Read(p []byte) (int, error) {
	switch {
	case r.head != "":
		k := copy(p, r.head)
		r.head = r.head[k:]
		return k, nil
	case r.n > 0:
		k := min(len(p), r.n)
		for i := range p[:k] {
			p[i] = r.fill
		}
		r.n -= k
		return k, nil
	case r.tail != "":
		k := copy(p, r.tail)
		r.tail = r.tail[k:]
		return k, nil
	}
	return 0, io.EOF
}

// TestRecordBoundDefault reads, at the default bound, a JSON Lines input
// whose middle record holds a 100 MiB abstract, produced as it is read: the
// record is skipped at its line, the papers around it are read, and the
// record's bytes are not kept (the whole read allocates less than the
// record's size).
func TestRecordBoundDefault(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 100 MiB")
	}
	for _, tt := range []struct {
		format     paper.Format
		head, tail string
		size, line int
	}{
		{paper.FormatJSONL, "{\"title\":\"A\"}\n{\"title\":\"Big\",\"abstract\":\"", "\"}\n{\"title\":\"C\"}\n", 100 << 20, 2},
		{paper.FormatJSON, "[{\"title\":\"A\"},\n{\"title\":\"Big\",\"abstract\":\"", "\"},\n{\"title\":\"C\"}]\n", 20 << 20, 2},
		{paper.FormatCSV, "title,abstract\nA,a\nBig,\"", "\"\nC,c\n", 20 << 20, 3},
	} {
		t.Run(string(tt.format), func(t *testing.T) {
			before := allocated()
			r := &lazyReader{head: tt.head, tail: tt.tail, n: tt.size, fill: 'x'}
			ps, skipped, err := paper.ReadAll(r, paper.Options{Format: tt.format, Name: "big"})
			if err != nil {
				t.Fatal(err)
			}
			got := allocated() - before
			t.Logf("allocated %d MiB in all to read past a %d MiB record", got>>20, tt.size>>20)
			if !reflect.DeepEqual(titles(ps), []string{"A", "C"}) || len(skipped) != 1 ||
				!strings.Contains(skipped[0].Error(), fmt.Sprintf("big:%d: record is longer than 16,777,216 bytes", tt.line)) {
				t.Errorf("papers %q, skipped %v; want A and C, big:%d too long", titles(ps), skipped, tt.line)
			}
			if tt.size >= 100<<20 && got > uint64(tt.size) {
				t.Errorf("allocated %d MiB: the %d MiB record was kept", got>>20, tt.size>>20)
			}
		})
	}
}
