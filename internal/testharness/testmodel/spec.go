package testmodel

import (
	"errors"
	"fmt"
	"slices"
)

// DType is the number format of the weights in model.safetensors.
type DType int

const (
	// F32 stores weights as IEEE 754 binary32 (safetensors "F32").
	F32 DType = iota
	// F16 stores weights as IEEE 754 binary16 (safetensors "F16"). Ollama's
	// converter stores matrices as F16 in the GGUF whichever is given, so F16
	// halves the files without changing what the server computes with
	// matrices; only the vectors (biases, LayerNorm) lose precision.
	F16
)

// String returns the safetensors name of the type.
func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case F16:
		return "F16"
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

func (d DType) size() int {
	if d == F16 {
		return 2
	}
	return 4
}

// Spec describes a test model: the shape of a BERT encoder, its vocabulary
// size, the seed of its random weights and the name it gets on an Ollama
// server. All fields must be set; use Tiny or MiniLM and change what you need.
type Spec struct {
	Name  string // short name: "tiny", "minilm"
	Model string // model name on an Ollama server: "papermap-tiny"

	VocabSize        int // tokens in vocab.txt and rows of word_embeddings
	HiddenSize       int // embedding dimension of the output vectors
	NumLayers        int // transformer blocks
	NumHeads         int // attention heads; must divide HiddenSize
	IntermediateSize int // feed-forward width
	MaxPositions     int // context length in tokens, [CLS] and [SEP] included
	TypeVocabSize    int // token types (segments); BERT uses 2
	LayerNormEps     float64

	DType DType  // number format in model.safetensors
	Seed  uint64 // seed of the weights; the vocabulary does not depend on it
}

// Tiny is a two-layer, 32-dimensional BERT with a 4096-token vocabulary and
// a context of 128 tokens: it converts and loads in well under a second and
// makes "longer than the context" cheap to test.
var Tiny = Spec{
	Name:             "tiny",
	Model:            "papermap-tiny",
	VocabSize:        4096,
	HiddenSize:       32,
	NumLayers:        2,
	NumHeads:         2,
	IntermediateSize: 64,
	MaxPositions:     128,
	TypeVocabSize:    2,
	LayerNormEps:     1e-12,
	DType:            F32,
	Seed:             1,
}

// MiniLM has the shape of sentence-transformers/all-MiniLM-L6-v2 (6 layers,
// 384 dimensions, 12 heads, feed-forward 1536, 30522 tokens, 512 positions),
// so that a benchmark against it costs what the real model costs. Its
// weights are random: its vectors carry no meaning.
var MiniLM = Spec{
	Name:             "minilm",
	Model:            "papermap-minilm",
	VocabSize:        30522,
	HiddenSize:       384,
	NumLayers:        6,
	NumHeads:         12,
	IntermediateSize: 1536,
	MaxPositions:     512,
	TypeVocabSize:    2,
	LayerNormEps:     1e-12,
	DType:            F16,
	Seed:             1,
}

// Specs lists the predefined specs.
var Specs = []Spec{Tiny, MiniLM}

// ErrUnknownSpec is returned by SpecByName for a name that is not in Specs.
var ErrUnknownSpec = errors.New("unknown test model")

// SpecByName returns the predefined spec with the given Name or Model.
func SpecByName(name string) (Spec, error) {
	i := slices.IndexFunc(Specs, func(s Spec) bool { return s.Name == name || s.Model == name })
	if i < 0 {
		return Spec{}, fmt.Errorf("testmodel: %w %q (want tiny or minilm)", ErrUnknownSpec, name)
	}
	return Specs[i], nil
}

// minVocab is the smallest vocabulary: the special tokens, the single
// characters and their continuation forms, and a little room for words.
const minVocab = firstFree + 48

// Validate reports the first field of s that cannot make a model.
func (s Spec) Validate() error {
	switch {
	case s.Name == "":
		return errors.New("testmodel: spec has no Name")
	case s.VocabSize < minVocab:
		return fmt.Errorf("testmodel: VocabSize %d is below %d", s.VocabSize, minVocab)
	case s.HiddenSize <= 0, s.NumLayers <= 0, s.NumHeads <= 0, s.IntermediateSize <= 0,
		s.MaxPositions <= 0, s.TypeVocabSize <= 0:
		return fmt.Errorf("testmodel: spec %q has a size that is not positive", s.Name)
	case s.HiddenSize%s.NumHeads != 0:
		return fmt.Errorf("testmodel: HiddenSize %d is not a multiple of NumHeads %d", s.HiddenSize, s.NumHeads)
	case s.MaxPositions < 3:
		return fmt.Errorf("testmodel: MaxPositions %d leaves no room for text", s.MaxPositions)
	case !(s.LayerNormEps > 0):
		return fmt.Errorf("testmodel: LayerNormEps %g is not positive", s.LayerNormEps)
	case s.DType != F32 && s.DType != F16:
		return fmt.Errorf("testmodel: unsupported %v", s.DType)
	}
	return nil
}
