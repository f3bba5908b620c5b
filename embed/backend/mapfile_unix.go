//go:build unix

package backend

import (
	"errors"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// mapModel maps the file at path read-only, so that the lexical model is
// read where it lies in the page cache instead of copied to the heap (41
// MB at a million papers, whose first writes cost a page fault each).
// release unmaps it; nothing read from data may be used after.
func mapModel(path string) (data []byte, release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.Size() == 0 || fi.Size() > math.MaxInt32*16 {
		return nil, nil, errors.New("not mapped")
	}
	data, err = unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, err
	}
	return data, func() { _ = unix.Munmap(data) }, nil
}
