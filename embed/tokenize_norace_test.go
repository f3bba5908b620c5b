//go:build !race

package embed

// raceEnabled reports whether the tests run under the race detector (see
// tokenize_race_test.go).
const raceEnabled = false
