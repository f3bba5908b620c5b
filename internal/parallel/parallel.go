// Package parallel is the worker pool shared by the packages that own the
// maths (cluster, topicmap/layout): items handed out one at a time to a
// fixed number of goroutines.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Threads returns threads, or runtime.GOMAXPROCS(0) when threads ≤ 0.
func Threads(threads int) int {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return max(threads, 1)
}

// For calls f(worker, i) for every i in [0, n), spreading the calls over at
// most threads goroutines (worker is in [0, min(threads, n)), so callers can
// keep one scratch buffer per worker). Items are handed out dynamically, so
// f must write only what item i owns; callers that reduce across items store
// one partial result per item and combine them in item order, which keeps
// results independent of the thread count. With threads ≤ 1 the calls run in
// order on the calling goroutine.
func For(threads, n int, f func(worker, i int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		for i := 0; i < n; i++ {
			f(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < threads; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(w, i)
			}
		}()
	}
	wg.Wait()
}
