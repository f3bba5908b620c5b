package paper_test

import (
	"strings"
	"testing"

	"github.com/papermap/papermap/paper"
)

// TestArxivIDYear: a JSON record with no date field but an arXiv id gets
// the year of the id (issue 13 §6: the arXiv testdata showed an empty year
// column in the report's outlier table). The expected years follow arXiv's
// identifier scheme (https://info.arxiv.org/help/arxiv_identifier.html):
// YYMM.NNNN from 0704 to 1412, YYMM.NNNNN from 1501, archive/YYMMNNN
// from 9108 to 0703.
func TestArxivIDYear(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want int
	}{
		{"0704.0001", 2007},
		{"1412.9999v2", 2014},
		{"2404.12345", 2024},
		{"arXiv:2404.12345v1", 2024},
		{"hep-th/9901001", 1999},
		{"math.GT/0309136", 2003},
		{"cond-mat/0703001", 2007},
		{"0612.1234", 0},  // before the new scheme
		{"1501.1234", 0},  // four digits after 2014
		{"1412.12345", 0}, // five digits before 2015
		{"2413.12345", 0}, // no month 13
		{"hep-th/0704001", 0},
		{"10.1109/ASONAM.2011.23", 0},
		{"1234", 0},
	} {
		in := `{"id": "` + tc.id + `", "title": "T", "abstract": "An abstract long enough to be kept as a paper."}`
		ps, _, err := paper.ReadAll(strings.NewReader(in), paper.Options{Format: paper.FormatJSONL})
		if err != nil || len(ps) != 1 {
			t.Fatalf("%s: %v, %d papers", tc.id, err, len(ps))
		}
		if ps[0].Year != tc.want {
			t.Errorf("id %s: year %d, want %d", tc.id, ps[0].Year, tc.want)
		}
	}
	// A year in the record wins over the id's.
	ps, _, err := paper.ReadAll(strings.NewReader(`{"id": "0704.0001", "year": 2009, "abstract": "An abstract long enough to be kept."}`), paper.Options{Format: paper.FormatJSONL})
	if err != nil || len(ps) != 1 || ps[0].Year != 2009 {
		t.Errorf("record with year 2009 and id 0704.0001: %v, %v", ps, err)
	}
}
