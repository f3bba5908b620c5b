//go:build !race

package lexical

// raceEnabled reports whether the tests run under the race detector (see
// tokenize_race_test.go).
const raceEnabled = false
