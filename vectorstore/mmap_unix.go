//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package vectorstore

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first size bytes of f privately: writes to the mapping
// (a writer changing rows in place) are copied on write, never written to
// the file.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return unix.Munmap(data) }, nil
}
