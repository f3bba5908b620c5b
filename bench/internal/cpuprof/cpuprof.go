// Package cpuprof starts the CPU profile behind the benchmarks' -cpuprofile
// flag (bench/ann, bench/search, bench/themes), which each set it up by hand.
package cpuprof

import (
	"log"
	"os"
	"runtime/pprof"
)

// Start writes a CPU profile to path until the returned function is
// called, which stops it and closes the file. With path empty it does
// nothing. A file that cannot be created or a profile that cannot start
// ends the program: a benchmark asked for a profile it would not get.
func Start(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
}
