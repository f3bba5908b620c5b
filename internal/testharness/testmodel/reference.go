package testmodel

import (
	"errors"
	"fmt"
	"math"

	"github.com/x448/float16"
)

// Reference computes, in pure Go, the vectors an Ollama server gives for a
// model written by Write: the BERT forward pass of Hugging Face's BertModel
// (post-LayerNorm blocks, exact-erf GELU), mean pooling over all tokens
// ([CLS] and [SEP] included, as llama.cpp pools) and L2 normalisation (as
// /api/embed normalises). The weights are regenerated from the spec and
// rounded as the server stores them: every matrix except the token type
// embeddings is rounded to float16 by Ollama's converter.
//
// It lets tests know what vector a text must get without a server, and
// check a server against an independent computation. The server differs
// from it by float16 rounding of activations and by llama.cpp's
// table-based GELU; see docs/OLLAMA-TESTING.md for the measured gap.
type Reference struct {
	spec  Spec
	tok   *Tokenizer
	w     map[string][]float32
	heads int
}

// ErrTooLong is returned by Reference.Embed for a text with more tokens than
// the model has positions.
var ErrTooLong = errors.New("text longer than the context")

// NewReference builds the reference model of spec. It holds the weights in
// memory as float32 (about 90 MB for MiniLM).
func NewReference(spec Spec) (*Reference, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	r := &Reference{spec: spec, tok: NewTokenizer(Vocab(spec)), w: make(map[string][]float32), heads: spec.NumHeads}
	for _, t := range tensors(spec) {
		v := make([]float32, t.elems())
		t.fill(v)
		serverF16 := len(t.shape) == 2 && t.name != "embeddings.token_type_embeddings.weight"
		if spec.DType == F16 || serverF16 {
			for i, x := range v {
				v[i] = float16.Fromfloat32(x).Float32()
			}
		}
		r.w[t.name] = v
	}
	return r, nil
}

// Tokenizer returns the tokenizer of the model.
func (r *Reference) Tokenizer() *Tokenizer { return r.tok }

// Embed returns the unit-length vector of text.
func (r *Reference) Embed(text string) ([]float32, error) {
	ids := r.tok.Tokenize(text)
	if len(ids) > r.spec.MaxPositions {
		return nil, fmt.Errorf("testmodel: %w: %d tokens, %d positions", ErrTooLong, len(ids), r.spec.MaxPositions)
	}
	h := r.spec.HiddenSize
	n := len(ids)
	eps := r.spec.LayerNormEps

	// x[i*h:(i+1)*h] is token i's hidden state, in float64.
	x := make([]float64, n*h)
	word := r.w["embeddings.word_embeddings.weight"]
	pos := r.w["embeddings.position_embeddings.weight"]
	typ := r.w["embeddings.token_type_embeddings.weight"]
	for i, id := range ids {
		for d := range h {
			x[i*h+d] = float64(word[id*h+d]) + float64(pos[i*h+d]) + float64(typ[d])
		}
	}
	r.layerNorm(x, n, "embeddings.LayerNorm", eps)

	for l := range r.spec.NumLayers {
		p := fmt.Sprintf("encoder.layer.%d.", l)
		q := r.dense(x, n, p+"attention.self.query")
		k := r.dense(x, n, p+"attention.self.key")
		v := r.dense(x, n, p+"attention.self.value")
		ctx := attention(q, k, v, n, h, r.heads)
		a := r.dense(ctx, n, p+"attention.output.dense")
		for i := range x {
			x[i] += a[i]
		}
		r.layerNorm(x, n, p+"attention.output.LayerNorm", eps)
		up := r.dense(x, n, p+"intermediate.dense")
		for i, z := range up {
			up[i] = 0.5 * z * (1 + math.Erf(z/math.Sqrt2))
		}
		down := r.dense(up, n, p+"output.dense")
		for i := range x {
			x[i] += down[i]
		}
		r.layerNorm(x, n, p+"output.LayerNorm", eps)
	}

	out := make([]float64, h)
	for i := range n {
		for d := range h {
			out[d] += x[i*h+d]
		}
	}
	var norm float64
	for d := range out {
		out[d] /= float64(n)
		norm += out[d] * out[d]
	}
	norm = math.Sqrt(norm)
	vec := make([]float32, h)
	for d := range out {
		vec[d] = float32(out[d] / norm)
	}
	return vec, nil
}

// dense applies the linear layer prefix (weight [out, in], bias [out]) to the
// n rows of x.
func (r *Reference) dense(x []float64, n int, prefix string) []float64 {
	w, b := r.w[prefix+".weight"], r.w[prefix+".bias"]
	out := len(b)
	in := len(w) / out
	y := make([]float64, n*out)
	for i := range n {
		row := x[i*in : (i+1)*in]
		for o := range out {
			s := float64(b[o])
			wr := w[o*in : (o+1)*in]
			for j, xv := range row {
				s += float64(wr[j]) * xv
			}
			y[i*out+o] = s
		}
	}
	return y
}

func (r *Reference) layerNorm(x []float64, n int, prefix string, eps float64) {
	g, b := r.w[prefix+".weight"], r.w[prefix+".bias"]
	h := len(g)
	for i := range n {
		row := x[i*h : (i+1)*h]
		var mean, vari float64
		for _, v := range row {
			mean += v
		}
		mean /= float64(h)
		for _, v := range row {
			vari += (v - mean) * (v - mean)
		}
		vari /= float64(h)
		inv := 1 / math.Sqrt(vari+eps)
		for d, v := range row {
			row[d] = (v-mean)*inv*float64(g[d]) + float64(b[d])
		}
	}
}

// attention is bidirectional multi-head scaled dot-product attention.
func attention(q, k, v []float64, n, h, heads int) []float64 {
	dh := h / heads
	scale := 1 / math.Sqrt(float64(dh))
	out := make([]float64, n*h)
	scores := make([]float64, n)
	for hd := range heads {
		off := hd * dh
		for i := range n {
			m := math.Inf(-1)
			for j := range n {
				var s float64
				for d := range dh {
					s += q[i*h+off+d] * k[j*h+off+d]
				}
				scores[j] = s * scale
				m = max(m, scores[j])
			}
			var sum float64
			for j := range n {
				scores[j] = math.Exp(scores[j] - m)
				sum += scores[j]
			}
			for j := range n {
				p := scores[j] / sum
				for d := range dh {
					out[i*h+off+d] += p * v[j*h+off+d]
				}
			}
		}
	}
	return out
}
