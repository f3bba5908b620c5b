package testmodel

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteLlama(t *testing.T) {
	dir := t.TempDir()
	if err := WriteLlama(dir, Llama); err != nil {
		t.Fatal(err)
	}
	// Shapes from docs/OLLAMA-GENERATIVE-TEST-MODEL.md: V = 262, H = 64,
	// I = 128, one layer.
	const v, h, in = 262, 64, 128
	tensors, _, err := ReadSafetensorsHeader(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{
		"model.embed_tokens.weight":                      {v, h},
		"model.layers.0.self_attn.q_proj.weight":         {h, h},
		"model.layers.0.self_attn.k_proj.weight":         {h, h},
		"model.layers.0.self_attn.v_proj.weight":         {h, h},
		"model.layers.0.self_attn.o_proj.weight":         {h, h},
		"model.layers.0.mlp.gate_proj.weight":            {in, h},
		"model.layers.0.mlp.up_proj.weight":              {in, h},
		"model.layers.0.mlp.down_proj.weight":            {h, in},
		"model.layers.0.input_layernorm.weight":          {h},
		"model.layers.0.post_attention_layernorm.weight": {h},
		"model.norm.weight":                              {h},
		"lm_head.weight":                                 {v, h},
	}
	if len(tensors) != len(want) {
		t.Errorf("%d tensors, want %d", len(tensors), len(want))
	}
	for name, shape := range want {
		ti, ok := tensors[name]
		if !ok || ti.DType != "F32" || len(ti.Shape) != len(shape) || ti.Shape[0] != shape[0] || ti.Shape[len(shape)-1] != shape[len(shape)-1] {
			t.Errorf("tensor %s: %+v (present %v), want F32 %v", name, ti, ok, shape)
		}
	}

	var cfg struct {
		Architectures []string `json:"architectures"`
		VocabSize     int      `json:"vocab_size"`
		BOS           int      `json:"bos_token_id"`
		EOS           int      `json:"eos_token_id"`
	}
	readJSON(t, filepath.Join(dir, "config.json"), &cfg)
	if cfg.Architectures[0] != "LlamaForCausalLM" || cfg.VocabSize != v || cfg.BOS != 260 || cfg.EOS != 261 {
		t.Errorf("config %+v", cfg)
	}
	var tok struct {
		Model struct {
			Type   string         `json:"type"`
			Vocab  map[string]int `json:"vocab"`
			Merges []string       `json:"merges"`
		} `json:"model"`
	}
	readJSON(t, filepath.Join(dir, "tokenizer.json"), &tok)
	// GPT-2's byte symbols: "!" is itself, the space byte is "Ġ" (U+0120).
	if tok.Model.Type != "BPE" || len(tok.Model.Vocab) != v || tok.Model.Vocab["!"] != '!' || tok.Model.Vocab["Ġ"] != ' ' ||
		tok.Model.Vocab["Ġthe"] != 259 || len(tok.Model.Merges) != 4 {
		t.Errorf("tokenizer: type %s, %d tokens, ! %d, Ġ %d, Ġthe %d, %d merges",
			tok.Model.Type, len(tok.Model.Vocab), tok.Model.Vocab["!"], tok.Model.Vocab["Ġ"], tok.Model.Vocab["Ġthe"], len(tok.Model.Merges))
	}

	// Byte-identical when written again.
	again := t.TempDir()
	if err := WriteLlama(again, Llama); err != nil {
		t.Fatal(err)
	}
	for _, f := range LlamaFiles {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(again, f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: %d bytes, differs when written again", f, len(a))
		}
	}
	if err := (LlamaSpec{Name: "x", HiddenSize: 10, IntermediateSize: 1, NumLayers: 1, NumHeads: 3, MaxPositions: 8}).Validate(); err == nil {
		t.Error("Validate accepted 10 wide with 3 heads")
	}
}
