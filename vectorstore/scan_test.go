package vectorstore

import (
	"errors"
	"slices"
	"testing"
)

func TestScanMatrixMatchesMatrix(t *testing.T) {
	// ScanMatrix hands out Matrix's rows in blocks, whether the rows are
	// the snapshot's, in ID order (views), or changed since (copies).
	dir := t.TempDir()
	const dim = 8
	snapshotFixture(t, dir, dim)
	s := openStore(t, dir, dim)
	defer mustClose(t, s)
	check := func(name string) {
		t.Helper()
		_, want, _ := s.Matrix()
		for _, rows := range []int{1, 64, 10000} {
			var got []float32
			err := s.ScanMatrix(rows, func(lo int, block []float32) error {
				if lo*dim != len(got) || len(block) > rows*dim || len(block)%dim != 0 {
					t.Fatalf("%s, blocks of %d: block of %d values at row %d after %d values", name, rows, len(block), lo, len(got))
				}
				got = append(got, block...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, blocks of %d rows: %d values differ from Matrix's %d", name, rows, len(got), len(want))
			}
		}
	}
	if s.t.rowOf != nil {
		t.Fatal("the reopened store's rows are not the snapshot's: the view path is not tested")
	}
	check("snapshot")
	// Records added out of ID order: the scan sorts them.
	mustAdd(t, s, makeRecords(5, "a", 30, dim))
	check("changed")

	stop := errors.New("enough")
	calls := 0
	if err := s.ScanMatrix(100, func(int, []float32) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Errorf("f failing: %v after %d calls, want its error after 1", err, calls)
	}
}
