//go:build !race

package paper_test

const raceEnabled = false
