//go:build !linux

package vectorstore

// populateResident does nothing where MADV_POPULATE_READ is not available:
// pages are mapped by their faults (see populate_linux.go).
func populateResident([]byte) {}
