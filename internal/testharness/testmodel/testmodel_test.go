package testmodel

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/x448/float16"
)

// small is a spec that exercises F16 and more layers than Tiny while staying
// fast under the race detector.
var small = Spec{
	Name: "small", Model: "papermap-small", VocabSize: 1000, HiddenSize: 16, NumLayers: 3,
	NumHeads: 4, IntermediateSize: 24, MaxPositions: 40, TypeVocabSize: 2,
	LayerNormEps: 1e-12, DType: F16, Seed: 7,
}

// hfBertNames lists the tensor names transformers' BertModel saves, pooler
// included, written out by hand from modeling_bert.py.
func hfBertNames(layers int) []string {
	names := []string{
		"embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
		"embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
		"pooler.dense.weight", "pooler.dense.bias",
	}
	for l := range layers {
		for _, s := range []string{
			"attention.self.query", "attention.self.key", "attention.self.value",
			"attention.output.dense", "attention.output.LayerNorm",
			"intermediate.dense", "output.dense", "output.LayerNorm",
		} {
			names = append(names, fmt.Sprintf("encoder.layer.%d.%s.weight", l, s), fmt.Sprintf("encoder.layer.%d.%s.bias", l, s))
		}
	}
	slices.Sort(names)
	return names
}

func TestWrite(t *testing.T) {
	specs := []Spec{Tiny, small}
	if !testing.Short() {
		specs = append(specs, MiniLM)
	}
	for _, spec := range specs {
		t.Run(spec.Name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Write(dir, spec); err != nil {
				t.Fatal(err)
			}
			for _, f := range Files {
				if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
			checkConfig(t, dir, spec)
			checkSafetensors(t, dir, spec)
			checkTokenizer(t, dir, spec)
		})
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func checkConfig(t *testing.T, dir string, spec Spec) {
	var cfg map[string]any
	readJSON(t, filepath.Join(dir, "config.json"), &cfg)
	want := map[string]any{
		"vocab_size": spec.VocabSize, "hidden_size": spec.HiddenSize, "num_hidden_layers": spec.NumLayers,
		"num_attention_heads": spec.NumHeads, "intermediate_size": spec.IntermediateSize,
		"max_position_embeddings": spec.MaxPositions, "type_vocab_size": spec.TypeVocabSize,
		"layer_norm_eps": spec.LayerNormEps, "hidden_act": "gelu", "model_type": "bert",
	}
	for k, v := range want {
		if got := fmt.Sprint(cfg[k]); got != fmt.Sprint(v) {
			t.Errorf("config.json %s = %s, want %v", k, got, v)
		}
	}
	if a, _ := cfg["architectures"].([]any); len(a) != 1 || a[0] != "BertModel" {
		t.Errorf("config.json architectures = %v, want [BertModel]", cfg["architectures"])
	}

	var modules []struct{ Type, Path string }
	readJSON(t, filepath.Join(dir, "modules.json"), &modules)
	i := slices.IndexFunc(modules, func(m struct{ Type, Path string }) bool {
		return m.Type == "sentence_transformers.models.Pooling"
	})
	if i < 0 || modules[i].Path != "1_Pooling" {
		t.Fatalf("modules.json has no Pooling module at 1_Pooling: %+v", modules)
	}
	var pool map[string]any
	readJSON(t, filepath.Join(dir, "1_Pooling", "config.json"), &pool)
	if pool["pooling_mode_mean_tokens"] != true || pool["pooling_mode_cls_token"] != false {
		t.Errorf("1_Pooling/config.json is not mean pooling: %v", pool)
	}
	if fmt.Sprint(pool["word_embedding_dimension"]) != fmt.Sprint(spec.HiddenSize) {
		t.Errorf("1_Pooling/config.json dimension %v, want %d", pool["word_embedding_dimension"], spec.HiddenSize)
	}
}

func checkSafetensors(t *testing.T, dir string, spec Spec) {
	infos, _, err := ReadSafetensorsHeader(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range infos {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := hfBertNames(spec.NumLayers); !slices.Equal(names, want) {
		t.Fatalf("tensors %v\nwant %v", names, want)
	}
	h, in := spec.HiddenSize, spec.IntermediateSize
	shapes := map[string][]int{
		"embeddings.word_embeddings.weight":         {spec.VocabSize, h},
		"embeddings.position_embeddings.weight":     {spec.MaxPositions, h},
		"embeddings.token_type_embeddings.weight":   {spec.TypeVocabSize, h},
		"embeddings.LayerNorm.bias":                 {h},
		"encoder.layer.0.attention.self.key.weight": {h, h},
		"encoder.layer.0.intermediate.dense.weight": {in, h},
		"encoder.layer.0.intermediate.dense.bias":   {in},
		"encoder.layer.0.output.dense.weight":       {h, in},
		"pooler.dense.weight":                       {h, h},
	}
	for n, want := range shapes {
		if got := infos[n].Shape; !slices.Equal(got, want) {
			t.Errorf("%s shape %v, want %v", n, got, want)
		}
	}
	for n, ti := range infos {
		if ti.DType != spec.DType.String() {
			t.Errorf("%s dtype %s, want %s", n, ti.DType, spec.DType)
		}
	}
}

func checkTokenizer(t *testing.T, dir string, spec Spec) {
	var tok struct {
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
		Normalizer   struct{ Type string } `json:"normalizer"`
		PreTokenizer struct{ Type string } `json:"pre_tokenizer"`
		Model        struct {
			Type  string         `json:"type"`
			Vocab map[string]int `json:"vocab"`
		} `json:"model"`
	}
	readJSON(t, filepath.Join(dir, "tokenizer.json"), &tok)
	if tok.Model.Type != "WordPiece" || tok.Normalizer.Type != "BertNormalizer" || tok.PreTokenizer.Type != "BertPreTokenizer" {
		t.Errorf("tokenizer.json types: model %q normalizer %q pre-tokenizer %q", tok.Model.Type, tok.Normalizer.Type, tok.PreTokenizer.Type)
	}
	b, err := os.ReadFile(filepath.Join(dir, "vocab.txt"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != spec.VocabSize || len(tok.Model.Vocab) != spec.VocabSize {
		t.Fatalf("vocab.txt has %d tokens, tokenizer.json %d, want %d", len(lines), len(tok.Model.Vocab), spec.VocabSize)
	}
	for id, w := range lines {
		if got, ok := tok.Model.Vocab[w]; !ok || got != id {
			t.Fatalf("token %q is id %d in vocab.txt, %d (present %v) in tokenizer.json", w, id, got, ok)
		}
	}
	for _, a := range tok.AddedTokens {
		if !a.Special || lines[a.ID] != a.Content {
			t.Errorf("added token %+v does not match vocab.txt %q", a, lines[a.ID])
		}
	}
	if len(tok.AddedTokens) != 5 {
		t.Errorf("%d added tokens, want 5", len(tok.AddedTokens))
	}
}

func TestWriteDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	other := small
	other.Seed++
	for dir, spec := range map[string]Spec{a: small, b: small, c: other} {
		if err := Write(dir, spec); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range Files {
		fa, _ := os.ReadFile(filepath.Join(a, f))
		fb, _ := os.ReadFile(filepath.Join(b, f))
		fc, _ := os.ReadFile(filepath.Join(c, f))
		if !bytes.Equal(fa, fb) {
			t.Errorf("%s differs between two writes with the same seed", f)
		}
		// The seed changes the weights, and config.json records it.
		wantSame := f != "model.safetensors" && f != "config.json"
		if bytes.Equal(fa, fc) != wantSame {
			t.Errorf("%s: same bytes for seeds %d and %d is %v, want %v", f, small.Seed, other.Seed, !wantSame, wantSame)
		}
	}
}

// readTensor decodes one tensor of a safetensors file.
func readTensor(t *testing.T, path, name string) []float32 {
	t.Helper()
	infos, start, err := ReadSafetensorsHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	ti, ok := infos[name]
	if !ok {
		t.Fatalf("no tensor %s", name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	raw := b[start+ti.DataOffsets[0] : start+ti.DataOffsets[1]]
	var out []float32
	switch ti.DType {
	case "F32":
		for i := 0; i < len(raw); i += 4 {
			out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
		}
	case "F16":
		for i := 0; i < len(raw); i += 2 {
			out = append(out, float16.Frombits(binary.LittleEndian.Uint16(raw[i:])).Float32())
		}
	}
	return out
}

func TestWeightStatistics(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, Tiny); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.safetensors")
	h := float64(Tiny.HiddenSize)
	// The expected moments are those weights.go asks for. The tolerance is
	// five standard errors of the sample mean (std/sqrt(n)) for the mean and
	// 5% for the standard deviation, which a uniform sample of more than a
	// few hundred values meets.
	tests := []struct {
		name      string
		tensor    string
		mean, std float64
	}{
		{"word embeddings", "embeddings.word_embeddings.weight", 0, stdWord},
		{"position embeddings", "embeddings.position_embeddings.weight", 0, stdPosition},
		{"query", "encoder.layer.0.attention.self.query.weight", 0, 1 / math.Sqrt(h)},
		{"ffn down", "encoder.layer.1.output.dense.weight", 0, 1 / math.Sqrt(float64(Tiny.IntermediateSize))},
		{"layer norm gain", "encoder.layer.1.output.LayerNorm.weight", 1, stdNormGain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := readTensor(t, path, tt.tensor)
			var sum, sq float64
			for _, x := range v {
				sum += float64(x)
			}
			mean := sum / float64(len(v))
			for _, x := range v {
				sq += (float64(x) - mean) * (float64(x) - mean)
			}
			std := math.Sqrt(sq / float64(len(v)))
			if math.Abs(mean-tt.mean) > 5*tt.std/math.Sqrt(float64(len(v))) {
				t.Errorf("mean %.4f, want %.4f", mean, tt.mean)
			}
			tol := 0.05
			if len(v) < 1000 {
				tol = 0.2 // 32 values: the sample std varies by about 1/sqrt(2n)
			}
			if math.Abs(std-tt.std) > tol*tt.std {
				t.Errorf("std %.4f, want %.4f", std, tt.std)
			}
		})
	}
}

func TestReadSafetensorsHeaderRejects(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	err := writeSafetensors(good, F32, []tensor{
		{"a", []int{2, 3}, func(d []float32) {}},
		{"b", []int{4}, func(d []float32) {}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if infos, start, err := ReadSafetensorsHeader(good); err != nil || len(infos) != 2 || start%8 != 0 {
		t.Fatalf("good file: %v, %d tensors, data at %d (want a multiple of 8)", err, len(infos), start)
	}
	withHeader := func(h string, data int) []byte {
		var b []byte
		b = binary.LittleEndian.AppendUint64(b, uint64(len(h)))
		b = append(b, h...)
		return append(b, make([]byte, data)...)
	}
	goodBytes, _ := os.ReadFile(good)
	tests := []struct {
		name string
		data []byte
	}{
		{"truncated data", goodBytes[:len(goodBytes)-1]},
		{"trailing bytes", append(slices.Clone(goodBytes), 0)},
		{"header beyond file", binary.LittleEndian.AppendUint64(nil, 1<<40)},
		{"not json", withHeader("{nope", 0)},
		{"size does not match shape", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4)},
		{"gap", withHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8)},
		{"overlap", withHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8)},
		{"unknown dtype", withHeader(`{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, 8)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "bad.safetensors")
			if err := os.WriteFile(p, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, _, err := ReadSafetensorsHeader(p); !errors.Is(err, ErrBadSafetensors) {
				t.Errorf("err = %v, want ErrBadSafetensors", err)
			}
		})
	}
}

func TestVocab(t *testing.T) {
	for _, spec := range []Spec{Tiny, MiniLM, small} {
		t.Run(spec.Name, func(t *testing.T) {
			v := Vocab(spec)
			if len(v) != spec.VocabSize {
				t.Fatalf("%d tokens, want %d", len(v), spec.VocabSize)
			}
			seen := make(map[string]bool)
			for _, tok := range v {
				if seen[tok] {
					t.Fatalf("duplicate token %q", tok)
				}
				seen[tok] = true
			}
			for id, want := range map[int]string{PadID: "[PAD]", UnkID: "[UNK]", ClsID: "[CLS]", SepID: "[SEP]", MaskID: "[MASK]"} {
				if v[id] != want {
					t.Errorf("token %d = %q, want %q", id, v[id], want)
				}
			}
			var words, pieces int
			for _, tok := range v[firstFree:] {
				switch {
				case strings.HasPrefix(tok, "##"):
					pieces++
				case !isSpecial(tok):
					words++
				}
			}
			// Both kinds must be there for rare words to split into pieces.
			if words < spec.VocabSize/5 || pieces == 0 {
				t.Errorf("%d words and %d ## pieces among %d tokens", words, pieces, spec.VocabSize)
			}
		})
	}
}

func TestTokenizer(t *testing.T) {
	v := Vocab(Tiny)
	tok := NewTokenizer(v)
	id := func(s string) int { return slices.Index(v, s) }
	// Expected ids are looked up in the vocabulary by hand: frequent words
	// are whole tokens, punctuation splits off, a word that is not in the
	// vocabulary splits into its longest known prefix and "##" pieces, and
	// a character with no token makes the whole word [UNK].
	tests := []struct {
		name string
		text string
		want []int
	}{
		{"empty", "", []int{ClsID, SepID}},
		{"words", "The quantum", []int{ClsID, id("the"), id("quantum"), SepID}},
		{"punctuation", "of, (the)", []int{ClsID, id("of"), id(","), id("("), id("the"), id(")"), SepID}},
		{"digits", "2007", []int{ClsID, id("2"), id("##0"), id("##0"), id("##7"), SepID}},
		{"unknown character", "caf\u00e9 the", []int{ClsID, UnkID, id("the"), SepID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tok.Tokenize(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Tokenize(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
	t.Run("rare word splits into pieces", func(t *testing.T) {
		// "chromodynamics" occurs in the word list but far below Tiny's
		// cut-off; whatever the split, it must be more than one piece and
		// every piece after the first must be a "##" piece.
		ids := tok.Tokenize("chromodynamics")
		if len(ids) < 4 {
			t.Fatalf("Tokenize(chromodynamics) = %v, want several pieces", ids)
		}
		for _, i := range ids[2 : len(ids)-1] {
			if !strings.HasPrefix(v[i], "##") {
				t.Errorf("piece %q of chromodynamics is not a continuation", v[i])
			}
		}
	})
}

func TestSpecValidate(t *testing.T) {
	mod := func(f func(*Spec)) Spec { s := Tiny; f(&s); return s }
	tests := []struct {
		name string
		spec Spec
		ok   bool
	}{
		{"tiny", Tiny, true},
		{"minilm", MiniLM, true},
		{"no name", mod(func(s *Spec) { s.Name = "" }), false},
		{"vocab too small", mod(func(s *Spec) { s.VocabSize = 100 }), false},
		{"heads do not divide", mod(func(s *Spec) { s.NumHeads = 3 }), false},
		{"zero layers", mod(func(s *Spec) { s.NumLayers = 0 }), false},
		{"no eps", mod(func(s *Spec) { s.LayerNormEps = 0 }), false},
		{"bad dtype", mod(func(s *Spec) { s.DType = 9 }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.spec.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestSpecByName(t *testing.T) {
	for _, name := range []string{"tiny", "papermap-tiny", "minilm", "papermap-minilm"} {
		if _, err := SpecByName(name); err != nil {
			t.Errorf("SpecByName(%q): %v", name, err)
		}
	}
	if _, err := SpecByName("huge"); !errors.Is(err, ErrUnknownSpec) {
		t.Errorf("SpecByName(huge) = %v, want ErrUnknownSpec", err)
	}
}

func TestCountWords(t *testing.T) {
	in := `{"title":"Caf\u00e9 Physics","abstract":"The physics of the caf\u00e9: $x^2$ and THE end."}
{"title":"","abstract":"end"}`
	got, err := CountWords(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// Counted by hand: accents stripped, case folded, "x" kept, "2" dropped.
	want := []WordCount{{"the", 3}, {"cafe", 2}, {"end", 2}, {"physics", 2}, {"and", 1}, {"of", 1}, {"x", 1}}
	if !slices.Equal(got, want) {
		t.Errorf("CountWords = %v, want %v", got, want)
	}
	if _, err := CountWords(strings.NewReader("{nope\n")); err == nil {
		t.Error("CountWords accepted a line that is not JSON")
	}
}

func TestEmbeddedWordsMatchTestdata(t *testing.T) {
	f, err := os.Open("../../../testdata/arxiv-2007-04-2000.jsonl")
	if err != nil {
		t.Skipf("testdata not found: %v", err)
	}
	defer f.Close()
	counts, err := CountWords(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteWords(&buf, counts); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), wordsTxt) {
		t.Error("words.txt is not the word list of testdata/arxiv-2007-04-2000.jsonl: regenerate it (see words.go)")
	}
}

func TestHostEnv(t *testing.T) {
	tests := []struct{ name, want string }{
		{"", "OLLAMA_TEST_HOST"},
		{"default", "OLLAMA_TEST_HOST"},
		{"b", "OLLAMA_TEST_HOST_B"},
		{"gpu-2", "OLLAMA_TEST_HOST_GPU_2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HostEnv(tt.name); got != tt.want {
				t.Errorf("HostEnv(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
	t.Setenv("OLLAMA_TEST_HOST_B", "http://127.0.0.1:1234")
	if u, ok := Host("b"); !ok || u.Host != "127.0.0.1:1234" {
		t.Errorf("Host(b) = %v, %v", u, ok)
	}
	t.Setenv("OLLAMA_TEST_HOST_B", "")
	if _, ok := Host("b"); ok {
		t.Error("Host(b) is set for an empty variable")
	}
}

// asciiTexts returns up to n pure-ASCII titles with abstracts of the testdata
// arXiv file with at most maxTokens tokens each.
func asciiTexts(t testing.TB, n int, tok *Tokenizer, maxTokens int) []string {
	t.Helper()
	b, err := os.ReadFile("../../../testdata/arxiv-2007-04-2000.jsonl")
	if err != nil {
		t.Skipf("testdata not found: %v", err)
	}
	var out []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if len(out) == n || line == "" {
			continue
		}
		var rec struct{ Title, Abstract string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		s := rec.Title + ". " + strings.Join(strings.Fields(rec.Abstract), " ")
		if strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 }) || len(tok.Tokenize(s)) > maxTokens {
			continue
		}
		out = append(out, s)
	}
	return out
}
