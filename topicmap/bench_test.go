package topicmap

import (
	"fmt"
	"io"
	"testing"
)

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkWrite times each format at 10k and 100k seeded papers in 40
// themes (with 48-dimensional neighbour codes and 300-character snippets)
// and reports the output size.
func BenchmarkWrite(b *testing.B) {
	formats := []struct {
		name  string
		write func(io.Writer, *Map) error
	}{
		{"html", func(w io.Writer, m *Map) error { return WriteHTML(w, m, HTMLOptions{}) }},
		{"html-nosnippets", func(w io.Writer, m *Map) error { return WriteHTML(w, m, HTMLOptions{SnippetLen: -1}) }},
		{"svg", func(w io.Writer, m *Map) error { return WriteSVG(w, m, StaticOptions{}) }},
		{"png", func(w io.Writer, m *Map) error { return WritePNG(w, m, StaticOptions{}) }},
	}
	for _, n := range []int{10_000, 100_000} {
		m := syntheticMap(n, 40, 1)
		for _, f := range formats {
			b.Run(fmt.Sprintf("%s/n=%d", f.name, n), func(b *testing.B) {
				var size int64
				for b.Loop() {
					var c countingWriter
					if err := f.write(&c, m); err != nil {
						b.Fatal(err)
					}
					size = c.n
				}
				b.ReportMetric(float64(size), "bytes")
			})
		}
	}
}

func BenchmarkWriteReport(b *testing.B) {
	m := syntheticMap(10_000, 40, 1)
	r := sampleReport(m, false)
	b.Run("markdown", func(b *testing.B) {
		for b.Loop() {
			if err := WriteMarkdown(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("html", func(b *testing.B) {
		for b.Loop() {
			if err := WriteReportHTML(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
