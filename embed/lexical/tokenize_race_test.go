//go:build race

package lexical

// raceEnabled reports whether the tests run under the race detector, which
// makes the sugarme reference and the k-means probe about 10 times slower:
// the slow data-coverage tests then use a sample (they run in full without
// -race).
const raceEnabled = true
