//go:build linux || netbsd

package vectorstore

import "golang.org/x/sys/unix"

// remapAnon grows memory from mapAnon to n bytes, keeping its content.
// The kernel moves the pages: nothing is copied.
func remapAnon(b []byte, n int) ([]byte, error) {
	return unix.Mremap(b, n, unix.MREMAP_MAYMOVE)
}
