package sparse

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"testing"
)

// TestWriteAdded adds documents to a saved index both ways, WriteAdded
// and Read-Add-WriteTo, with both scorings: the two files must hold the
// same documents (lengths, norms bit for bit), the same terms with the
// same postings, and search alike (hits and scores bit for bit); the new
// documents bring terms the index had and terms it had not. WriteAdded
// must decline (writing nothing) an ID already indexed or repeated, an
// index decoded or built in memory, and a file with a damaged chunk.
func TestWriteAdded(t *testing.T) {
	ids, texts := randomDocs(11, 300)
	nids, ntexts := randomDocs(12, 25)
	for i := range nids {
		nids[i] = "new-" + nids[i]
		if i%3 == 0 {
			ntexts[i] += fmt.Sprintf(" unseen%c unseen%c", 'a'+i%5, 'a'+i%7)
		}
	}
	queries := []string{ntexts[0], ntexts[3], texts[5], "unseena unseenb", "wordaa wordba"}
	defer func(b int) { chunkBytes = b }(chunkBytes)
	chunkBytes = 256 // chunks of postings apart from the header's
	for _, sc := range []Scoring{TFIDF, BM25} {
		o := Options{Scoring: sc}
		x := New(o)
		x.Add(ids, texts)
		x.Fingerprint = "fp-1"
		var saved bytes.Buffer
		if _, err := x.WriteTo(&saved); err != nil {
			t.Fatal(err)
		}
		read := func(b []byte) *Index {
			t.Helper()
			y, err := Read(b, o)
			if err != nil {
				t.Fatal(err)
			}
			return y
		}
		y := read(saved.Bytes())
		var got bytes.Buffer
		n, ok, err := y.WriteAdded(&got, "fp-2", nids, ntexts)
		if err != nil || !ok || n != int64(got.Len()) {
			t.Fatalf("scoring %d: WriteAdded: %d bytes (%d written), ok %v, %v", sc, n, got.Len(), ok, err)
		}
		if y.lazy == nil {
			t.Fatalf("scoring %d: WriteAdded decoded the index", sc)
		}
		ref := read(saved.Bytes())
		ref.Add(nids, ntexts)
		ref.Fingerprint = "fp-2"
		var want bytes.Buffer
		if _, err := ref.WriteTo(&want); err != nil {
			t.Fatal(err)
		}
		a, b := read(got.Bytes()), read(want.Bytes())
		if a.Fingerprint != "fp-2" || a.Len() != b.Len() || a.Terms() != b.Terms() || a.Len() != len(ids)-dupIDs(ids)+len(nids) {
			t.Fatalf("scoring %d: fingerprint %q, %d documents and %d terms; want %d and %d", sc, a.Fingerprint, a.Len(), a.Terms(), b.Len(), b.Terms())
		}
		da, ta := savedTables(t, a)
		db, tb := savedTables(t, b)
		if !maps.Equal(da, db) {
			t.Fatalf("scoring %d: the documents (length, norm) differ", sc)
		}
		if len(ta) != len(tb) {
			t.Fatalf("scoring %d: %d terms, want %d", sc, len(ta), len(tb))
		}
		for w, ps := range tb {
			if !maps.Equal(ta[w], ps) {
				t.Fatalf("scoring %d: term %q has postings %v, want %v", sc, w, ta[w], ps)
			}
		}
		sameSearch(t, fmt.Sprintf("scoring %d", sc), a, b, queries, nids[:5])

		// Declined: nothing written.
		mem := New(o)
		mem.Add(ids, texts)
		decoded := read(saved.Bytes())
		decoded.Remove(ids[0])
		damaged := bytes.Clone(saved.Bytes())
		damaged[len(damaged)*3/4] ^= 0x40 // in the postings
		for _, c := range []struct {
			name string
			x    *Index
			ids  []string
		}{
			{"an ID indexed", read(saved.Bytes()), []string{"new-1", ids[7]}},
			{"an ID repeated", read(saved.Bytes()), []string{"new-1", "new-2", "new-1"}},
			{"built in memory", mem, nids},
			{"decoded", decoded, nids},
			{"a damaged chunk", read(damaged), nids},
		} {
			var out bytes.Buffer
			_, ok, err := c.x.WriteAdded(&out, "fp-3", c.ids, ntexts[:len(c.ids)])
			if ok || err != nil || out.Len() > 0 {
				t.Errorf("scoring %d, %s: ok %v, %v, %d bytes written", sc, c.name, ok, err, out.Len())
			}
		}
	}
}

// dupIDs counts the IDs that repeat an earlier one (Add keeps the first).
func dupIDs(ids []string) int {
	seen := map[string]bool{}
	n := 0
	for _, id := range ids {
		if seen[id] {
			n++
		}
		seen[id] = true
	}
	return n
}

// savedTables returns a saved index's documents by ID (length, norm bits)
// and terms (ID → count of each posting).
func savedTables(t *testing.T, x *Index) (map[string][2]uint32, map[string]map[string]int32) {
	t.Helper()
	l := x.lazy
	if l == nil {
		t.Fatal("not a saved index")
	}
	docs := map[string][2]uint32{}
	for d := range l.n {
		docs[l.id(d)] = [2]uint32{uint32(l.docLen(d)), math.Float32bits(l.docNorm(d))}
	}
	terms := map[string]map[string]int32{}
	for w := range l.t {
		ps := map[string]int32{}
		l.postings(w, func(doc, tf int32) { ps[l.id(int(doc))] = tf })
		if len(ps) != l.termDF(w) {
			t.Fatalf("term %q: %d postings, df %d", l.term(w), len(ps), l.termDF(w))
		}
		terms[string(l.term(w))] = ps
	}
	if l.isDamaged() {
		t.Fatal("a saved index reads as damaged")
	}
	return docs, terms
}

// TestWriteAddedGrowsOnce: WriteAdded into a writer that can grow (a
// buffer) grows it once, before writing, to at least what it writes.
func TestWriteAddedGrowsOnce(t *testing.T) {
	ids, texts := randomDocs(13, 200)
	x := New(Options{})
	x.Add(ids, texts)
	var saved bytes.Buffer
	if _, err := x.WriteTo(&saved); err != nil {
		t.Fatal(err)
	}
	y, err := Read(saved.Bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	nids, ntexts := randomDocs(14, 30)
	for i := range nids {
		nids[i] = "new-" + nids[i]
		ntexts[i] += fmt.Sprintf(" fresh%d", i)
	}
	var out growRecorder
	n, ok, err := y.WriteAdded(&out, "fp", nids, ntexts)
	if !ok || err != nil {
		t.Fatalf("WriteAdded: ok %v, %v", ok, err)
	}
	if len(out.grows) != 1 || out.grows[0] < int(n) || out.grows[0] > 2*int(n) || out.grownAfter > 0 {
		t.Errorf("grown by %v (%d of them after a write) for %d bytes", out.grows, out.grownAfter, n)
	}
}

// growRecorder is a buffer that records its Grow calls.
type growRecorder struct {
	bytes.Buffer
	grows      []int
	grownAfter int // Grow calls after a Write
}

func (g *growRecorder) Grow(n int) {
	g.grows = append(g.grows, n)
	if g.Len() > 0 {
		g.grownAfter++
	}
	g.Buffer.Grow(n)
}
