// Package embed turns texts into unit-length vectors, so that the cosine
// of two vectors (their dot product) says how alike two papers are.
//
// An Embedder has two methods: Embed(ctx, texts, task) returns one vector
// per text, in order, each of length Info().Dimensions and of norm 1 within
// NormTolerance; Info() names the backend, model and dimension, which a
// vector store records so that it never mixes vectors from different
// embedders. Two backends implement it, each in its own package: package
// [github.com/papermap/papermap/embed/ollama] (a local server running a
// neural embedding model) and package
// [github.com/papermap/papermap/embed/lexical] (a model fitted on the corpus
// itself, with no server and no download). Package
// [github.com/papermap/papermap/embed/backend] chooses between them for a
// store, fits and saves the lexical model, and brings a store's embedder
// back when it is opened again.
package embed
