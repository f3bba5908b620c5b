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
