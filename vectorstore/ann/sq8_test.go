package ann

import (
	"math"
	"testing"
)

// TestQuantizer checks that every trained vector decodes to within half a
// step of itself in every dimension, that values outside the range clamp
// to its ends, that a constant dimension decodes exactly, and that a
// prepared query scores a code as the dot product with its decoding, and
// a code prepared as a query (codeQueries) as its decoding prepared.
func TestQuantizer(t *testing.T) {
	const n, d = 300, 40
	x := blobs(5, n, d, 4, 1)
	for i := range n {
		x[i*d+7] = 0.25 // a constant dimension
	}
	r := rows{x: x, dim: d}
	qz := TrainQuantizer(r, n, d)
	if err := qz.Check(d); err != nil {
		t.Fatal(err)
	}
	if qz.Step[7] != 0 {
		t.Fatalf("constant dimension: step %g, want 0", qz.Step[7])
	}
	code := make([]byte, d)
	dec := make([]float32, d)
	cqs := newCodeQueries(qz)
	for i := range n {
		v := r.Vec(int32(i))
		qz.Encode(code, v)
		qz.Decode(dec, code)
		for j := range d {
			if e := math.Abs(float64(dec[j] - v[j])); e > float64(qz.Step[j])*0.5001+1e-7 {
				t.Fatalf("vector %d dimension %d: %g decodes to %g, step %g", i, j, v[j], dec[j], qz.Step[j])
			}
		}
		var cq codedQuery
		q := r.Vec(int32((i + 1) % n))
		qz.prepare(&cq, q)
		// With 16-bit query values (VNNI), each term moves by at most
		// half a rounding step of the query times the code.
		tol := 1e-5
		if len(cq.qi) > 0 {
			for _, c := range code {
				tol += float64(cq.scale) / 2 * float64(c)
			}
		}
		if got, want := cq.sim(code), dot(q, dec); math.Abs(float64(got-want)) > tol {
			t.Fatalf("vector %d: coded score %g, dot with the decoding %g (tolerance %g)", i, got, want, tol)
		}
		// The decoding prepared as a query from the code alone (the
		// build's heuristic) scores another code as the decoding does.
		var cd, cd2 codedQuery
		other := make([]byte, d)
		qz.Encode(other, q)
		qz.prepare(&cd, dec)
		cqs.prepare(&cd2, code)
		tol2 := 1e-5
		if len(cd.qi) > 0 {
			for _, c := range other {
				tol2 += float64(cd.scale+cd2.scale) / 2 * float64(c)
			}
		}
		if a, b := cd.sim(other), cd2.sim(other); math.Abs(float64(a-b)) > tol2 {
			t.Fatalf("vector %d: the code prepared as a query scores %g, its decoding %g (tolerance %g)", i, b, a, tol2)
		}
	}
	out := make([]float32, d)
	for j := range out {
		out[j] = 10
	}
	out[0] = -10
	qz.Encode(code, out)
	if code[0] != 0 || code[1] != 255 || code[7] != 0 {
		t.Errorf("out-of-range values coded %d, %d, %d; want 0, 255, 0", code[0], code[1], code[7])
	}
	bad := &Quantizer{Lo: make([]float32, d), Step: make([]float32, d)}
	bad.Step[3] = float32(math.NaN())
	if bad.Check(d) == nil || qz.Check(d+1) == nil {
		t.Error("Check accepted a NaN step or the wrong dimension")
	}
}

