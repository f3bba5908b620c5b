package testmodel

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Files lists, in the order Write writes them, the files of a model
// directory, as paths relative to it with forward slashes. They are the files
// of a sentence-transformers checkpoint such as all-MiniLM-L6-v2.
var Files = []string{
	"config.json",
	"modules.json",
	"sentence_bert_config.json",
	"1_Pooling/config.json",
	"vocab.txt",
	"tokenizer.json",
	"tokenizer_config.json",
	"special_tokens_map.json",
	"model.safetensors",
}

// Write writes the test model described by spec into dir, creating dir if
// needed and replacing the files listed in Files. The same spec always gives
// byte-identical files.
func Write(dir string, spec Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "1_Pooling"), 0o755); err != nil {
		return fmt.Errorf("testmodel: %w", err)
	}
	vocab := buildVocab(spec.VocabSize)
	docs := []struct {
		name string
		data []byte
	}{
		{"config.json", configJSON(spec)},
		{"modules.json", modulesJSON()},
		{"sentence_bert_config.json", mustJSON(struct {
			MaxSeqLength int  `json:"max_seq_length"`
			DoLowerCase  bool `json:"do_lower_case"`
		}{spec.MaxPositions, false})},
		{"1_Pooling/config.json", mustJSON(struct {
			Dim     int  `json:"word_embedding_dimension"`
			CLS     bool `json:"pooling_mode_cls_token"`
			Mean    bool `json:"pooling_mode_mean_tokens"`
			Max     bool `json:"pooling_mode_max_tokens"`
			MeanSqr bool `json:"pooling_mode_mean_sqrt_len_tokens"`
		}{Dim: spec.HiddenSize, Mean: true})},
		{"vocab.txt", []byte(strings.Join(vocab, "\n") + "\n")},
		{"tokenizer.json", tokenizerJSON(vocab)},
		{"tokenizer_config.json", tokenizerConfigJSON(spec.MaxPositions)},
		{"special_tokens_map.json", mustJSON(map[string]string{
			"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]",
		})},
	}
	for _, d := range docs {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(d.name)), d.data, 0o644); err != nil {
			return fmt.Errorf("testmodel: %w", err)
		}
	}
	return writeSafetensors(filepath.Join(dir, "model.safetensors"), spec.DType, tensors(spec))
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic("testmodel: " + err.Error())
	}
	return append(b, '\n')
}

// configJSON is the transformers config of a BertModel. Ollama's converter
// picks the architecture from "architectures" and reads the sizes from the
// usual keys.
func configJSON(s Spec) []byte {
	return mustJSON(struct {
		Architectures             []string `json:"architectures"`
		ModelType                 string   `json:"model_type"`
		VocabSize                 int      `json:"vocab_size"`
		HiddenSize                int      `json:"hidden_size"`
		NumHiddenLayers           int      `json:"num_hidden_layers"`
		NumAttentionHeads         int      `json:"num_attention_heads"`
		IntermediateSize          int      `json:"intermediate_size"`
		HiddenAct                 string   `json:"hidden_act"`
		HiddenDropoutProb         float64  `json:"hidden_dropout_prob"`
		AttentionProbsDropoutProb float64  `json:"attention_probs_dropout_prob"`
		MaxPositionEmbeddings     int      `json:"max_position_embeddings"`
		TypeVocabSize             int      `json:"type_vocab_size"`
		InitializerRange          float64  `json:"initializer_range"`
		LayerNormEps              float64  `json:"layer_norm_eps"`
		PadTokenID                int      `json:"pad_token_id"`
		PositionEmbeddingType     string   `json:"position_embedding_type"`
		TorchDtype                string   `json:"torch_dtype"`
		UseCache                  bool     `json:"use_cache"`
		PapermapTestModel         string   `json:"papermap_test_model"`
		PapermapSeed              uint64   `json:"papermap_seed"`
	}{
		Architectures:             []string{"BertModel"},
		ModelType:                 "bert",
		VocabSize:                 s.VocabSize,
		HiddenSize:                s.HiddenSize,
		NumHiddenLayers:           s.NumLayers,
		NumAttentionHeads:         s.NumHeads,
		IntermediateSize:          s.IntermediateSize,
		HiddenAct:                 "gelu",
		HiddenDropoutProb:         0.1,
		AttentionProbsDropoutProb: 0.1,
		MaxPositionEmbeddings:     s.MaxPositions,
		TypeVocabSize:             s.TypeVocabSize,
		InitializerRange:          0.02,
		LayerNormEps:              s.LayerNormEps,
		PadTokenID:                PadID,
		PositionEmbeddingType:     "absolute",
		TorchDtype:                map[DType]string{F32: "float32", F16: "float16"}[s.DType],
		UseCache:                  true,
		PapermapTestModel:         s.Name,
		PapermapSeed:              s.Seed,
	})
}

func modulesJSON() []byte {
	type module struct {
		Idx  int    `json:"idx"`
		Name string `json:"name"`
		Path string `json:"path"`
		Type string `json:"type"`
	}
	return mustJSON([]module{
		{0, "0", "", "sentence_transformers.models.Transformer"},
		{1, "1", "1_Pooling", "sentence_transformers.models.Pooling"},
		{2, "2", "2_Normalize", "sentence_transformers.models.Normalize"},
	})
}

