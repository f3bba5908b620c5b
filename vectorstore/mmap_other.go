//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package vectorstore

import (
	"io"
	"os"
)

// mapFile reads the first size bytes of f into memory, where memory
// mapping is not used.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(f, 0, size), data); err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}

// mapAnon returns n bytes of zeroed memory; without mmap, on the heap.
func mapAnon(n int) ([]byte, error) { return make([]byte, n), nil }

// unmapAnon releases memory from mapAnon (the garbage collector does).
func unmapAnon([]byte) error { return nil }

// remapAnon grows memory from mapAnon to n bytes, keeping its content.
func remapAnon(b []byte, n int) ([]byte, error) {
	c := make([]byte, n)
	copy(c, b)
	return c, nil
}

// dropPages does nothing where files are not mapped (see mmap_unix.go).
func dropPages([]byte) {}