// TestCodesRecall checks a walk over codes against the exact top 10, on
// TestRecall's data and ef (where the vectors' walk recalled 0.985 when
// that test was written), with deletions and a filter as in
// TestAddDeleteFilter: it must keep recall@10 ≥ 0.95, return only
// accepted nodes, and give the vectors' exact similarities, best first.
// Then UseCodes(nil, nil, CodeOptions{}) must answer as an index that never had codes.
func TestCodesRecall(t *testing.T) {
	const n, d, nq, k = 4000, 64, 100, 10
	x := blobs(1, n+nq, d, 20, 3)
	r := rows{x: x, dim: d}
	idx := New(r, Options{Seed: 7})
	idx.Build(n/2, 2)
	qz := TrainQuantizer(r, n/2, d) // the nodes added later fall partly outside its range
	codes := EncodeRows(qz, r, n/2)
	idx.UseCodes(qz, codes, CodeOptions{})
	for i := n / 2; i < n; i++ {
		codes.Append(r.Vec(int32(i)))
		idx.Add(int32(i))
	}
	for i := 0; i < n; i += 5 {
		idx.Delete(int32(i))
	}
	odd := func(n int32) bool { return n%2 == 1 }
	for _, filter := range []func(int32) bool{nil, odd} {
		skip := func(n int32) bool { return idx.IsDeleted(n) || (filter != nil && !filter(n)) }
		var sum float64
		for i := range nq {
			q := r.Vec(int32(n + i))
			got := idx.Search(q, k, 128, filter)
			for j, g := range got {
				if skip(g.Node) {
					t.Fatalf("query %d returned node %d, deleted or filtered out", i, g.Node)
				}
				if g.Sim != dot(q, r.Vec(g.Node)) || (j > 0 && g.Sim > got[j-1].Sim) {
					t.Fatalf("query %d: result %d %v is not the exact similarity in order", i, j, g)
				}
			}
			sum += recall(got, exact(r, n, q, k, skip))
		}
		if got := sum / nq; got < 0.95 {
			t.Errorf("filter %v: recall@10 over codes = %.3f, want ≥ 0.95", filter != nil, got)
		} else {
			t.Logf("filter %v: recall@10 over codes = %.3f", filter != nil, got)
		}
	}
	plain := New(r, Options{Seed: 7})
	plain.Build(n, 1)
	plain.UseCodes(qz, codes, CodeOptions{})
	plain.UseCodes(nil, nil, CodeOptions{})
	ref := New(r, Options{Seed: 7})
	ref.Build(n, 1)
	for i := range 10 {
		q := r.Vec(int32(n + i))
		a, b := plain.Search(q, k, 64, nil), ref.Search(q, k, 64, nil)
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("query %d: after UseCodes(nil, nil, 0) the index answers %v, one without codes %v", i, a, b)
			}
		}
	}
}

// TestBuildOnCodes checks a graph built over codes (CodeOptions.Build:
// the candidate search and the neighbour heuristic scored over the codes,
// the insertions grouped by pivot, localOrder, with its thresholds
// lowered to this size) against brute force, on TestCodesRecall's data,
// ef and target, with one worker and with four; and that the insertion
// order is a permutation of the nodes that keeps each window in place
// and groups it: on blobs with less noise (1, where a blob's members are
// nearer each other than other blobs' members), consecutive nodes mostly
// share a blob, where in node order (the blobs alternate node by node)
// they never do.
func TestBuildOnCodes(t *testing.T) {
	const n, d, nq, k = 4000, 64, 100, 10
	defer func(w, g, f int) { localWindow, localGroup, localFrom = w, g, f }(localWindow, localGroup, localFrom)
	localWindow, localGroup, localFrom = 1000, 10, 1000
	x := blobs(1, n+nq, d, 20, 3)
	r := rows{x: x, dim: d}
	qz := TrainQuantizer(r, n, d)
	codes := EncodeRows(qz, r, n)
	for _, workers := range []int{1, 4} {
		idx := New(r, Options{Seed: 7})
		idx.UseCodes(qz, codes, CodeOptions{Build: true})
		idx.Build(n, workers)
		if got := meanRecall(idx, r, n, nq, k, 128); got < 0.95 {
			t.Errorf("workers=%d: recall@10 of a graph built over codes = %.3f, want ≥ 0.95", workers, got)
		} else {
			t.Logf("workers=%d: recall@10 of a graph built over codes = %.3f", workers, got)
		}
		lx := blobs(2, n, d, 20, 1)
		lr := rows{x: lx, dim: d}
		lqz := TrainQuantizer(lr, n, d)
		lidx := New(lr, Options{Seed: 7})
		lidx.UseCodes(lqz, EncodeRows(lqz, lr, n), CodeOptions{Build: true})
		order := lidx.localOrder(0, n, workers)
		if len(order) != n {
			t.Fatalf("insertion order of %d nodes, want %d", len(order), n)
		}
		seen := make([]bool, n)
		var sameNow, sameBefore int
		for i, node := range order {
			if seen[node] || int(node)/localWindow != i/localWindow {
				t.Fatalf("position %d: node %d repeated or out of its window", i, node)
			}
			seen[node] = true
			if i > 0 && i >= localFrom && order[i-1] >= int32(localFrom) {
				if node%20 == order[i-1]%20 {
					sameNow++
				}
				sameBefore++
			}
		}
		if share := float64(sameNow) / float64(sameBefore); share < 0.5 {
			t.Errorf("workers=%d: %.2f of consecutive insertions share a blob, want ≥ 0.5", workers, share)
		} else {
			t.Logf("workers=%d: %.2f of consecutive insertions share a blob", workers, share)
		}
	}
}
