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
	page := os.Getpagesize()
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if len(b) == 0 || start%uintptr(page) != 0 {
		return
	}
	n := (len(b) + page - 1) / page
	vec := make([]byte, n)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, start, uintptr(len(b)), uintptr(unsafe.Pointer(unsafe.SliceData(vec)))); errno != 0 {
		return
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
		if cold && unix.Madvise(b[w*page:min(end*page, len(b))], unix.MADV_WILLNEED) != nil {
			return
		}
	}
}
