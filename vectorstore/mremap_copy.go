//go:build darwin || freebsd || openbsd || dragonfly

package vectorstore

// remapAnon grows memory from mapAnon to n bytes, keeping its content:
// without mremap, into a new mapping.
func remapAnon(b []byte, n int) ([]byte, error) {
	c, err := mapAnon(n)
	if err != nil {
		return nil, err
	}
	copy(c, b)
	if err := unmapAnon(b); err != nil {
		unmapAnon(c)
		return nil, err
	}
	return c, nil
}
