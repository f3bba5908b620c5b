package readahead

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestWillNeed checks that WillNeed accepts any part of a file mapping
// (unaligned, one byte, the whole, empty) and leaves its bytes as they
// are: it is advisory and reads nothing itself.
func TestWillNeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	want := make([]byte, 3*os.Getpagesize()+100)
	for i := range want {
		want[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, want, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := unix.Mmap(int(f.Fd()), 0, len(want), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Skipf("no mmap here: %v", err)
	}
	defer unix.Munmap(data)
	for _, part := range [][2]int{{0, len(data)}, {5, 6}, {4095, 4097}, {100, 9000}, {len(data) - 1, len(data)}, {7, 7}} {
		WillNeed(data[part[0]:part[1]])
	}
	if string(data) != string(want) {
		t.Fatal("the mapping's bytes changed")
	}
}
