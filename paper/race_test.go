//go:build race

package paper_test

// raceEnabled reports whether the tests run under the race detector, which
// makes reading the 300 MB of ACM records about 20 times slower: TestACM
// then skips (.ci/run runs it without -race).
const raceEnabled = true