// tokenizerJSON is a Hugging Face tokenizers file for a BERT WordPiece
// tokenizer, laid out as transformers saves bert-base-uncased's: BERT
// normaliser (lower case, accents stripped) and pre-tokeniser (white space
// and punctuation), [CLS] ... [SEP] template, WordPiece model and decoder.
// Ollama's converter reads only "added_tokens", "model" and the Split
// pre-tokenisers (there are none here, which it takes as its default). The
// vocabulary is written in id order, which encoding/json cannot do for a
// map, hence the hand-made object.
func tokenizerJSON(vocab []string) []byte {
	type added struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		SingleWord bool   `json:"single_word"`
		Lstrip     bool   `json:"lstrip"`
		Rstrip     bool   `json:"rstrip"`
		Normalized bool   `json:"normalized"`
		Special    bool   `json:"special"`
	}
	var addedTokens []added
	for _, s := range specialTokens() {
		addedTokens = append(addedTokens, added{ID: s.ID, Content: s.Content, Special: true})
	}
	special := func(tok string) map[string]any {
		return map[string]any{"SpecialToken": map[string]any{"id": tok, "type_id": 0}}
	}
	seq := func(id string, typ int) map[string]any {
		return map[string]any{"Sequence": map[string]any{"id": id, "type_id": typ}}
	}
	var vb bytes.Buffer
	vb.WriteString("{")
	for i, t := range vocab {
		if i > 0 {
			vb.WriteString(",")
		}
		k, _ := json.Marshal(t)
		fmt.Fprintf(&vb, "\n      %s: %d", k, i)
	}
	vb.WriteString("\n    }")

	// Placeholder replaced by the vocabulary after marshalling.
	const vocabMark = "\"@@VOCAB@@\""
	doc := struct {
		Version       string  `json:"version"`
		Truncation    any     `json:"truncation"`
		Padding       any     `json:"padding"`
		AddedTokens   []added `json:"added_tokens"`
		Normalizer    any     `json:"normalizer"`
		PreTokenizer  any     `json:"pre_tokenizer"`
		PostProcessor any     `json:"post_processor"`
		Decoder       any     `json:"decoder"`
		Model         struct {
			Type                    string          `json:"type"`
			UnkToken                string          `json:"unk_token"`
			ContinuingSubwordPrefix string          `json:"continuing_subword_prefix"`
			MaxInputCharsPerWord    int             `json:"max_input_chars_per_word"`
			Vocab                   json.RawMessage `json:"vocab"`
		} `json:"model"`
	}{
		Version:     "1.0",
		AddedTokens: addedTokens,
		Normalizer: map[string]any{
			"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
			"strip_accents": nil, "lowercase": true,
		},
		PreTokenizer: map[string]any{"type": "BertPreTokenizer"},
		PostProcessor: map[string]any{
			"type":   "TemplateProcessing",
			"single": []any{special("[CLS]"), seq("A", 0), special("[SEP]")},
			"pair":   []any{special("[CLS]"), seq("A", 0), special("[SEP]"), seq("B", 1), map[string]any{"SpecialToken": map[string]any{"id": "[SEP]", "type_id": 1}}},
			"special_tokens": map[string]any{
				"[CLS]": map[string]any{"id": "[CLS]", "ids": []int{ClsID}, "tokens": []string{"[CLS]"}},
				"[SEP]": map[string]any{"id": "[SEP]", "ids": []int{SepID}, "tokens": []string{"[SEP]"}},
			},
		},
		Decoder: map[string]any{"type": "WordPiece", "prefix": "##", "cleanup": true},
	}
	doc.Model.Type = "WordPiece"
	doc.Model.UnkToken = "[UNK]"
	doc.Model.ContinuingSubwordPrefix = "##"
	doc.Model.MaxInputCharsPerWord = 100
	doc.Model.Vocab = json.RawMessage(vocabMark)
	b := mustJSON(doc)
	return bytes.Replace(b, []byte(vocabMark), vb.Bytes(), 1)
}

// tokenizerConfigJSON names the special tokens. Ollama's converter records
// the id of each one it finds among "added_tokens" of tokenizer.json.
func tokenizerConfigJSON(maxLen int) []byte {
	return mustJSON(struct {
		TokenizerClass       string `json:"tokenizer_class"`
		DoLowerCase          bool   `json:"do_lower_case"`
		TokenizeChineseChars bool   `json:"tokenize_chinese_chars"`
		StripAccents         any    `json:"strip_accents"`
		ModelMaxLength       int    `json:"model_max_length"`
		CLSToken             string `json:"cls_token"`
		SepToken             string `json:"sep_token"`
		PadToken             string `json:"pad_token"`
		UnkToken             string `json:"unk_token"`
		MaskToken            string `json:"mask_token"`
		CleanUp              bool   `json:"clean_up_tokenization_spaces"`
	}{
		TokenizerClass:       "BertTokenizer",
		DoLowerCase:          true,
		TokenizeChineseChars: true,
		ModelMaxLength:       maxLen,
		CLSToken:             "[CLS]",
		SepToken:             "[SEP]",
		PadToken:             "[PAD]",
		UnkToken:             "[UNK]",
		MaskToken:            "[MASK]",
		CleanUp:              true,
	})
}
