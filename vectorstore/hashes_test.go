package vectorstore

import (
	"context"
	"slices"
	"testing"
)

// TestIDHashes checks IDHashes against IDs and Lookup, on a store read
// from its snapshot (rows in ID order) and on one changed since (rows in
// another order).
func TestIDHashes(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, 8)
	mustAdd(t, s, makeRecords(3, "p", 300, 8))
	mustClose(t, s)
	s = openStore(t, dir, 8)
	defer s.Close()
	if !s.fromSnap || s.t.rowOf != nil {
		t.Fatal("the reopened store was not read from its snapshot: the test would not cover that path")
	}
	check := func(when string) {
		t.Helper()
		ids, hashes := s.IDHashes()
		want := s.IDs()
		if !slices.Equal(ids, want) {
			t.Fatalf("%s: IDHashes gives %d IDs, IDs %d (or in another order)", when, len(ids), len(want))
		}
		for i, id := range ids {
			if h, _ := s.Lookup(id); h != hashes[i] {
				t.Fatalf("%s: %s has hash %s, Lookup says %s", when, id, hashes[i], h)
			}
		}
	}
	check("from the snapshot")
	mustAdd(t, s, makeRecords(4, "a", 50, 8))
	if err := s.Delete(context.Background(), "p-000007"); err != nil {
		t.Fatal(err)
	}
	check("after writes")
}
