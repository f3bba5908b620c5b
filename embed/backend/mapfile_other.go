//go:build !unix

package backend

import "errors"

// mapModel does not map where there is no mmap: the model is read whole
// (see mapfile_unix.go).
func mapModel(string) ([]byte, func(), error) { return nil, nil, errors.New("not mapped") }
