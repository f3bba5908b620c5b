package vectorstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"
)

// TestMatrixMovedOutOfMapping opens a writer on a store whose snapshot
// has a damaged vector byte: an Add moves the mapped matrix to the arena
// and drops the mapping's pages (dropPages). Rows of the damaged chunk,
// whether met before the move (fixed in the mapping's private copy) or
// only after it (checked against the file's bytes, read again), must read
// as the log's vectors, with the notice; the reopened store too. On Linux
// the mapping's matrix pages must have left the process's resident memory
// once copied (a one-paper ingest at a million records otherwise counts
// the 1 GB matrix twice).
func TestMatrixMovedOutOfMapping(t *testing.T) {
	ctx := context.Background()
	const dim = 64
	base := t.TempDir()
	recs := makeRecords(41, "s", 3000, dim) // a 750 KB matrix, 3 chunks of 1,024 rows at 64 KiB
	s := openStore(t, base, dim)
	mustAdd(t, s, recs)
	mustClose(t, s)
	good, err := os.ReadFile(filepath.Join(base, snapName))
	if err != nil {
		t.Fatal(err)
	}
	vecOff := len(good) - len(recs)*dim*4
	want := map[string]Record{}
	for _, r := range recs {
		want[r.ID] = r
	}
	extra := makeRecords(42, "t", 1, dim)
	for _, before := range []bool{false, true} {
		t.Run(fmt.Sprintf("damaged row read before the move %v", before), func(t *testing.T) {
			dir := copyDir(t, base)
			writeSnap(t, dir, flip(good, vecOff+4*dim*1500+5)) // row 1,500: the second chunk
			var notes noticeLog
			s, err := Open(ctx, dir, Options{Notice: notes.add, IndexThreshold: -1})
			if err != nil {
				t.Fatal(err)
			}
			if !s.t.mapped() {
				t.Fatal("the matrix is not the mapped snapshot")
			}
			sn := s.t.snap
			matrix := sn.data[sn.vecOff : sn.vecOff+4*len(recs)*dim]
			if before {
				got, ok := s.Get(recs[1500].ID)
				if !ok {
					t.Fatalf("%s missing", recs[1500].ID)
				}
				if d := sameRecord(got, recs[1500]); d != "" {
					t.Fatal(d)
				}
			}
			for i := 0; i < len(matrix); i += os.Getpagesize() {
				_ = matrix[i] // every page resident, as the copy makes them
			}
			mustAdd(t, s, extra)
			if s.t.mapped() {
				t.Fatal("after an Add the matrix is still mapped")
			}
			if n, ok := presentPages(t, matrix); ok && n*os.Getpagesize() > 8<<10 {
				t.Errorf("%d KB of the snapshot's matrix still mapped after it moved out (%d KB of matrix)", n*os.Getpagesize()>>10, len(matrix)>>10)
			}
			all := map[string]Record{extra[0].ID: extra[0]}
			for id, r := range want {
				all[id] = r
			}
			checkHolds(t, s, all)
			if got := notes.String(); !strings.Contains(got, "fail their checksum") {
				t.Errorf("notice %q, want one saying the rows fail their checksum", got)
			}
			mustClose(t, s)
			s, err = Open(ctx, dir, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			checkHolds(t, s, all)
			mustClose(t, s)
		})
	}
}

// presentPages returns how many pages of b are present in the process's
// page tables, from /proc/self/pagemap (false where there is none).
func presentPages(t *testing.T, b []byte) (int, bool) {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	first, last := start/page, (start+uintptr(len(b))-1)/page
	buf := make([]byte, 8*(last-first+1))
	if _, err := f.ReadAt(buf, int64(8*first)); err != nil {
		t.Fatalf("read /proc/self/pagemap: %v", err)
	}
	n := 0
	for i := 0; i < len(buf); i += 8 {
		if binary.LittleEndian.Uint64(buf[i:])>>63 == 1 {
			n++
		}
	}
	return n, true
}
