//go:build !linux

package vectorstore

import "sync/atomic"

// prefetchCold does nothing where mincore and MADV_WILLNEED are not used:
// pages are read by their faults (see prefetch_linux.go).
func prefetchCold([]byte, *atomic.Bool) {}

// readCold does nothing where mincore and MADV_POPULATE_READ are not used
// (see prefetch_linux.go).
func readCold([]byte, *atomic.Bool) {}
