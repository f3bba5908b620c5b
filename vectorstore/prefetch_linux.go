//go:build linux

package vectorstore

import (
	"os"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// prefetchWindow is the span of one read-ahead request of prefetchCold.
// The kernel reads at most its read-ahead size (8 MiB on the test VM's
// disk) per MADV_WILLNEED call.
const prefetchWindow = 8 << 20

// prefetchCold asks the kernel to read into the page cache, in the
// background, every window of the file mapping b that has pages not
// cached (MADV_WILLNEED starts the reads and returns), until stop is set.
// A graph walk at a million records meets rows in nearly every 8 MiB of
// the matrix, which a cold cache then reads one fault at a time; asked
// ahead, the reads run while the index loads and the query is embedded,
// and the walk's faults find the pages read or on their way. Advisory:
// errors leave the pages to their faults.
func prefetchCold(b []byte, stop *atomic.Bool) {
	adviseCold(b, stop, unix.MADV_WILLNEED)
}

// readCold reads into the page cache, and enters into the page tables,
// every window of the file mapping b that has pages not cached, one
// window after another in file order (madvise MADV_POPULATE_READ, which
// returns once its window is read), until stop is set. It is for the files
// a reader's graph walk meets nearly everywhere (index.hnsw, index.sq8):
// there MADV_WILLNEED (prefetchCold) leaves the kernel's read-ahead and
// the walk's faults to race, and a walk reads for longer than the files
// take to read whole. Both files of the 1M store (509 MB), evicted, were
// in the cache and mapped after 0.28 s (median of 5) with
// MADV_POPULATE_READ from one thread, against 0.70 s for MADV_WILLNEED
// of every window then a touch of every page (2026-12-07, the 2-core test
// VM at load 3-4; bench/RESULTS.md, "Cold search at 1M: the index files
// read whole"). Where the kernel has no MADV_POPULATE_READ (before 5.14)
// the windows left are asked for with MADV_WILLNEED instead. Advisory:
// other errors leave the pages to their faults.
func readCold(b []byte, stop *atomic.Bool) {
	if adviseCold(b, stop, unix.MADV_POPULATE_READ) != nil {
		prefetchCold(b, stop)
	}
}

// adviseCold calls madvise(advice) on every window of prefetchWindow
// bytes of the file mapping b that has pages not cached when it starts,
// until stop is set, and returns the first error.
func adviseCold(b []byte, stop *atomic.Bool, advice int) error {
	page := os.Getpagesize()
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if len(b) == 0 || start%uintptr(page) != 0 {
		return nil
	}
	n := (len(b) + page - 1) / page
	vec := make([]byte, n)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, start, uintptr(len(b)), uintptr(unsafe.Pointer(unsafe.SliceData(vec)))); errno != 0 {
		return errno
	}
	per := prefetchWindow / page
	for w := 0; w < n && !stop.Load(); w += per {
		end := min(n, w+per)
		cold := false
		for _, v := range vec[w:end] {
			if v&1 == 0 {
				cold = true
				break
			}
		}
		if !cold {
			continue
		}
		if err := unix.Madvise(b[w*page:min(end*page, len(b))], advice); err != nil {
			return err
		}
	}
	return nil
}
