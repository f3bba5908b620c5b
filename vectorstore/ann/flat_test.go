package ann

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// flatFixture builds a graph of n nodes (node 3 deleted) and returns it,
// its vectors, its flat layout at an 8-byte-aligned address and its list
// checksums.
func flatFixture(t *testing.T, n, d int) (*Index, rows, []byte, []uint32) {
	t.Helper()
	r := rows{x: blobs(6, n+20, d, 7, 1), dim: d}
	idx := New(r, Options{Seed: 7, EfConstruction: 40}) // a quick build: the tests are of the layout
	idx.Build(n, 0)
	idx.Delete(3)
	var b bytes.Buffer
	if err := idx.WriteFlat(&b); err != nil {
		t.Fatal(err)
	}
	aligned := make([]uint64, (b.Len()+8)/8)
	enc := unsafe.Slice((*byte)(unsafe.Pointer(&aligned[0])), len(aligned)*8)[:b.Len()]
	copy(enc, b.Bytes())
	return idx, r, enc, idx.FlatSums()
}

// listsSpan returns where the layer-0 lists of a flat layout of n nodes
// start.
func listsSpan(n int) (l0 int) {
	return flatHeader + int(pad8(int64(n))) + 8*((n+63)/64)
}

// TestFlatLazy checks that a graph loaded by LoadFlatLazy answers as the
// original (in place and copied), checks only the chunks its searches
// meet, and that CheckLists then checks the rest.
func TestFlatLazy(t *testing.T) {
	const n, d = 20000, 16
	idx, r, enc, sums := flatFixture(t, n, d)
	odd := make([]byte, len(enc)+1)[1:]
	copy(odd, enc)
	for name, data := range map[string][]byte{"in place": enc, "copied": odd} {
		got, size, err := LoadFlatLazy(data, r, sums)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if size != int64(len(data)) {
			t.Errorf("%s: LoadFlatLazy used %d of %d bytes", name, size, len(data))
		}
		for i := range 10 {
			q := r.Vec(int32(n + 10 + i))
			if a, b := idx.Search(q, 10, 50, nil), got.Search(q, 10, 50, nil); !slices.Equal(a, b) {
				t.Fatalf("%s, query %d: lazily loaded graph answers %v, original %v", name, i, b, a)
			}
		}
		z := got.vecs.(*lazyLists)
		checked := 0
		for c := range z.state {
			if z.state[c].Load() != 0 {
				checked++
			}
		}
		// 10 searches at ef 50 meet a few thousand nodes of 20,000.
		if checked == 0 || checked == len(z.state) {
			t.Errorf("%s: %d of %d chunks checked after 10 searches", name, checked, len(z.state))
		}
		if got.Damaged() {
			t.Errorf("%s: an intact graph reports damage", name)
		}
		if err := got.CheckLists(); err != nil || !z.all.Load() {
			t.Errorf("%s: CheckLists of an intact graph: %v", name, err)
		}
		for i := range 10 { // a checked graph can grow
			got.Add(int32(n + i))
		}
		if res := got.Search(r.Vec(int32(n+4)), 1, 50, nil); len(res) != 1 || res[0].Node != int32(n+4) {
			t.Errorf("%s: a node added to a lazily loaded graph is not found by its own vector: %v", name, res)
		}
	}
	if _, _, err := LoadFlatLazy(enc, r, sums[1:]); err == nil {
		t.Error("LoadFlatLazy took a list of checksums of the wrong length")
	}
}

// TestFlatLazyDamage damages lists with neighbours out of range (which a
// search reading them unchecked would index with, and panic): with their
// checksums left as they were, and with checksums that match the damage
// (a writer's bug the checks must still catch). Every search must finish,
// return only nodes of the graph, and the damage of the chunks it met must
// show in Damaged; CheckLists must report it.
func TestFlatLazyDamage(t *testing.T) {
	const n, d = 3000, 16
	idx, r, enc, sums := flatFixture(t, n, d)
	good := slices.Clone(enc)
	l0 := listsSpan(n)
	m0 := 2 * idx.m
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 40 {
		copy(enc, good)
		sums := slices.Clone(sums)
		// The entry node's chunk (met by every search) in even trials,
		// random chunks, up to all of them, in odd ones.
		var chunks []int
		switch {
		case trial%2 == 0:
			chunks = []int{int(idx.entry) / FlatChunk}
		case trial == 39:
			for c := range sums {
				chunks = append(chunks, c)
			}
		default:
			for range 1 + rng.IntN(50) {
				chunks = append(chunks, rng.IntN(len(sums)))
			}
		}
		for _, c := range chunks {
			node := c*FlatChunk + rng.IntN(min(FlatChunk, n-c*FlatChunk))
			at := l0 + 4*node*(m0+1)
			binary.LittleEndian.PutUint32(enc[at:], uint32(1+rng.IntN(m0)))      // a count
			binary.LittleEndian.PutUint32(enc[at+4:], uint32(n+rng.IntN(1<<30))) // out of range
			if trial%4 == 1 {
				// The checksum of the damaged bytes: only the checks
				// of counts and neighbours can catch it.
				a, b := c*FlatChunk, min(n, (c+1)*FlatChunk)
				up := l0 + 4*n*(m0+1)
				sum := crc32.Checksum(enc[l0+4*a*(m0+1):l0+4*b*(m0+1)], flatCRC)
				sums[c] = crc32.Update(sum, flatCRC, enc[up+4*int(idx.upOff[a]):up+4*idx.upEnd(b, len(idx.up))])
			}
		}
		g, _, err := LoadFlatLazy(enc, r, sums)
		if err != nil {
			t.Fatalf("trial %d: damaged lists failed the load (they are checked at use): %v", trial, err)
		}
		if trial%3 == 0 {
			// A walk over codes reads no vector before a node's lists:
			// it must ask for the check itself.
			qz := TrainQuantizer(r, n, d)
			g.UseCodes(qz, EncodeRows(qz, r, n), CodeOptions{})
		}
		for i := range 5 {
			for _, res := range g.Search(r.Vec(int32(n+i)), 10, 50, nil) {
				if res.Node < 0 || int(res.Node) >= n {
					t.Fatalf("trial %d: search returned node %d of %d", trial, res.Node, n)
				}
			}
		}
		if trial%2 == 0 && !g.Damaged() {
			t.Errorf("trial %d: the entry node's damaged chunk was met without Damaged", trial)
		}
		if err := g.CheckLists(); err == nil || !g.Damaged() {
			t.Errorf("trial %d: CheckLists of damaged lists: %v, Damaged %v", trial, err, g.Damaged())
		}
	}
}
