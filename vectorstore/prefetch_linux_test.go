//go:build linux

package vectorstore

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestPrefetchCold maps a file evicted from the page cache: prefetchCold
// with stop set asks for nothing, and without it brings every window into
// the cache without the pages being touched.
func TestPrefetchCold(t *testing.T) {
	const size = 3*prefetchWindow + 12345
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cached := func(m []byte) int {
		vec := make([]byte, (len(m)+os.Getpagesize()-1)/os.Getpagesize())
		if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(unsafe.SliceData(m))), uintptr(len(m)), uintptr(unsafe.Pointer(unsafe.SliceData(vec)))); errno != 0 {
			t.Fatal(errno)
		}
		n := 0
		for _, v := range vec {
			n += int(v & 1)
		}
		return n
	}
	evict := func(m []byte) {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			t.Fatal(err)
		}
		if n := cached(m); n > 0 {
			t.Skipf("%d pages still cached after FADV_DONTNEED (a file system that keeps them, such as tmpfs)", n)
		}
	}
	m, unmap, err := mapFile(f, size)
	if err != nil {
		t.Fatal(err)
	}
	defer unmap()
	pages := (size + os.Getpagesize() - 1) / os.Getpagesize()
	evict(m)
	var stop atomic.Bool
	stop.Store(true)
	prefetchCold(m, &stop)
	time.Sleep(100 * time.Millisecond)
	if n := cached(m); n > 0 {
		t.Errorf("stopped prefetch: %d of %d pages read", n, pages)
	}
	stop.Store(false)
	prefetchCold(m, &stop)
	deadline := time.Now().Add(10 * time.Second)
	for cached(m) < pages && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := cached(m); n < pages {
		t.Errorf("after prefetchCold, %d of %d pages cached", n, pages)
	}
}
