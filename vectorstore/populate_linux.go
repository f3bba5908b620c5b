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

// copyMatrix copies src, a matrix about to be left (the mapped snapshot's
// when mapped), into dst, fresh memory from mapAnon, by windows of
// copyWindow bytes: each window of dst is asked for as huge pages and
// entered into the page tables at once (MADV_HUGEPAGE, then
// MADV_POPULATE_WRITE), each window of a mapped src too
// (MADV_POPULATE_READ), and dropped from them once copied (dropPages, see
// table.reserve). Copied by faults, the 1 GB matrix of the 1M store took
// 4.9 s of a one-paper ingest's CPU on the test VM, a fault for every 4
// KiB of dst (bench/RESULTS.md, "Cold search at 1M: the index files read
// whole"). Advisory: where a call fails, the pages come by their faults.
func copyMatrix(dst, src []float32, mapped bool) {
	d := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*len(dst))
	s := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src))), 4*len(src))
	_ = unix.Madvise(pageAligned(d), unix.MADV_HUGEPAGE)
	for lo := 0; lo < len(s); lo += copyWindow {
		hi := min(lo+copyWindow, len(s))
		_ = unix.Madvise(pageAligned(d[lo:hi]), unix.MADV_POPULATE_WRITE)
		if mapped {
			_ = unix.Madvise(pageAligned(s[lo:hi]), unix.MADV_POPULATE_READ)
		}
		copy(d[lo:hi], s[lo:hi])
		if mapped {
			dropPages(s[lo:hi])
		}
	}
}

// copyWindow is the span of copyMatrix's steps: the mapped pages it adds
// to the process's resident memory before they are dropped.
const copyWindow = 64 << 20

// pageAligned returns the part of b made of whole pages.
func pageAligned(b []byte) []byte {
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo, hi := (start+page-1)&^(page-1), (start+uintptr(len(b)))&^(page-1)
	if len(b) == 0 || hi <= lo {
		return nil
	}
	return b[lo-start : hi-start]
}
