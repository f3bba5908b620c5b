//go:build !unix

package main

import "errors"

// lockFile is only available on Unix.
func lockFile(name string) (func(), error) {
	if name == "" {
		return func() {}, nil
	}
	return nil, errors.New("-lock needs flock(2), a Unix system call")
}
