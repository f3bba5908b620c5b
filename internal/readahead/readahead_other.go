//go:build !linux

package readahead

// WillNeed does nothing where MADV_WILLNEED is not used: the pages are
// read by their faults.
func WillNeed([]byte) {}
