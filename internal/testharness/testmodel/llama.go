package testmodel

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ollama/ollama/api"
)

// LlamaSpec describes a generative test model: a Hugging Face
// LlamaForCausalLM with seeded random weights and a byte-level BPE
// vocabulary, which Ollama v0.6.5 imports and runs. Its answers are
// random bytes; it exists so that code calling /api/generate can be
// tested against a real server (docs/OLLAMA-GENERATIVE-TEST-MODEL.md).
type LlamaSpec struct {
	Name  string // short name: "llama"
	Model string // model name on an Ollama server: "papermap-llama"

	HiddenSize       int // model width
	IntermediateSize int // feed-forward width
	NumLayers        int // decoder blocks
	NumHeads         int // attention heads (as many key/value heads); must divide HiddenSize
	MaxPositions     int // context in tokens

	Seed uint64 // seed of the weights

	// LetterBias, when positive, makes greedy answers mostly letters: every
	// token embedding shares one direction d (of unit RMS), and the output
	// row of each byte token that is an ASCII letter or a space gets
	// LetterBias times d added, so that those tokens score higher on the
	// hidden state that d dominates. Zero gives plain random weights, whose
	// answers are bytes of every kind.
	LetterBias float64
}

// Llama is the generative test model with plain random weights, as
// docs/OLLAMA-GENERATIVE-TEST-MODEL.md verified it: 64 wide, one layer, two heads, 512
// positions, 262 tokens (the 256 byte symbols of GPT-2's byte-level BPE,
// four merges, <s> and </s>); about 300 KB of F32 weights. Ollama v0.6.5
// loads it in a fraction of a second. Its greedy answers are bytes of every
// kind, control characters included.
var Llama = LlamaSpec{
	Name:             "llama",
	Model:            "papermap-llama",
	HiddenSize:       64,
	IntermediateSize: 128,
	NumLayers:        1,
	NumHeads:         2,
	MaxPositions:     512,
	Seed:             1,
}

// LlamaLetters is Llama with a LetterBias of 0.1: its greedy answers are
// strings of ASCII letters that change with the prompt ("NUzRXPgZ" to a
// request for a topic label, with seed 1 and 8 tokens on Ollama v0.6.5),
// so that a test can follow a model's answer all the way to a name.
var LlamaLetters = LlamaSpec{
	Name:             "llama-letters",
	Model:            "papermap-llama-letters",
	HiddenSize:       64,
	IntermediateSize: 128,
	NumLayers:        1,
	NumHeads:         2,
	MaxPositions:     512,
	Seed:             1,
	LetterBias:       0.1,
}

// LlamaSpecs lists the predefined generative specs.
var LlamaSpecs = []LlamaSpec{Llama, LlamaLetters}

// LlamaFiles lists the files WriteLlama writes.
var LlamaFiles = []string{"config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"}

// LlamaTemplate is the prompt template the model is created with: the
// prompt as it is.
const LlamaTemplate = "{{ .Prompt }}"

// Standard deviation of the Llama's random matrices, as in
// docs/OLLAMA-GENERATIVE-TEST-MODEL.md's reference script.
const stdLlama = 0.05

// llamaEmbedShare is the weight of the shared direction in every token
// embedding of a model with a LetterBias: enough for the letters' bias to
// win, little enough for the prompt to still change the answer.
const llamaEmbedShare = 0.1

// Validate reports the first field of s that cannot make a model.
func (s LlamaSpec) Validate() error {
	switch {
	case s.Name == "":
		return errors.New("testmodel: Llama spec has no Name")
	case s.HiddenSize <= 0, s.IntermediateSize <= 0, s.NumLayers <= 0, s.NumHeads <= 0, s.MaxPositions <= 0:
		return fmt.Errorf("testmodel: Llama spec %q has a size that is not positive", s.Name)
	case s.HiddenSize%s.NumHeads != 0:
		return fmt.Errorf("testmodel: HiddenSize %d is not a multiple of NumHeads %d", s.HiddenSize, s.NumHeads)
	}
	return nil
}

// llamaMerges are the BPE merges of the vocabulary; each adds a token.
var llamaMerges = [][2]string{{"Ġ", "t"}, {"h", "e"}, {"i", "n"}, {"Ġt", "he"}}

// llamaVocab returns the tokens in id order: the 256 byte symbols in byte
// order, the merged tokens, then <s> and </s>.
func llamaVocab() []string {
	b2u := byteSymbols()
	var v []string
	for b := range 256 {
		v = append(v, b2u[b])
	}
	for _, m := range llamaMerges {
		v = append(v, m[0]+m[1])
	}
	return append(v, "<s>", "</s>")
}

// byteSymbols is GPT-2's bytes_to_unicode: printable Latin-1 bytes stand
// for themselves, the others for code points from 256 up, in byte order.
func byteSymbols() [256]string {
	var out [256]string
	printable := func(b int) bool {
		return ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || (0xAE <= b && b <= 0xFF)
	}
	n := 0
	for b := range 256 {
		if printable(b) {
			out[b] = string(rune(b))
		} else {
			out[b] = string(rune(256 + n))
			n++
		}
	}
	return out
}

