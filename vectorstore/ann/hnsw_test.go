package ann

import (
	"bufio"
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// rows is a Vectors over a row-major matrix.
type rows struct {
	x   []float32
	dim int
}

func (r rows) Vec(n int32) []float32 { return r.x[int(n)*r.dim : int(n+1)*r.dim] }

// blobs returns n unit vectors of dimension d around c random centres,
// with Gaussian noise of the given scale: a small version of
// bench/cluster/gen.py's data.
func blobs(seed uint64, n, d, c int, noise float64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := make([]float64, c*d)
	for i := range centres {
		centres[i] = rng.NormFloat64()
	}
	x := make([]float32, n*d)
	for i := range n {
		v := x[i*d : (i+1)*d]
		var s float64
		for j := range v {
			f := centres[(i%c)*d+j] + noise*rng.NormFloat64()
			v[j] = float32(f)
			s += f * f
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(s))
		}
	}
	return x
}

// exact returns the k rows most similar to q by brute force.
func exact(r rows, n int, q []float32, k int, skip func(int32) bool) []int32 {
	all := make([]Result, 0, n)
	for i := range n {
		if skip != nil && skip(int32(i)) {
			continue
		}
		all = append(all, Result{Node: int32(i), Sim: dot(q, r.Vec(int32(i)))})
	}
	sortDesc(all)
	out := make([]int32, 0, k)
	for _, a := range all[:min(k, len(all))] {
		out = append(out, a.Node)
	}
	return out
}

func recall(got []Result, want []int32) float64 {
	if len(want) == 0 {
		return 1
	}
	hit := 0
	for _, g := range got {
		if slices.Contains(want, g.Node) {
			hit++
		}
	}
	return float64(hit) / float64(len(want))
}

// meanRecall returns idx's mean recall@k at ef over the nq queries that
// follow the n rows of r.
func meanRecall(idx *Index, r rows, n, nq, k, ef int) float64 {
	var sum float64
	for i := range nq {
		q := r.Vec(int32(n + i))
		sum += recall(idx.Search(q, k, ef, nil), exact(r, n, q, k, nil))
	}
	return sum / float64(nq)
}

// TestRecall checks recall@10 against brute force on 4,000 vectors of 64
// dimensions in 20 noisy blobs (noise 3: neighbours are not trivially the
// blob's members, and the data is close to uniform on the sphere, a hard
// case), queries drawn from the same model. 0.95 is the target of issue
// 14; when the test was written a sequential build gave recall 0.52, 0.81,
// 0.93, 0.985 and 0.999 at ef 10, 32, 64, 128 and 256, so ef 128 is used.
func TestRecall(t *testing.T) {
	const n, d, nq, k = 4000, 64, 100, 10
	x := blobs(1, n+nq, d, 20, 3)
	r := rows{x: x, dim: d}
	for _, workers := range []int{1, 4} {
		idx := New(r, Options{Seed: 7})
		idx.Build(n, workers)
		if got := meanRecall(idx, r, n, nq, k, 128); got < 0.95 {
			t.Errorf("workers=%d: recall@10 = %.3f, want ≥ 0.95", workers, got)
		} else {
			t.Logf("workers=%d: recall@10 = %.3f", workers, got)
		}
	}
}

// TestDeterministic checks that a sequential build depends only on the
// seed, and that another seed draws other layers. (On data this easy two
// seeds may well give the same bottom layer: the candidate lists find
// the same near neighbours whatever the entry point.)
func TestDeterministic(t *testing.T) {
	const n, d = 1000, 16
	r := rows{x: blobs(2, n, d, 5, 1), dim: d}
	build := func(seed uint64) *Index {
		idx := New(r, Options{Seed: seed})
		idx.Build(n, 1)
		return idx
	}
	a, b, c := build(3), build(3), build(4)
	if !slices.Equal(a.l0, b.l0) || !slices.Equal(a.level, b.level) || a.entry != b.entry {
		t.Error("two sequential builds with seed 3 differ")
	}
	if slices.Equal(a.level, c.level) {
		t.Error("seeds 3 and 4 drew the same layers")
	}
}

// TestAddDeleteFilter checks incremental inserts, deletions and a filter:
// results never include a deleted or refused node, and recall over the
// remaining nodes stays ≥ 0.95.
func TestAddDeleteFilter(t *testing.T) {
	const n, d, nq, k = 3000, 32, 50, 10
	x := blobs(3, n+nq, d, 10, 2)
	r := rows{x: x, dim: d}
	idx := New(r, Options{Seed: 1})
	idx.Build(n/2, 2)
	for i := n / 2; i < n; i++ {
		idx.Add(int32(i))
	}
	for i := 0; i < n; i += 3 {
		idx.Delete(int32(i))
	}
	even := func(n int32) bool { return n%2 == 0 }
	skip := func(n int32) bool { return idx.IsDeleted(n) || !even(n) }
	var sum float64
	for i := range nq {
		q := r.Vec(int32(n + i))
		got := idx.Search(q, k, 128, even)
		for _, g := range got {
			if skip(g.Node) {
				t.Fatalf("query %d returned node %d, deleted or filtered out", i, g.Node)
			}
		}
		sum += recall(got, exact(r, n, q, k, skip))
	}
	if got := sum / nq; got < 0.95 {
		t.Errorf("recall@10 with deletions and a filter = %.3f, want ≥ 0.95", got)
	}
	if idx.Deleted() != (n+2)/3 {
		t.Errorf("Deleted() = %d, want %d", idx.Deleted(), (n+2)/3)
	}
}

