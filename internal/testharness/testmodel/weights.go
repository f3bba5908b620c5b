package testmodel

import (
	"fmt"
	"math"
	"strings"
)

// splitMix64 is the SplitMix64 generator (Steele, Lea and Flood 2014). It is
// written out here, rather than taken from math/rand, so that the weights of a
// seed can never change with the Go release.
type splitMix64 uint64

func (s *splitMix64) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// tensorSeed mixes the model seed with the tensor name (FNV-1a), so that
// each tensor's values depend only on the seed and its own name and shape.
func tensorSeed(seed uint64, name string) splitMix64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return splitMix64(seed ^ h)
}

// uniform returns a fill function drawing from the uniform distribution
// with the given mean and standard deviation. Uniform rather than normal
// values keep the arithmetic to one multiplication, exact on every machine.
func uniform(seed uint64, name string, mean, std float64) func([]float32) {
	half := std * math.Sqrt(3)
	return func(dst []float32) {
		rng := tensorSeed(seed, name)
		for i := range dst {
			u := float64(rng.next()>>11) * 0x1p-53 // [0, 1)
			dst[i] = float32(mean + float64(2*u-1)*half)
		}
	}
}

// Standard deviations of the random weights. They are chosen so that texts
// with different words get clearly different vectors after mean pooling:
// anything added identically to every token of every text survives the
// pooling while the words' contributions partly average out, so such
// shared parts are kept small. Word embeddings dominate position and type
// embeddings (the type-0 embedding is added to every token); matrices are
// scaled by 1/sqrt(fan-in), so that each layer keeps its input at unit
// scale and attention scores have a standard deviation near one (attention
// mixes tokens without always picking a single one); the feed-forward
// output bias cancels the mean of GELU (see ffnDownBias); other biases and
// LayerNorm offsets are small.
const (
	stdWord     = 1.0
	stdPosition = 0.2
	stdType     = 0.05
	stdBias     = 0.02
	stdNormGain = 0.05 // around a mean of 1
	stdNormBias = 0.02
)

// geluMean is E[GELU(z)] for z ~ N(0, 1): E[z Phi(z)] = 1/(2 sqrt(pi)). The
// feed-forward pre-activations have about unit variance (unit-variance
// LayerNorm output times a 1/sqrt(fan-in) matrix).
var geluMean = 1 / (2 * math.Sqrt(math.Pi))

// ffnDownBias returns the fill of the feed-forward output bias: small noise
// minus geluMean times the row sums of the output matrix, so that the
// positive mean of the GELU activations does not add one fixed vector to
// every token of every text.
func ffnDownBias(seed uint64, weight string, out, in int) func([]float32) {
	w := uniform(seed, weight, 0, 1/math.Sqrt(float64(in)))
	noise := uniform(seed, strings.TrimSuffix(weight, ".weight")+".bias", 0, stdBias)
	return func(dst []float32) {
		row := make([]float32, out*in)
		w(row)
		noise(dst)
		for o := range out {
			var s float64
			for _, v := range row[o*in : (o+1)*in] {
				s += float64(v)
			}
			dst[o] = float32(float64(dst[o]) - geluMean*s)
		}
	}
}

// tensors returns the weights of a Hugging Face BertModel of the shape of
// spec, with the names and shapes transformers saves (matrices are
// [out, in]), the pooler included.
func tensors(spec Spec) []tensor {
	h, in := spec.HiddenSize, spec.IntermediateSize
	seed := spec.Seed
	var ts []tensor
	mat := func(name string, out, fanIn int) {
		ts = append(ts, tensor{name, []int{out, fanIn}, uniform(seed, name, 0, 1/math.Sqrt(float64(fanIn)))})
	}
	vec := func(name string, n int, mean, std float64) {
		ts = append(ts, tensor{name, []int{n}, uniform(seed, name, mean, std)})
	}
	dense := func(prefix string, out, fanIn int) {
		mat(prefix+".weight", out, fanIn)
		vec(prefix+".bias", out, 0, stdBias)
	}
	norm := func(prefix string) {
		vec(prefix+".weight", h, 1, stdNormGain)
		vec(prefix+".bias", h, 0, stdNormBias)
	}
	emb := func(name string, rows int, std float64) {
		ts = append(ts, tensor{name, []int{rows, h}, uniform(seed, name, 0, std)})
	}

	emb("embeddings.word_embeddings.weight", spec.VocabSize, stdWord)
	emb("embeddings.position_embeddings.weight", spec.MaxPositions, stdPosition)
	emb("embeddings.token_type_embeddings.weight", spec.TypeVocabSize, stdType)
	norm("embeddings.LayerNorm")
	for l := range spec.NumLayers {
		p := fmt.Sprintf("encoder.layer.%d.", l)
		dense(p+"attention.self.query", h, h)
		dense(p+"attention.self.key", h, h)
		dense(p+"attention.self.value", h, h)
		dense(p+"attention.output.dense", h, h)
		norm(p + "attention.output.LayerNorm")
		dense(p+"intermediate.dense", in, h)
		mat(p+"output.dense.weight", h, in)
		ts = append(ts, tensor{p + "output.dense.bias", []int{h}, ffnDownBias(seed, p+"output.dense.weight", h, in)})
		norm(p + "output.LayerNorm")
	}
	dense("pooler.dense", h, h)
	return ts
}
