//go:build linux

package vectorstore

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// populateResident enters into the page tables, ahead of use, the pages
// of the file mapping b that are in the page cache (one madvise
// MADV_POPULATE_READ per run of such pages), so that reading them costs
// no page fault. A page fault maps 64 KiB of a file mapping here, and a
// graph walk at a million records meets some 12,000 of them: 0.25 s of
// system time on the test VM, against 0.05 s to populate the whole 1.1 GB
// matrix when it is cached (bench/RESULTS.md, "records.idx read where it
// is used"). Pages not cached are left to be read when touched: a cold
// cache is not read whole. Advisory: errors (a kernel before 5.14 has no
// MADV_POPULATE_READ) leave the pages to their faults.
func populateResident(b []byte) {
	page := os.Getpagesize()
	if len(b) == 0 || uintptr(unsafe.Pointer(unsafe.SliceData(b)))%uintptr(page) != 0 {
		return
	}
	n := (len(b) + page - 1) / page
	vec := make([]byte, n)
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), uintptr(unsafe.Pointer(unsafe.SliceData(vec)))); errno != 0 {
		return
	}
	for i := 0; i < n; {
		if vec[i]&1 == 0 {
			i++
			continue
		}
		j := i + 1
		for j < n && vec[j]&1 != 0 {
			j++
		}
		if unix.Madvise(b[i*page:min(j*page, len(b))], unix.MADV_POPULATE_READ) != nil {
			return
		}
		i = j
	}
}
