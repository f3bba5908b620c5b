package paper_test

import (
	"os"
	"runtime"
)

// allocated returns the bytes allocated so far by the process.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// readAllBytes returns the content of the file at path.
func readAllBytes(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
