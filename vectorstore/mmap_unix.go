//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vectorstore

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapFile maps the first size bytes of f privately: writes to the mapping
// (a writer changing rows in place) are copied on write, never written to
// the file.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return unix.Munmap(data) }, nil
}

// mapAnon returns n bytes of zeroed memory outside the Go heap (an
// anonymous private mapping): the garbage collector neither scans it nor
// counts it in the heap whose growth paces it, and pages never touched
// take no memory.
func mapAnon(n int) ([]byte, error) {
	return unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
}

// unmapAnon releases memory from mapAnon or remapAnon.
func unmapAnon(b []byte) error { return unix.Munmap(b) }

// dropPages removes the pages wholly inside b, part of a private file
// mapping no longer read, from the process's page tables (MADV_DONTNEED):
// they stop counting in its resident memory, and stay in the page cache.
// A later read of them reads the file again (a private copy made by a
// write is lost). Advisory: an error leaves them mapped.
func dropPages(b []byte) {
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo, hi := (start+page-1)&^(page-1), (start+uintptr(len(b)))&^(page-1)
	if len(b) == 0 || hi <= lo {
		return
	}
	_ = unix.Madvise(b[lo-start:hi-start], unix.MADV_DONTNEED)
}
