//go:build linux

package vectorstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestPrefetchCold maps a file evicted from the page cache: prefetchCold
// with stop set asks for nothing, and without it brings the windows into
// the cache (all but a few pages, as MADV_WILLNEED is advice) without the
// pages being touched.
func TestPrefetchCold(t *testing.T) {
	const size = 3*prefetchWindow + 12345
	f, m := mapTempFile(t, size)
	pages := (size + os.Getpagesize() - 1) / os.Getpagesize()
	evictFile(t, f, m)
	var stop atomic.Bool
	stop.Store(true)
	prefetchCold(m, &stop)
	time.Sleep(100 * time.Millisecond)
	if n := cachedPages(t, m); n > 0 {
		t.Errorf("stopped prefetch: %d of %d pages read", n, pages)
	}
	stop.Store(false)
	prefetchCold(m, &stop)
	deadline := time.Now().Add(10 * time.Second)
	for cachedPages(t, m) < pages && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// MADV_WILLNEED is advice: on a busy machine (CI, under -race) the
	// kernel has left 46 of 6,148 pages unread after 10 s, so the test asks
	// for nearly all of them, against none when stopped.
	if n := cachedPages(t, m); n < pages*95/100 {
		t.Errorf("after prefetchCold, %d of %d pages cached", n, pages)
	} else if n < pages {
		t.Logf("after prefetchCold, %d of %d pages cached (the kernel may skip advice)", n, pages)
	}
}

// TestReadCold maps a file evicted from the page cache: readCold with
// stop set reads nothing; without it, every page is cached when it
// returns, and (where the kernel has MADV_POPULATE_READ) present in the
// page tables, unlike after prefetchCold, which only asks.
func TestReadCold(t *testing.T) {
	const size = 3*prefetchWindow + 12345
	f, m := mapTempFile(t, size)
	pages := (size + os.Getpagesize() - 1) / os.Getpagesize()
	evictFile(t, f, m)
	var stop atomic.Bool
	stop.Store(true)
	readCold(m, &stop)
	if n := cachedPages(t, m); n > 0 {
		t.Errorf("stopped readCold: %d of %d pages read", n, pages)
	}
	stop.Store(false)
	readCold(m, &stop)
	if n := cachedPages(t, m); n < pages {
		t.Errorf("after readCold, %d of %d pages cached", n, pages)
	}
	if unix.Madvise(m[:os.Getpagesize()], unix.MADV_POPULATE_READ) != nil {
		t.Skip("no MADV_POPULATE_READ: readCold asked for the pages instead")
	}
	if n, ok := presentPages(t, m); ok && n < pages {
		t.Errorf("after readCold, %d of %d pages in the page tables", n, pages)
	}
	// prefetchCold only asks: the pages are cached, not mapped.
	if err := unix.Madvise(m, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	evictFile(t, f, m)
	prefetchCold(m, &stop)
	if n, ok := presentPages(t, m); ok && n > 0 {
		t.Errorf("after prefetchCold, %d pages in the page tables", n)
	}
}

// mapTempFile writes size zero bytes to a new file and maps it; the file
// and the mapping are closed when the test ends.
func mapTempFile(t *testing.T, size int) (*os.File, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	m, unmap, err := mapFile(f, int64(size))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmap() })
	return f, m
}

// evictFile drops f's pages from the page cache and skips the test where
// the file system keeps them (tmpfs); m is a mapping of f to check.
func evictFile(t *testing.T, f *os.File, m []byte) {
	t.Helper()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if n := cachedPages(t, m); n > 0 {
		t.Skipf("%d pages still cached after FADV_DONTNEED (a file system that keeps them, such as tmpfs)", n)
	}
}

// cachedPages counts the pages of the mapping m in the page cache.
func cachedPages(t *testing.T, m []byte) int {
	t.Helper()
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

// TestColdGetReadsItsChunks opens a reader on a store whose records.idx
// is evicted from the page cache and gets a few records all over it:
// each decodes one chunk of the row index and checks one chunk of the
// matrix, which are asked for before they are read (lazyRows.decode,
// table.checkChunk), so that their faults do not read the disk's
// read-ahead size around them. Meaningful where that size is large (8 MiB
// on the test VM): skipped below 1 MiB.
func TestColdGetReadsItsChunks(t *testing.T) {
	const dim, n = 64, 40_000 // a 10 MB matrix, 2.5 MB of row index
	dir := t.TempDir()
	if ra := readAheadKB(t, dir); ra < 1024 {
		t.Skipf("read-ahead of %d KB: a fault reads little around it anyway", ra)
	}
	recs := makeRecords(43, "c", n, dim)
	s := openStore(t, dir, dim)
	mustAdd(t, s, recs)
	mustClose(t, s)
	path := filepath.Join(dir, snapName)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	m, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer unmap()
	r, err := Open(context.Background(), dir, Options{ReadOnly: true, IndexThreshold: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, r)
	evictFile(t, f, m)
	const gets = 6
	for i := range gets {
		want := recs[(2*i+1)*n/(2*gets)]
		got, ok := r.Get(want.ID)
		if !ok {
			t.Fatalf("%s missing", want.ID)
		}
		if d := sameRecord(got, want); d != "" {
			t.Fatal(d)
		}
	}
	// Per record: a row-index chunk (some 22 KB) and a matrix chunk (64
	// KiB), with their pages' edges: 128 KB is ample.
	if read := cachedPages(t, m) * os.Getpagesize(); read > gets*128<<10 {
		t.Errorf("%d gets read %d KB of %s (%d KB)", gets, read>>10, snapName, fi.Size()>>10)
	}
}

// readAheadKB returns the read-ahead size of the disk that holds dir, or
// 0 when it cannot be found.
func readAheadKB(t *testing.T, dir string) int {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return 0
	}
	base := fmt.Sprintf("/sys/dev/block/%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev))
	for _, p := range []string{base + "/queue/read_ahead_kb", base + "/../queue/read_ahead_kb"} {
		if b, err := os.ReadFile(p); err == nil {
			var kb int
			if _, err := fmt.Sscan(string(b), &kb); err == nil {
				return kb
			}
		}
	}
	return 0
}