// TestEncodeDecode checks that a decoded graph answers as the original,
// and that every truncation of the encoding, and every single-byte
// change, is an error or a graph that searches without panicking.
func TestEncodeDecode(t *testing.T) {
	const n, d = 500, 16
	r := rows{x: blobs(4, n+10, d, 5, 1), dim: d}
	idx := New(r, Options{Seed: 5})
	idx.Build(n, 1)
	idx.Delete(3)
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	if err := idx.Encode(w); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	enc := b.Bytes()
	got, err := Decode(bufio.NewReader(bytes.NewReader(enc)), r)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		q := r.Vec(int32(n + i))
		if a, b := idx.Search(q, 10, 50, nil), got.Search(q, 10, 50, nil); !slices.Equal(a, b) {
			t.Fatalf("query %d: decoded graph answers %v, original %v", i, b, a)
		}
	}
	if !got.IsDeleted(3) || got.Deleted() != 1 {
		t.Error("the deletion mark was lost")
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for range 300 {
		cut := rng.IntN(len(enc))
		if _, err := Decode(bufio.NewReader(bytes.NewReader(enc[:cut])), r); err == nil {
			t.Fatalf("a cut at %d of %d bytes decoded without error", cut, len(enc))
		}
		bad := slices.Clone(enc)
		bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
		if g, err := Decode(bufio.NewReader(bytes.NewReader(bad)), r); err == nil && g.Len() <= n+10 {
			g.Search(r.Vec(int32(n)), 10, 50, nil) // must not panic
		}
	}
}

// TestFlat checks that a graph loaded from its flat layout answers as the
// original, in place (aligned bytes) and copied (bytes at an odd address),
// that Add and Delete work on a loaded graph, and that every truncation
// and single-byte change of the layout is an error or a graph that
// searches without panicking.
func TestFlat(t *testing.T) {
	const n, d = 500, 16
	r := rows{x: blobs(4, n+20, d, 5, 1), dim: d}
	idx := New(r, Options{Seed: 5})
	idx.Build(n, 1)
	idx.Delete(3)
	var b bytes.Buffer
	if err := idx.WriteFlat(&b); err != nil {
		t.Fatal(err)
	}
	if int64(b.Len()) != idx.FlatSize() {
		t.Fatalf("WriteFlat wrote %d bytes, FlatSize says %d", b.Len(), idx.FlatSize())
	}
	aligned := make([]uint64, (b.Len()+8)/8)
	enc := unsafe.Slice((*byte)(unsafe.Pointer(&aligned[0])), len(aligned)*8)[:b.Len()]
	copy(enc, b.Bytes())
	odd := make([]byte, b.Len()+1)[1:]
	copy(odd, b.Bytes())
	for name, data := range map[string][]byte{"in place": enc, "copied": odd} {
		got, size, err := LoadFlat(data, r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if size != int64(len(data)) {
			t.Errorf("%s: LoadFlat used %d of %d bytes", name, size, len(data))
		}
		for i := range 10 {
			q := r.Vec(int32(n + 10 + i))
			if a, b := idx.Search(q, 10, 50, nil), got.Search(q, 10, 50, nil); !slices.Equal(a, b) {
				t.Fatalf("%s, query %d: loaded graph answers %v, original %v", name, i, b, a)
			}
		}
		if !got.IsDeleted(3) || got.Deleted() != 1 || got.Len() != n {
			t.Errorf("%s: %d nodes, deletion marks %v/%d", name, got.Len(), got.IsDeleted(3), got.Deleted())
		}
		for i := range 10 {
			got.Add(int32(n + i))
		}
		got.Delete(7)
		q := r.Vec(int32(n + 4))
		if res := got.Search(q, 1, 50, nil); len(res) != 1 || res[0].Node != int32(n+4) {
			t.Errorf("%s: a node added to a loaded graph is not found by its own vector: %v", name, res)
		}
	}
	good := slices.Clone(b.Bytes())
	rng := rand.New(rand.NewPCG(9, 9))
	for range 300 {
		cut := rng.IntN(len(good))
		copy(enc, good)
		if _, _, err := LoadFlat(enc[:cut], r); err == nil {
			t.Fatalf("a cut at %d of %d bytes loaded without error", cut, len(good))
		}
		enc[rng.IntN(len(good))] ^= byte(1 + rng.IntN(255))
		if g, _, err := LoadFlat(enc, r); err == nil && g.Len() <= n+20 {
			g.Search(r.Vec(int32(n)), 10, 50, nil) // must not panic
		}
	}
}
