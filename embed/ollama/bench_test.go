package ollama_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/ollama"
)

// BenchmarkOllamaEmbed measures the client's own cost per batch (JSON out
// and in, HTTP on loopback, checking and normalising the vectors) against a
// server that answers at once with a precomputed body. One op is one
// batch of batch texts of about 1,200 characters (an abstract).
func BenchmarkOllamaEmbed(b *testing.B) {
	for _, dims := range []int{384, 768} {
		for _, batch := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("dims=%d/batch=%d", dims, batch), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, uint64(dims*1000+batch)))
				vecs := make([][]float32, batch)
				for i := range vecs {
					vecs[i] = make([]float32, dims)
					for j := range vecs[i] {
						vecs[i][j] = float32(rng.NormFloat64() * 0.05)
					}
				}
				body, err := json.Marshal(map[string]any{"model": "nomic-embed-text", "embeddings": vecs})
				if err != nil {
					b.Fatal(err)
				}
				probe, _ := json.Marshal(map[string]any{"model": "nomic-embed-text", "embeddings": vecs[:1]})
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					in, _ := io.ReadAll(r.Body)
					w.Header().Set("Content-Type", "application/json; charset=utf-8")
					if strings.Contains(string(in), "papermap probe") {
						w.Write(probe)
						return
					}
					w.Write(body)
				}))
				defer srv.Close()

				o, err := ollama.New(b.Context(), ollama.Options{Hosts: []string{srv.URL}, BatchSize: batch})
				if err != nil {
					b.Fatal(err)
				}
				words := strings.Fields("graph neural network attention transformer protein folding " +
					"quantum error correction galaxy cluster lensing dark matter reinforcement learning")
				texts := make([]string, batch)
				for i := range texts {
					var sb strings.Builder
					for sb.Len() < 1200 {
						sb.WriteString(words[rng.IntN(len(words))])
						sb.WriteByte(' ')
					}
					texts[i] = sb.String()
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := o.Embed(b.Context(), texts, embed.Document); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/text")
			})
		}
	}
}
