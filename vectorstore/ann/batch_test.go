package ann

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
)

// TestBatchBuild checks the batch build (CodeOptions.Batch, with From
// lowered to this size) on TestCodesRecall's data, ef and
// target: recall@10 against brute force with one worker and with four;
// that the sequential build depends only on the seed (and another seed
// draws other pivots), and its bottom layer not on the number of workers; that every node has a bottom list and the graph
// survives Encode and Decode; and that nodes added afterwards one by one
// (Add) are found as well as those built in batch.
func TestBatchBuild(t *testing.T) {
	const n, more, d, nq, k = 4000, 400, 64, 100, 10
	x := blobs(1, n+more+nq, d, 20, 3)
	r := rows{x: x, dim: d}
	qz := TrainQuantizer(r, n, d)
	opts := &BatchOptions{PerPivot: 100, From: 1000}
	build := func(seed uint64, workers int) (*Index, *CodeRows) {
		codes := EncodeRows(qz, r, n)
		idx := New(r, Options{Seed: seed})
		idx.UseCodes(qz, codes, CodeOptions{Build: true, Batch: opts})
		idx.Build(n, workers)
		return idx, codes
	}
	queries := rows{x: x[(n+more)*d:], dim: d}
	recallAt := func(idx *Index, nn int) float64 {
		var sum float64
		for i := range nq {
			q := queries.Vec(int32(i))
			sum += recall(idx.Search(q, k, 128, nil), exact(r, nn, q, k, nil))
		}
		return sum / nq
	}
	for _, workers := range []int{1, 4} {
		idx, codes := build(7, workers)
		for node := range n {
			if cnt, _ := idx.list(int32(node), 0); *cnt == 0 {
				t.Fatalf("workers=%d: node %d has no neighbour on the bottom layer", workers, node)
			}
		}
		if got := recallAt(idx, n); got < 0.95 {
			t.Errorf("workers=%d: recall@10 of a graph built in batch = %.3f, want ≥ 0.95", workers, got)
		} else {
			t.Logf("workers=%d: recall@10 of a graph built in batch = %.3f", workers, got)
		}
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		if err := idx.Encode(w); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		if _, err := Decode(bufio.NewReader(&buf), r); err != nil {
			t.Fatalf("workers=%d: Decode of a graph built in batch: %v", workers, err)
		}
		for node := n; node < n+more; node++ {
			codes.Append(r.Vec(int32(node)))
			idx.Add(int32(node))
		}
		if got := recallAt(idx, n+more); got < 0.95 {
			t.Errorf("workers=%d: recall@10 after %d Adds = %.3f, want ≥ 0.95", workers, more, got)
		}
	}
	a, _ := build(3, 1)
	b, _ := build(3, 1)
	c, _ := build(4, 1)
	if !slices.Equal(a.l0, b.l0) || !slices.Equal(a.up, b.up) || a.entry != b.entry {
		t.Error("two sequential batch builds with seed 3 differ")
	}
	if p, _ := build(3, 4); !slices.Equal(a.l0, p.l0) {
		t.Error("the bottom layer of a batch build with four workers differs from one with one")
	}
	if slices.Equal(a.l0, c.l0) {
		t.Error("seeds 3 and 4 gave the same bottom layer")
	}
}

// stopAfter is a context whose Err reports context.Canceled from its
// n-th call on: a cancellation in the middle of a build.
type stopAfter struct {
	context.Context
	left atomic.Int64
}

func (c *stopAfter) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestBatchBuildContext checks that BuildContext stops a batch build when
// its context is done in the middle (some nodes then have no bottom
// list) and returns the context's error, and completes it otherwise.
func TestBatchBuildContext(t *testing.T) {
	const n, d = 3000, 64
	r := rows{x: blobs(4, n, d, 20, 3), dim: d}
	qz := TrainQuantizer(r, n, d)
	for _, c := range []struct {
		calls   int64
		stopped bool
	}{{40, true}, {1 << 40, false}} {
		idx := New(r, Options{Seed: 7})
		idx.UseCodes(qz, EncodeRows(qz, r, n), CodeOptions{Build: true, Batch: &BatchOptions{PerPivot: 100, From: 1000}})
		ctx := &stopAfter{Context: context.Background()}
		ctx.left.Store(c.calls)
		err := idx.BuildContext(ctx, n, 2)
		empty := 0
		for node := range n {
			if cnt, _ := idx.list(int32(node), 0); *cnt == 0 {
				empty++
			}
		}
		if c.stopped && (!errors.Is(err, context.Canceled) || empty == 0) {
			t.Errorf("stopped after %d checks: error %v, %d nodes without a bottom list (want context.Canceled, some)", c.calls, err, empty)
		}
		if !c.stopped && (err != nil || empty > 0) {
			t.Errorf("not stopped: error %v, %d nodes without a bottom list", err, empty)
		}
	}
}

// TestBatchBuildDuplicates checks a batch build where a third of the
// nodes share one vector (their lists would hold all of them, searched
// in parts instead, batchMaxList): it finishes, and the other nodes are
// found (recall@10 ≥ 0.95 for queries near them; the duplicates tie).
func TestBatchBuildDuplicates(t *testing.T) {
	const n, d, nq, k = 6000, 64, 100, 10
	x := blobs(5, n+nq, d, 20, 3)
	for node := 0; node < n; node += 3 {
		copy(x[node*d:(node+1)*d], x[:d])
	}
	r := rows{x: x, dim: d}
	qz := TrainQuantizer(r, n, d)
	idx := New(r, Options{Seed: 7})
	idx.UseCodes(qz, EncodeRows(qz, r, n), CodeOptions{Build: true, Batch: &BatchOptions{PerPivot: 50, From: 1000}})
	idx.Build(n, 2)
	dup := func(node int32) bool { return node%3 == 0 }
	var sum float64
	for i := range nq {
		q := r.Vec(int32(n + i))
		var got []Result
		for _, h := range idx.Search(q, 3*k, 256, nil) {
			if !dup(h.Node) && len(got) < k {
				got = append(got, h)
			}
		}
		sum += recall(got, exact(r, n, q, k, dup))
	}
	if got := sum / nq; got < 0.95 {
		t.Errorf("recall@10 among the distinct nodes = %.3f, want ≥ 0.95", got)
	} else {
		t.Logf("recall@10 among the distinct nodes = %.3f", got)
	}
}
