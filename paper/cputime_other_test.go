//go:build !unix

package paper_test

import "time"

// cpuTime is not measured on this system; benchmarks then report no
// cpu-MB/s.
func cpuTime() time.Duration { return 0 }
