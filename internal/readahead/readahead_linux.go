//go:build linux

package readahead

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// WillNeed asks the kernel to read the pages of the file mapping that hold
// b into the page cache, in the background (MADV_WILLNEED starts the
// reads and returns). b may be any memory: only a file mapping's pages
// are read ahead (for the heap it does nothing of note).
func WillNeed(b []byte) {
	if len(b) == 0 {
		return
	}
	page := uintptr(os.Getpagesize())
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	lo := start &^ (page - 1)
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, lo, start+uintptr(len(b))-lo, unix.MADV_WILLNEED)
}
