//go:build !linux

package vectorstore

import (
	"errors"
	"runtime"
)

var errNoExchange = errors.New("vectorstore: replacing a store atomically needs renameat2 (Linux); not available on " + runtime.GOOS)

func canExchange() error { return errNoExchange }

func exchange(a, b string) error { return errNoExchange }
