package lexical

import (
	"context"
	"fmt"
	"testing"

	"github.com/papermap/papermap/embed"
)

// Benchmarks at several corpus sizes. The arXiv 2000 file is in testdata;
// the 20k and 98k sizes read the ACM abstracts and are skipped without them.
// Run for example:
//
//	go test -run '^$' -bench 'Fit' -benchtime 1x ./embed/
//	go test -run '^$' -bench 'Tokenize|EmbedLexical' ./embed/

func benchCorpus(b *testing.B, size int) []string {
	b.Helper()
	if size <= 2000 {
		var texts []string
		for _, d := range readArxiv(b)[:size] {
			texts = append(texts, d.text)
		}
		return texts
	}
	texts := readACM(b, size)
	if len(texts) < size && size != 98442 {
		b.Skipf("only %d ACM abstracts", len(texts))
	}
	return texts
}

func corpusBytes(texts []string) int64 {
	var n int64
	for _, t := range texts {
		n += int64(len(t))
	}
	return n
}

func BenchmarkTokenize(b *testing.B) {
	texts := benchCorpus(b, 2000)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(corpusBytes(texts))
		var s tokenScanner
		n := 0
		for b.Loop() {
			for _, t := range texts {
				s.scan(t, func([]byte) { n++ })
			}
		}
	})
	b.Run("sugarme", func(b *testing.B) {
		sub := texts[:200]
		b.SetBytes(corpusBytes(sub))
		for b.Loop() {
			for _, t := range sub {
				if _, err := sugarmeWords(t); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkFit(b *testing.B) {
	for _, size := range []int{2000, 20000, 98442} {
		b.Run(fmt.Sprintf("docs=%d", size), func(b *testing.B) {
			texts := benchCorpus(b, size)
			b.SetBytes(corpusBytes(texts))
			var l *Model
			for b.Loop() {
				var err error
				l, _, err = Fit(context.Background(), texts, Options{})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(l.terms)), "terms")
			b.ReportMetric(float64(l.dims), "dims")
		})
	}
}

func BenchmarkEmbed(b *testing.B) {
	texts := benchCorpus(b, 2000)
	l, _, err := Fit(context.Background(), texts, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("query", func(b *testing.B) {
		q := []string{"spectral properties of random graphs and expander families"}
		for b.Loop() {
			if _, err := l.Embed(ctx, q, embed.Query); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("abstracts=1000", func(b *testing.B) {
		batch := texts[:1000]
		b.SetBytes(corpusBytes(batch))
		for b.Loop() {
			if _, err := l.Embed(ctx, batch, embed.Document); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "texts/s")
	})
}

// BenchmarkSparseProducts times the two products of one subspace iteration,
// A·Z and Aᵀ·Y, on the TF-IDF matrix of the corpus, with l = 272 columns
// (256 dimensions + 16 oversampling).
func BenchmarkSparseProducts(b *testing.B) {
	for _, size := range []int{2000, 20000, 98442} {
		b.Run(fmt.Sprintf("docs=%d", size), func(b *testing.B) {
			texts := benchCorpus(b, size)
			o, _ := Options{}.resolve()
			_, a, err := fitTFIDF(context.Background(), texts, o)
			if err != nil {
				b.Fatal(err)
			}
			at := a.transpose()
			const l = 272
			z := make([]float32, a.cols*l)
			for i := range z {
				z[i] = float32(i%7) - 3
			}
			y := make([]float32, a.rows*l)
			b.Run("AZ", func(b *testing.B) {
				for b.Loop() {
					a.mulDense32(context.Background(), z, l, y)
				}
				b.ReportMetric(float64(a.nnz()*l)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFMA/s")
			})
			b.Run("AtY", func(b *testing.B) {
				for b.Loop() {
					at.mulDense32(context.Background(), y, l, z)
				}
				b.ReportMetric(float64(a.nnz()*l)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFMA/s")
			})
		})
	}
}
