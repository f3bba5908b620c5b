package vectorstore

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// bruteForce is the reference search: float64 dot products of every
// record with the unit query, sorted by score then ID.
func bruteForce(recs []Record, q []float32, k int, opts QueryOptions) []Hit {
	var qn float64
	for _, x := range q {
		qn += float64(x) * float64(x)
	}
	qn = math.Sqrt(qn)
	var all []Hit
	for _, r := range recs {
		if slices.Contains(opts.Exclude, r.ID) || !opts.Where.match(r.Metadata) {
			continue
		}
		var dot float64
		for i := range q {
			dot += float64(q[i]) * float64(r.Embedding[i])
		}
		all = append(all, Hit{ID: r.ID, Score: float32(dot / qn)})
	}
	slices.SortFunc(all, func(a, b Hit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	return all[:min(k, len(all))]
}

// sameHits compares hit lists: the same IDs in the same order, scores
// within tol. With random vectors, neighbouring scores differ by far more
// than float32 rounding (about 1e-7 here), so the order is unambiguous.
func sameHits(t *testing.T, what string, got, want []Hit, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d hits, want %d\n got %v\nwant %v", what, len(got), len(want), got, want)
	}
	for i := range want {
		if got[i].ID != want[i].ID || math.Abs(float64(got[i].Score-want[i].Score)) > tol {
			t.Fatalf("%s: hit %d is %v, want %v\n got %v\nwant %v", what, i, got[i], want[i], got, want)
		}
	}
}

func TestQuery(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		n, dim int
		k      int
		opts   QueryOptions
	}{
		{name: "top 10 of 3000", n: 3000, dim: 64, k: 10},
		{name: "top 1", n: 3000, dim: 64, k: 1},
		{name: "large store split across workers", n: 20000, dim: 32, k: 25},
		{name: "where year", n: 3000, dim: 64, k: 10, opts: QueryOptions{Where: Filter{"year": "2003"}}},
		{name: "where year and venue", n: 3000, dim: 64, k: 10, opts: QueryOptions{Where: Filter{"year": "2003", "venue": "kdd"}}},
		{name: "where nothing matches", n: 3000, dim: 64, k: 10, opts: QueryOptions{Where: Filter{"venue": "icml"}}},
		{name: "where an absent key is empty", n: 300, dim: 64, k: 10, opts: QueryOptions{Where: Filter{"doi": ""}}},
		{name: "k larger than the store", n: 7, dim: 16, k: 50},
		{name: "k larger than the matches", n: 50, dim: 16, k: 20, opts: QueryOptions{Where: Filter{"year": "2001"}}},
		{name: "single record", n: 1, dim: 16, k: 3},
		{name: "384 dims", n: 2000, dim: 384, k: 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs := makeRecords(20, "p", tc.n, tc.dim)
			s := openStore(t, t.TempDir(), tc.dim)
			defer s.Close()
			mustAdd(t, s, recs)
			rng := rand.New(rand.NewPCG(21, 21))
			qs := make([][]float32, 8)
			for i := range qs {
				qs[i] = randUnit(rng, tc.dim)
			}
			// A query near a stored record, and one that is not unit length.
			qs[0] = slices.Clone(recs[tc.n/2].Embedding)
			for i := range qs[1] {
				qs[1][i] *= 3
			}
			batch, err := s.QueryBatch(ctx, qs, tc.k, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for i, q := range qs {
				want := bruteForce(recs, q, tc.k, tc.opts)
				got, err := s.Query(ctx, q, tc.k, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				// Float32 dot products of unit vectors in 384 dims are
				// within 1e-6 of the float64 reference.
				sameHits(t, "Query vs brute force", got, want, 1e-5)
				if !slices.Equal(got, batch[i]) {
					t.Fatalf("QueryBatch differs from Query for query %d:\n%v\n%v", i, batch[i], got)
				}
				viaChromem, err := s.queryChromem(ctx, q, tc.k, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				// chromem-go sums in another order: rounding only.
				sameHits(t, "chromem-go QueryEmbedding vs Query", viaChromem, got, 1e-6)
			}
		})
	}
}

func TestQueryExclude(t *testing.T) {
	ctx := context.Background()
	const n, dim = 500, 32
	recs := makeRecords(22, "p", n, dim)
	s := openStore(t, t.TempDir(), dim)
	defer s.Close()
	mustAdd(t, s, recs)
	q := recs[42].Embedding
	for _, tc := range []struct {
		name    string
		exclude []string
		k       int
	}{
		{"the query's own record", []string{recs[42].ID}, 5},
		{"several, and unknown IDs", []string{recs[42].ID, "nope", recs[7].ID, recs[300].ID}, 10},
		{"all but two", func() []string {
			var ids []string
			for _, r := range recs[2:] {
				ids = append(ids, r.ID)
			}
			return ids
		}(), 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := QueryOptions{Exclude: tc.exclude}
			got, err := s.Query(ctx, q, tc.k, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range got {
				if slices.Contains(tc.exclude, h.ID) {
					t.Errorf("excluded %s returned", h.ID)
				}
			}
			sameHits(t, "Query vs brute force", got, bruteForce(recs, q, tc.k, opts), 1e-5)
			viaChromem, err := s.queryChromem(ctx, q, tc.k, opts)
			if err != nil {
				t.Fatal(err)
			}
			sameHits(t, "chromem-go vs Query", viaChromem, got, 1e-6)
		})
	}
	// Without Exclude the record itself comes first, with score 1.
	got, _ := s.Query(ctx, q, 1, QueryOptions{})
	if got[0].ID != recs[42].ID || math.Abs(float64(got[0].Score)-1) > 1e-6 {
		t.Errorf("nearest to a stored vector: %v", got)
	}
}

func TestQueryTies(t *testing.T) {
	// Records with identical vectors tie: they come in ID order, whatever
	// the order they were added in and however the rows are split.
	ctx := context.Background()
	const dim = 8
	v := makeRecords(23, "v", 1, dim)[0].Embedding
	ids := []string{"d", "b", "e", "a", "c"}
	var recs []Record
	for _, id := range ids {
		recs = append(recs, Record{ID: id, Content: id, Embedding: v})
	}
	s := openStore(t, t.TempDir(), dim)
	defer s.Close()
	mustAdd(t, s, recs)
	got, err := s.Query(ctx, v, 3, QueryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if gotIDs := []string{got[0].ID, got[1].ID, got[2].ID}; !slices.Equal(gotIDs, []string{"a", "b", "c"}) {
		t.Errorf("tied hits %v, want a, b, c", got)
	}
}

func TestQueryErrors(t *testing.T) {
	ctx := context.Background()
	const dim = 8
	s := openStore(t, t.TempDir(), dim)
	defer s.Close()
	mustAdd(t, s, makeRecords(24, "p", 3, dim))
	good := makeRecords(25, "q", 1, dim)[0].Embedding
	nan := slices.Clone(good)
	nan[2] = float32(math.NaN())
	for _, tc := range []struct {
		name string
		q    []float32
		k    int
		want string
	}{
		{"wrong dimension", good[:4], 3, "query vector has 4 dims, the store 8"},
		{"zero vector", make([]float32, dim), 3, "query vector is zero"},
		{"NaN", nan, 3, "query vector value 2 is NaN"},
		{"k zero", good, 0, "k must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Query(ctx, tc.q, tc.k, QueryOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("empty store", func(t *testing.T) {
		e := openStore(t, t.TempDir(), dim)
		defer e.Close()
		hits, err := e.Query(ctx, good, 10, QueryOptions{})
		if err != nil || len(hits) != 0 {
			t.Errorf("Query on an empty store = %v, %v", hits, err)
		}
		if hits, err := e.queryChromem(ctx, good, 10, QueryOptions{}); err != nil || len(hits) != 0 {
			t.Errorf("chromem-go query on an empty store = %v, %v", hits, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Query(c, good, 1, QueryOptions{}); err != context.Canceled {
			t.Errorf("error %v, want context.Canceled", err)
		}
	})
}

// TestQueryWhileAdding runs queries concurrently with Add and Delete, for
// the race detector.
func TestQueryWhileAdding(t *testing.T) {
	ctx := context.Background()
	const dim = 16
	recs := makeRecords(26, "p", 3000, dim)
	s := openStore(t, t.TempDir(), dim)
	defer s.Close()
	mustAdd(t, s, recs[:100])
	done := make(chan struct{})
	go func() {
		defer close(done)
		for lo := 100; lo < len(recs); lo += 100 {
			mustAdd(t, s, recs[lo:lo+100])
			if err := s.Delete(ctx, recs[lo+50].ID); err != nil {
				t.Error(err)
			}
		}
	}()
	for q := 0; ; q++ {
		select {
		case <-done:
			if s.Len() != len(recs)-29 {
				t.Errorf("Len %d, want %d", s.Len(), len(recs)-29)
			}
			return
		default:
		}
		hits, err := s.Query(ctx, recs[q%100].Embedding, 5, QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if hits[0].ID != recs[q%100].ID {
			t.Fatalf("query %d: best hit %v, want %s", q, hits[0], recs[q%100].ID)
		}
	}
}

func TestQueryBatchGroups(t *testing.T) {
	// More queries than one group (queryGroup): every query still gets
	// exactly what Query gives it, in order.
	ctx := context.Background()
	const n, dim = 2000, 32
	recs := makeRecords(27, "p", n, dim)
	s := openStore(t, t.TempDir(), dim)
	defer s.Close()
	mustAdd(t, s, recs)
	rng := rand.New(rand.NewPCG(28, 28))
	for _, nq := range []int{0, 1, queryGroup, 2*queryGroup + 7} {
		qs := make([][]float32, nq)
		for i := range qs {
			qs[i] = randUnit(rng, dim)
		}
		opts := QueryOptions{Where: Filter{"venue": "chi"}, Exclude: []string{recs[2].ID}}
		batch, err := s.QueryBatch(ctx, qs, 7, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) != nq {
			t.Fatalf("%d queries: %d results", nq, len(batch))
		}
		for i, q := range qs {
			one, err := s.Query(ctx, q, 7, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(one, batch[i]) {
				t.Fatalf("%d queries: query %d: batch %v, single %v", nq, i, batch[i], one)
			}
		}
	}
}
