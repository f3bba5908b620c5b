// Package testmodel makes small random BERT embedding models that a real
// Ollama server can load, so that papermap's tests and benchmarks can run
// against a real server without downloading a model.
//
// # Making a model
//
// Write writes a sentence-transformers checkpoint directory, laid out like
// all-MiniLM-L6-v2's: config.json (architecture BertModel), modules.json and
// 1_Pooling/config.json (mean pooling), a WordPiece vocabulary (vocab.txt,
// tokenizer.json, tokenizer_config.json) and model.safetensors with seeded
// random weights:
//
//	dir := filepath.Join(t.TempDir(), "tiny")
//	if err := testmodel.Write(dir, testmodel.Tiny); err != nil { ... }
//
// Two shapes are predefined. Tiny (32 dimensions, 2 layers, 4096 tokens,
// 128 positions) is cheap to convert and run, and makes "longer than the
// context" cheap to test. MiniLM has the shape of all-MiniLM-L6-v2 (384
// dimensions, 6 layers, 30522 tokens, 512 positions), so that a benchmark
// costs what the real model costs.
//
// # A generative model
//
// WriteLlama writes a tiny LlamaForCausalLM (Llama: 64 wide, one layer, a
// 262-token byte-level BPE vocabulary, F32 weights) that Ollama v0.6.5
// imports and runs through /api/generate; RegisterLlama creates it with
// the template "{{ .Prompt }}". Its answers are random bytes: it tests
// request shape, caching, sanitising and fallbacks, never answer quality
// (docs/OLLAMA-GENERATIVE-TEST-MODEL.md).
//
// # Putting it on a server
//
// Register uploads the files as blobs and creates the model through
// /api/create, where the server converts it to GGUF:
//
//	client := testmodel.Client(t, "") // skips unless OLLAMA_TEST_HOST is set
//	err := testmodel.Register(ctx, client, "papermap-tiny", dir)
//
// scripts/ollama-test-server does all of this: it builds Ollama v0.6.5,
// starts it on a free port and registers papermap-tiny, papermap-minilm
// and papermap-llama (see docs/OLLAMA-TESTING.md). Tests find it through OLLAMA_TEST_HOST
// (EnvHost; HostEnv names the variables of further servers).
//
// # Knowing the answer without a server
//
// Tokenizer reproduces the server's tokenisation (for ASCII text), so a test
// can build a text of exactly n tokens; the server counts a text's tokens
// without [CLS] and [SEP]. Reference recomputes the vector the server gives
// a text, in pure Go, within the tolerance given in docs/OLLAMA-TESTING.md.
//
// # Invariants
//
//   - The same Spec gives byte-identical files on every machine: weights come
//     from a SplitMix64 stream per tensor, seeded by Spec.Seed and the tensor
//     name, through arithmetic that rounds the same everywhere.
//   - The vocabulary depends only on VocabSize. It is built from the words of
//     the arXiv abstracts in testdata (embedded as words.txt): whole words by
//     frequency, then word pieces, so real text tokenises realistically. The
//     special tokens have bert-base-uncased's ids ([PAD] 0, [UNK] 100, [CLS]
//     101, [SEP] 102, [MASK] 103), which llama.cpp also assumes.
//   - The weights are scaled so that the vectors are not degenerate:
//     identical texts get identical vectors, texts with different words get
//     clearly different ones (the median cosine between two testdata
//     abstracts is about 0.4), and texts sharing words are closer.
//     The vectors mean nothing beyond shared words.
package testmodel
