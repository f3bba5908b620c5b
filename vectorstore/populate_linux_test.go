//go:build linux

package vectorstore

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPopulateResident maps a cached file twice and reads every page of
// each: the mapping populateResident prepared takes (almost) no page
// fault, the other one takes some (a fault maps 64 KiB to 2 MiB of a
// cached file here, depending on the file system's folios).
func TestPopulateResident(t *testing.T) {
	const size = 16 << 20
	path := filepath.Join(t.TempDir(), "f")
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i>>12) | 1
	}
	if err := os.WriteFile(path, data, 0o600); err != nil { // cached now
		t.Fatal(err)
	}
	probe, err := unix.Mmap(-1, 0, os.Getpagesize(), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Madvise(probe, unix.MADV_POPULATE_READ); err != nil {
		t.Skipf("no MADV_POPULATE_READ on this kernel: %v", err)
	}
	unix.Munmap(probe)

	faults := func(populate bool) int64 {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m, unmap, err := mapFile(f, size)
		if err != nil {
			t.Fatal(err)
		}
		defer unmap()
		if populate {
			populateResident(m)
		}
		// The counts are the thread's: the goroutine must not move to
		// another thread between them (it did, on a loaded machine:
		// -38,584 faults).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var r0, r1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_THREAD, &r0)
		sum := 0
		for i := 0; i < len(m); i += 4096 {
			sum += int(m[i])
		}
		syscall.Getrusage(syscall.RUSAGE_THREAD, &r1)
		if sum == 0 {
			t.Fatal("read nothing")
		}
		return r1.Minflt - r0.Minflt
	}
	plain, ready := faults(false), faults(true)
	t.Logf("minor faults reading %d MiB: %d without, %d after populateResident", size>>20, plain, ready)
	if plain < 2 || ready*4 > plain {
		t.Errorf("%d faults without populateResident, %d with: want at least 2 and 4 times fewer", plain, ready)
	}
}
