//go:build !linux

package vectorstore

import "unsafe"

// populateResident does nothing where MADV_POPULATE_READ is not available:
// pages are mapped by their faults (see populate_linux.go).
func populateResident([]byte) {}

// copyMatrix copies src into dst (see populate_linux.go); a mapped src's
// pages are then dropped from the page tables where files are mapped.
func copyMatrix(dst, src []float32, mapped bool) {
	copy(dst, src)
	if mapped {
		dropPages(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(src))), 4*len(src)))
	}
}
