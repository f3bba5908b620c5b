package parallel

import (
	"sync/atomic"
	"testing"
)

// Every item is visited exactly once, by a worker index below the thread
// count, for thread counts below, at and above the number of items.
func TestFor(t *testing.T) {
	for _, tc := range []struct{ threads, n int }{
		{0, 10}, {1, 10}, {3, 10}, {16, 5}, {4, 0}, {-2, 7},
	} {
		seen := make([]atomic.Int32, tc.n)
		limit := max(1, min(Threads(tc.threads), tc.n))
		var bad atomic.Int32
		For(Threads(tc.threads), tc.n, func(w, i int) {
			if w < 0 || w >= limit {
				bad.Add(1)
			}
			seen[i].Add(1)
		})
		if bad.Load() != 0 {
			t.Errorf("threads %d, n %d: %d calls with a worker index outside [0, %d)", tc.threads, tc.n, bad.Load(), limit)
		}
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Errorf("threads %d, n %d: item %d visited %d times", tc.threads, tc.n, i, c)
			}
		}
	}
}
