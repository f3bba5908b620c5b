package sparse

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomDocs returns n documents of words drawn from a Zipf-like
// vocabulary, so that terms range from one document to most of them.
func randomDocs(seed uint64, n int) (ids, texts []string) {
	rng := rand.New(rand.NewPCG(seed, 3))
	z := rand.NewZipf(rng, 1.1, 2, 400)
	for i := range n {
		var w []string
		for range 5 + rng.IntN(30) {
			w = append(w, fmt.Sprintf("word%c%c", 'a'+z.Uint64()%26, 'a'+z.Uint64()/26%26))
		}
		ids = append(ids, fmt.Sprintf("doc-%04d", rng.IntN(100_000)*10+i%10))
		texts = append(texts, strings.Join(w, " "))
	}
	return ids, texts
}

// sameSearch fails unless x and y give identical hits and scores of also
// (bit for bit: Read(WriteTo(x)) must score as x does).
func sameSearch(t *testing.T, what string, x, y *Index, queries, also []string) {
	t.Helper()
	found := 0
	defer func() {
		if found == 0 {
			t.Fatalf("%s: no query found anything: nothing was compared", what)
		}
	}()
	for _, q := range queries {
		h1, s1 := x.Search(q, 10, nil, also)
		found += len(h1)
		h2, s2 := y.Search(q, 10, nil, also)
		if !slices.Equal(h1, h2) || !slices.Equal(s1, s2) {
			t.Fatalf("%s, %q: hits %v / %v, scores of also %v / %v", what, q, h1, h2, s1, s2)
		}
		keep := func(id string) bool { return id[len(id)-1] != '3' }
		h1, _ = x.Search(q, 5, keep, nil)
		h2, _ = y.Search(q, 5, keep, nil)
		if !slices.Equal(h1, h2) {
			t.Fatalf("%s, %q with a filter: %v / %v", what, q, h1, h2)
		}
	}
}

// TestReadLazy checks the index Read leaves in place against the one that
// was saved, with both scorings: the same hits and scores, documents and
// terms; then that changing it (Add, Remove, SetOptions with other
// document-frequency bounds) decodes it into an index that still scores
// as the original changed the same way.
func TestReadLazy(t *testing.T) {
	ids, texts := randomDocs(1, 600)
	rng := rand.New(rand.NewPCG(2, 2))
	var queries []string
	for range 40 {
		tx := texts[rng.IntN(len(texts))]
		queries = append(queries, tx[:min(len(tx), 20+rng.IntN(40))])
	}
	also := []string{ids[0], ids[7], "not-a-doc", ids[300]}
	for _, sc := range []Scoring{TFIDF, BM25} {
		x := New(Options{Scoring: sc, Terms: plainTerms})
		x.Add(ids[:500], texts[:500])
		x.Remove(ids[10], ids[20]) // terms left without documents are not saved
		var buf bytes.Buffer
		if _, err := x.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		y, err := Read(buf.Bytes(), Options{Scoring: sc, Terms: plainTerms})
		if err != nil {
			t.Fatal(err)
		}
		if y.lazy == nil {
			t.Fatal("Read decoded the index instead of leaving it in place")
		}
		sameSearch(t, fmt.Sprintf("scoring %d, read in place", sc), x, y, queries, also)
		if y.Len() != x.Len() || !slices.Equal(y.IDs(), x.IDs()) || !y.Has(ids[5]) || y.Has(ids[10]) {
			t.Errorf("scoring %d: %d documents read, %d saved (or IDs differ)", sc, y.Len(), x.Len())
		}
		x.Add(ids[500:], texts[500:])
		y.Add(ids[500:], texts[500:])
		if y.lazy != nil {
			t.Fatal("Add did not decode the index")
		}
		sameSearch(t, fmt.Sprintf("scoring %d, after Add", sc), x, y, queries, also)

		z, err := Read(buf.Bytes(), Options{Scoring: sc, Terms: plainTerms})
		if err != nil {
			t.Fatal(err)
		}
		x.Remove(ids[500:]...)
		o := Options{Scoring: sc, MaxDF: 0.9, MinDF: 2}
		x.SetOptions(o)
		z.SetOptions(o)
		if sc == TFIDF && z.lazy != nil {
			t.Error("other MinDF/MaxDF did not decode the index (its stored norms are for the saved ones)")
		}
		sameSearch(t, fmt.Sprintf("scoring %d, other options", sc), x, z, queries, also)
	}
}

// plainTerms splits on spaces (the test's words are not English).
func plainTerms(text string, fn func([]byte)) {
	for _, w := range strings.Fields(text) {
		fn([]byte(w))
	}
}

