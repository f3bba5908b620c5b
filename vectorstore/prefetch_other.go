//go:build !linux

package vectorstore

import "sync/atomic"

// prefetchCold does nothing where mincore and MADV_WILLNEED are not used:
// pages are read by their faults (see prefetch_linux.go).
func prefetchCold([]byte, *atomic.Bool) {}
