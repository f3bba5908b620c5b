package vectorstore

import (
	"context"
	"testing"
)

// TestMatrixGrowth follows the matrix through every way it grows: a new
// store's matrix outgrowing its first room, records deleted, a chromem-go
// collection that pins it to the heap, and a reopened store whose mapped
// snapshot is moved out when an Add outgrows it. The vectors, contents and
// metadata must stay those that were added, in memory and after reopening.
func TestMatrixGrowth(t *testing.T) {
	ctx := context.Background()
	const dim = 8
	dir := t.TempDir()
	want := map[string]Record{}
	add := func(s *Store, recs []Record) {
		t.Helper()
		mustAdd(t, s, recs)
		for _, r := range recs {
			want[r.ID] = r
		}
	}

	s := openStore(t, dir, dim)
	// 1,000 rows fit the first room (1,024 rows); 2,500 and then 5,500
	// do not.
	add(s, makeRecords(1, "s", 1000, dim))
	firstRoom := cap(s.t.vecs)
	add(s, makeRecords(2, "t", 1500, dim))
	add(s, makeRecords(3, "u", 3000, dim))
	if cap(s.t.vecs) <= firstRoom {
		t.Fatalf("the matrix did not grow: capacity %d, then %d", firstRoom, cap(s.t.vecs))
	}
	if s.t.arena == nil {
		t.Fatal("a grown matrix is not in the arena")
	}
	checkHolds(t, s, want)

	// Deleting moves the last rows into the holes, inside the arena.
	var gone []string
	for _, r := range makeRecords(2, "t", 40, dim) {
		gone = append(gone, r.ID)
		delete(want, r.ID)
	}
	if err := s.Delete(ctx, gone...); err != nil {
		t.Fatal(err)
	}
	checkHolds(t, s, want)

	// A collection shares the rows: the matrix moves to the heap and
	// stays there as it grows.
	coll := s.Collection()
	if s.t.arena != nil || !s.t.heapOnly {
		t.Fatal("the matrix of a collection is not on the heap")
	}
	add(s, makeRecords(4, "v", 6000, dim))
	if s.t.arena != nil {
		t.Fatal("the matrix of a collection moved back to the arena")
	}
	if coll.Count() != len(want) {
		t.Fatalf("collection holds %d documents, the store %d", coll.Count(), len(want))
	}
	checkHolds(t, s, want)
	mustClose(t, s)

	// Reopened from its snapshot, the matrix is mapped; an Add that
	// outgrows it moves it to the arena.
	s = openStore(t, dir, dim)
	if !s.t.mapped() {
		t.Fatal("the reopened matrix is not the mapped snapshot")
	}
	add(s, makeRecords(5, "w", 100, dim))
	if s.t.mapped() || s.t.arena == nil {
		t.Fatalf("after an Add the matrix is mapped %v, in the arena %v", s.t.mapped(), s.t.arena != nil)
	}
	checkHolds(t, s, want)
	mustClose(t, s)

	// Without a snapshot, reading the log fills the arena.
	if err := removeSnapshot(dir); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.t.arena == nil {
		t.Fatal("a matrix read from the log is not in the arena")
	}
	checkHolds(t, s, want)
	mustClose(t, s)
}
