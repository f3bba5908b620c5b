package main

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// writeRows writes vals as raw little-endian float32 to a new file.
func writeRows(t *testing.T, vals []float32) string {
	t.Helper()
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	p := filepath.Join(t.TempDir(), "x.f32")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadVectors(t *testing.T) {
	// Three rows of two values; the expected rows are the values written.
	p := writeRows(t, []float32{1, 2, 3, -4.5, 0.25, float32(math.Pi)})
	got, err := readVectors(p, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float32{{1, 2}, {3, -4.5}}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d value %d: got %v, want %v", i, j, got[i][j], want[i][j])
			}
		}
	}
	// Every row: the last one too.
	all, err := readVectors(p, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if all[2][1] != float32(math.Pi) {
		t.Errorf("last value: got %v, want %v", all[2][1], float32(math.Pi))
	}
	// A row must not grow into the next one.
	all[0] = append(all[0], 9)
	if all[1][0] != 3 {
		t.Errorf("appending to row 0 changed row 1: %v", all[1])
	}
}
