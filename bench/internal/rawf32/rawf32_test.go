package rawf32

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

func TestRead(t *testing.T) {
	// Three rows of two values; the expected rows are the values written.
	vals := []float32{1, 2, 3, -4.5, 0.25, float32(math.Pi)}
	p := writeRows(t, vals)
	for _, c := range []struct{ limit, rows int }{{2, 2}, {3, 3}, {0, 3}} {
		x, n, err := Read(p, c.limit, 2)
		if err != nil {
			t.Fatal(err)
		}
		if n != c.rows || !slices.Equal(x, vals[:2*c.rows]) {
			t.Errorf("Read(limit %d) = %v, %d rows; want %v, %d rows", c.limit, x, n, vals[:2*c.rows], c.rows)
		}
	}
}

func TestReadErrors(t *testing.T) {
	six := writeRows(t, []float32{1, 2, 3, 4, 5, 6})
	missing := filepath.Join(t.TempDir(), "none.f32")
	for _, c := range []struct {
		name, path string
		limit, dim int
		want       string
	}{
		{"short file", six, 4, 2, "3 rows of 2 values, 4 wanted"},
		{"wrong size", six, 1, 4, "24 bytes is not a whole number of rows of 4 float32 values"},
		{"missing file", missing, 1, 2, "no such file"},
		{"bad dim", six, 1, 0, "bad request"},
		{"bad limit", six, -1, 2, "bad request"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Read(c.path, c.limit, c.dim)
			if err == nil {
				t.Fatalf("no error")
			}
			if !strings.Contains(err.Error(), c.path) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q: want it to name %s and say %q", err, c.path, c.want)
			}
		})
	}
}