// TestReadV2 checks that a file of version 2 (the format before the
// in-place layout, written here as papermap wrote it) is still read, and
// scores as the index it was written from.
func TestReadV2(t *testing.T) {
	ids, texts := randomDocs(5, 200)
	x := New(Options{Terms: plainTerms})
	x.Add(ids, texts)
	x.Fingerprint = "fp-2"
	var b []byte
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	b = append(b, headerV2...)
	str(x.Fingerprint)
	b = binary.AppendUvarint(b, uint64(len(x.ids)))
	for d, id := range x.ids {
		str(id)
		b = binary.AppendUvarint(b, uint64(x.length[d]))
	}
	b = binary.AppendUvarint(b, uint64(len(x.words)))
	for t, ps := range x.post {
		str(x.words[t])
		b = binary.AppendUvarint(b, uint64(len(ps)))
		prev := int32(0)
		for _, p := range ps {
			b = binary.AppendUvarint(b, uint64(p.doc-prev))
			b = binary.AppendUvarint(b, uint64(p.tf))
			prev = p.doc
		}
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	y, err := Read(b, Options{Terms: plainTerms})
	if err != nil {
		t.Fatal(err)
	}
	if y.lazy != nil || y.Fingerprint != "fp-2" {
		t.Fatalf("version 2 read in place (%v) or fingerprint %q", y.lazy != nil, y.Fingerprint)
	}
	sameSearch(t, "version 2", x, y, texts[:20], ids[:5])
}

// TestReadChunks checks a file of version 4 read by chunk: searches read
// and check some chunks, not all, and score as the saved index; a changed
// byte in any chunk is refused by Read (the header's chunks), or met by a
// search, which then reports Damaged (its answer may be wrong: the owner
// rebuilds), or left unread, and Check finds it in every case; a file cut
// anywhere is refused; an index read from a damaged file is never saved.
func TestReadChunks(t *testing.T) {
	defer func(b int) { chunkBytes = b }(chunkBytes)
	chunkBytes = 256 // many chunks from a small index
	ids, texts := randomDocs(7, 400)
	x := New(Options{Terms: plainTerms})
	x.Add(ids, texts)
	x.Fingerprint = "fp-4"
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	queries := []string{texts[3][:30], texts[100][:40], texts[399]}
	also := []string{ids[0], ids[250], "not-a-doc"}
	y, err := Read(data, Options{Terms: plainTerms})
	if err != nil {
		t.Fatal(err)
	}
	if y.lazy == nil || y.lazy.chk == nil || y.Fingerprint != "fp-4" {
		t.Fatal("version 4 not read in place by chunk")
	}
	sameSearch(t, "version 4", x, y, queries, also)
	checked, n := 0, len(y.lazy.chk.state)
	for k := range n {
		if y.lazy.chk.state[k].Load() != 0 {
			checked++
		}
	}
	if n < 50 || checked == 0 || checked == n {
		t.Fatalf("%d of %d chunks checked by %d searches: want some, not all, of many", checked, n, len(queries))
	}
	if err := y.Check(); err != nil || y.Damaged() {
		t.Fatalf("intact file: Check %v, Damaged %v", err, y.Damaged())
	}

	end := len(data) - footerLen - 4*n
	var refused, met, unread int
	for k := range n {
		for _, at := range []int{k * chunkBytes, min((k+1)*chunkBytes, end) - 1} {
			bad := bytes.Clone(data)
			bad[at] ^= 0x21
			z, err := Read(bad, Options{Terms: plainTerms})
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("byte %d changed: err %v, want ErrCorrupt", at, err)
				}
				refused++
				continue
			}
			same := true
			for _, q := range queries {
				h1, s1 := x.Search(q, 10, nil, also)
				h2, s2 := z.Search(q, 10, nil, also)
				same = same && slices.Equal(h1, h2) && slices.Equal(s1, s2)
			}
			switch {
			case z.Damaged():
				met++
			case !same:
				t.Fatalf("byte %d changed: a search answered differently without reporting the damage", at)
			default:
				unread++
			}
			if err := z.Check(); !errors.Is(err, ErrCorrupt) || !z.Damaged() {
				t.Fatalf("byte %d changed: Check %v, Damaged %v", at, err, z.Damaged())
			}
			if _, err := z.WriteTo(io.Discard); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("byte %d changed: an index read from a damaged file was saved (%v)", at, err)
			}
		}
	}
	if refused == 0 || met == 0 || unread == 0 {
		t.Fatalf("changed bytes: %d refused by Read, %d met by a search, %d unread: want some of each", refused, met, unread)
	}
	// The sums and the footer: any change or cut is refused by Read.
	for at := end; at < len(data); at++ {
		bad := bytes.Clone(data)
		bad[at] ^= 0x21
		if _, err := Read(bad, Options{}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d of the sums or footer changed: err %v, want ErrCorrupt", at, err)
		}
	}
	for cut := range len(data) {
		if _, err := Read(data[:cut], Options{}); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut to %d bytes: err %v, want ErrCorrupt", cut, err)
		}
	}
}