// WriteLlama writes the generative test model described by spec into dir,
// creating dir if needed and replacing the files in LlamaFiles. The same
// spec always gives byte-identical files.
func WriteLlama(dir string, spec LlamaSpec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("testmodel: %w", err)
	}
	vocab := llamaVocab()
	ids := make(map[string]int, len(vocab))
	for i, t := range vocab {
		ids[t] = i
	}
	bos, eos := ids["<s>"], ids["</s>"]
	h, in, v := spec.HiddenSize, spec.IntermediateSize, len(vocab)

	type added struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	}
	var merges []string
	for _, m := range llamaMerges {
		merges = append(merges, m[0]+" "+m[1])
	}
	byteLevel := map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}
	docs := []struct {
		name string
		data []byte
	}{
		{"config.json", mustJSON(map[string]any{
			"architectures":           []string{"LlamaForCausalLM"},
			"model_type":              "llama",
			"hidden_size":             h,
			"intermediate_size":       in,
			"num_hidden_layers":       spec.NumLayers,
			"num_attention_heads":     spec.NumHeads,
			"num_key_value_heads":     spec.NumHeads,
			"max_position_embeddings": spec.MaxPositions,
			"rms_norm_eps":            1e-5,
			"rope_theta":              10000.0,
			"vocab_size":              v,
			"bos_token_id":            bos,
			"eos_token_id":            eos,
			"hidden_act":              "silu",
			"torch_dtype":             "float32",
			"papermap_test_model":     spec.Name,
			"papermap_seed":           spec.Seed,
		})},
		{"tokenizer.json", mustJSON(map[string]any{
			"version":    "1.0",
			"truncation": nil,
			"padding":    nil,
			"added_tokens": []added{
				{ID: bos, Content: "<s>", Special: true},
				{ID: eos, Content: "</s>", Special: true},
			},
			"normalizer":     nil,
			"pre_tokenizer":  byteLevel,
			"post_processor": nil,
			"decoder":        byteLevel,
			"model": map[string]any{
				"type": "BPE", "dropout": nil, "unk_token": nil, "continuing_subword_prefix": nil,
				"end_of_word_suffix": nil, "fuse_unk": false, "byte_fallback": false,
				"vocab": ids, "merges": merges,
			},
		})},
		{"tokenizer_config.json", mustJSON(map[string]any{
			"bos_token": "<s>", "eos_token": "</s>", "add_bos_token": true, "add_eos_token": false,
			"model_max_length": spec.MaxPositions, "tokenizer_class": "PreTrainedTokenizerFast",
		})},
	}
	for _, d := range docs {
		if err := os.WriteFile(filepath.Join(dir, d.name), d.data, 0o644); err != nil {
			return fmt.Errorf("testmodel: %w", err)
		}
	}
	return writeSafetensors(filepath.Join(dir, "model.safetensors"), F32, llamaTensors(spec, v))
}

// llamaTensors returns the weights of a Hugging Face LlamaForCausalLM with
// vocabulary size v, with the names and shapes transformers saves
// (matrices are [out, in]): random matrices, RMSNorm gains of one.
func llamaTensors(spec LlamaSpec, v int) []tensor {
	h, in, seed := spec.HiddenSize, spec.IntermediateSize, spec.Seed
	var ts []tensor
	mat := func(name string, rows, cols int) {
		ts = append(ts, tensor{name, []int{rows, cols}, uniform(seed, name, 0, stdLlama)})
	}
	ones := func(name string) {
		ts = append(ts, tensor{name, []int{h}, uniform(seed, name, 1, 0)})
	}
	dir := make([]float32, h)
	uniform(seed, "papermap.direction", 0, 1)(dir)
	if spec.LetterBias > 0 {
		ts = append(ts, tensor{"model.embed_tokens.weight", []int{v, h}, func(dst []float32) {
			uniform(seed, "model.embed_tokens.weight", 0, stdLlama)(dst)
			for i := range dst {
				dst[i] += float32(llamaEmbedShare) * dir[i%h]
			}
		}})
	} else {
		mat("model.embed_tokens.weight", v, h)
	}
	for l := range spec.NumLayers {
		p := fmt.Sprintf("model.layers.%d.", l)
		for _, n := range []string{"q_proj", "k_proj", "v_proj", "o_proj"} {
			mat(p+"self_attn."+n+".weight", h, h)
		}
		mat(p+"mlp.gate_proj.weight", in, h)
		mat(p+"mlp.up_proj.weight", in, h)
		mat(p+"mlp.down_proj.weight", h, in)
		ones(p + "input_layernorm.weight")
		ones(p + "post_attention_layernorm.weight")
	}
	ones("model.norm.weight")
	if spec.LetterBias > 0 {
		ts = append(ts, tensor{"lm_head.weight", []int{v, h}, func(dst []float32) {
			uniform(seed, "lm_head.weight", 0, stdLlama)(dst)
			// Token id b is byte b.
			for b := range 256 {
				if b == ' ' || ('a' <= b|0x20 && b|0x20 <= 'z') {
					for j := range h {
						dst[b*h+j] += float32(spec.LetterBias * float64(dir[j]))
					}
				}
			}
		}})
	} else {
		mat("lm_head.weight", v, h)
	}
	return ts
}

// RegisterLlama creates model name on the server from the directory
// WriteLlama made, as Register does, with LlamaTemplate as its prompt
// template.
func RegisterLlama(ctx context.Context, client *api.Client, name, dir string) error {
	return register(ctx, client, &api.CreateRequest{Model: name, Template: LlamaTemplate}, dir)
}
