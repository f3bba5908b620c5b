package embed

import (
	"context"
	"fmt"
)

// Task says what a text will be used for. Some models embed a text
// differently depending on the task (nomic-embed-text wants a prefix per task).
type Task int

const (
	// Document is a text to be stored and searched.
	Document Task = iota
	// Query is a search query compared against stored documents.
	Query
	// Clustering is a text embedded to be grouped with others.
	Clustering
)

// String returns the task name used in flags and messages.
func (t Task) String() string {
	switch t {
	case Document:
		return "document"
	case Query:
		return "query"
	case Clustering:
		return "clustering"
	}
	return fmt.Sprintf("Task(%d)", int(t))
}

// Backend names: the values of Info.Backend, and of the choice a user makes
// (`--embedder`), where BackendAuto means "decide for me".
const (
	BackendAuto    = "auto"
	BackendOllama  = "ollama"
	BackendLexical = "lexical"
)

// Info describes what makes an embedder's vectors: two embedders with equal
// Info make comparable vectors.
type Info struct {
	Backend    string `json:"backend"`    // BackendLexical or BackendOllama
	Model      string `json:"model"`      // model name, e.g. "nomic-embed-text"
	Dimensions int    `json:"dimensions"` // length of every vector
}

// Embedder turns texts into unit-length vectors.
//
// Embed returns exactly one vector per text, in order, each of length
// Info().Dimensions and of Euclidean norm 1 within NormTolerance.
// Implementations are safe for concurrent use.
//
// With an error, Embed may still return one entry per text, holding the
// vectors it did compute and nil for the others, so that a caller can keep
// the work done before the failure. A slice of any other length (nil
// included) holds nothing usable.
type Embedder interface {
	Embed(ctx context.Context, texts []string, task Task) ([][]float32, error)
	Info() Info
}

// NormTolerance is how far from 1 the norm of a vector returned by an
// Embedder may be.
const NormTolerance = 1e-4
