package ollama_test

// Tests against a real Ollama server: the papermap-tiny model on the server
// scripts/ollama-test-server starts. They skip unless OLLAMA_TEST_HOST is
// set (PAPERMAP_OLLAMA_TESTS=1 turns the skip into a failure):
//
//	export $(scripts/ollama-test-server start)
//	go test -run Server ./embed/
//
// They check what the httptest fakes cannot: that the real /api/embed,
// /api/show, /api/tags and error answers are read as the fakes' are.

import (
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/internal/testharness/testmodel"
)

// tinyModel is the test model with a 32-dimensional output and a context
// of 128 positions ([CLS] and [SEP] included).
var tinyModel = testmodel.Tiny.Model

// warnings collects Options.Warn messages.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) warn(msg string) {
	w.mu.Lock()
	w.msgs = append(w.msgs, msg)
	w.mu.Unlock()
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// the returns "the the ... the", n words: "the" is one token in both test
// models (docs/OLLAMA-TESTING.md).
func the(n int) string { return strings.TrimSpace(strings.Repeat("the ", n)) }

func TestOllamaServerEmbed(t *testing.T) {
	host := ollama.OllamaTestServer(t, "")
	opts := ollama.Options{Hosts: []string{host}, Model: tinyModel}
	if err := ollama.Probe(t.Context(), opts); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	o, err := ollama.New(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if info := o.Info(); info != (embed.Info{Backend: "ollama", Model: tinyModel, Dimensions: testmodel.Tiny.HiddenSize}) {
		t.Fatalf("Info() = %+v", info)
	}

	// The same text alone and at the end of a batch of 16: Ollama 0.6.5
	// embeds the texts of a request one at a time, so the vectors are
	// identical (measured: difference exactly 0, docs/OLLAMA-TESTING.md).
	target := "We propose a graph neural network for predicting protein structure from sequence."
	texts := append(textsN(15), target)
	batch, err := o.Embed(t.Context(), texts, embed.Document)
	if err != nil {
		t.Fatal(err)
	}
	alone, err := o.Embed(t.Context(), []string{target}, embed.Document)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range batch {
		var ss float64
		for _, x := range v {
			ss += float64(x) * float64(x)
		}
		if len(v) != testmodel.Tiny.HiddenSize || math.Abs(math.Sqrt(ss)-1) > embed.NormTolerance {
			t.Fatalf("vector %d: length %d, norm %v", i, len(v), math.Sqrt(ss))
		}
	}
	if d := maxAbsDiff(alone[0], batch[15]); d > 1e-6 {
		t.Errorf("a text alone and in a batch of 16 differ by %g", d)
	}
}

func TestOllamaServerBatchesAndPrefixes(t *testing.T) {
	host := ollama.OllamaTestServer(t, "")
	proxy := testmodel.NewRecordingProxy(t, host)
	prefixes := ollama.PrefixesFor("nomic-embed-text")
	o, err := ollama.New(t.Context(), ollama.Options{
		Hosts: []string{proxy.URL}, Model: tinyModel, BatchSize: 4, Prefixes: &prefixes})
	if err != nil {
		t.Fatal(err)
	}
	proxy.Requests() // the probe
	direct, err := ollama.New(t.Context(), ollama.Options{
		Hosts: []string{host}, Model: tinyModel, Prefixes: &ollama.Prefixes{}})
	if err != nil {
		t.Fatal(err)
	}
	texts := textsN(10)
	for _, tc := range []struct {
		task   embed.Task
		prefix string
	}{
		{embed.Document, "search_document: "},
		{embed.Query, "search_query: "},
		{embed.Clustering, "clustering: "},
	} {
		t.Run(tc.task.String(), func(t *testing.T) {
			got, err := o.Embed(t.Context(), texts, tc.task)
			if err != nil {
				t.Fatal(err)
			}
			reqs := proxy.Requests()
			var sent []string
			for _, r := range reqs {
				if r.Model != tinyModel || len(r.Input) == 0 || len(r.Input) > 4 {
					t.Errorf("request for model %q with %d inputs, want %s with 1 to 4", r.Model, len(r.Input), tinyModel)
				}
				sent = append(sent, r.Input...)
			}
			if len(reqs) != 3 {
				t.Errorf("%d requests for 10 texts in batches of 4, want 3", len(reqs))
			}
			slices.Sort(sent)
			var want []string
			for _, text := range texts {
				want = append(want, tc.prefix+text)
			}
			slices.Sort(want)
			if !slices.Equal(sent, want) {
				t.Errorf("sent %q, want %q", sent, want)
			}
			// What the server made of them: the vectors of the prefixed
			// texts sent with no prefix.
			ref, err := direct.Embed(t.Context(), want, embed.Document)
			if err != nil {
				t.Fatal(err)
			}
			for i, text := range texts {
				j := slices.Index(want, tc.prefix+text)
				if d := maxAbsDiff(got[i], ref[j]); d > 1e-6 {
					t.Errorf("text %d: vector differs by %g from that of the prefixed text", i, d)
				}
			}
		})
	}
}

func TestOllamaServerLongInput(t *testing.T) {
	// A text longer than the model's 128 positions is cut to its first
	// 126 tokens before it is sent: one request, no runner crash (which
	// would show as a split batch and more requests), one warning.
	host := ollama.OllamaTestServer(t, "")
	proxy := testmodel.NewRecordingProxy(t, host)
	var w warnings
	o, err := ollama.New(t.Context(), ollama.Options{Hosts: []string{proxy.URL}, Model: tinyModel, Warn: w.warn})
	if err != nil {
		t.Fatal(err)
	}
	proxy.Requests()
	texts := []string{"a short text", the(300), "another short text", the(127), the(126)}
	got, err := o.Embed(t.Context(), texts, embed.Document)
	if err != nil {
		t.Fatal(err)
	}
	reqs := proxy.Requests()
	if len(reqs) != 1 {
		t.Errorf("%d requests, want 1 (more means the runner crashed and the batch was split)", len(reqs))
	}
	msgs := w.take()
	if len(msgs) != 1 || !strings.Contains(msgs[0], "cut 2 of 5 texts (texts 1 and 3)") || !strings.Contains(msgs[0], "reads 128 tokens") {
		t.Errorf("warnings %q, want one saying texts 1 and 3 of 5 were cut to fit 128 tokens", msgs)
	}
	for _, r := range reqs {
		for i, in := range r.Input {
			if want := []string{texts[0], the(126), texts[2], the(126), the(126)}[i]; in != want {
				t.Errorf("input %d sent as %d bytes, want %d", i, len(in), len(want))
			}
		}
	}
	// 126 tokens is the longest text the runner takes: the cut ones get
	// its vector.
	for _, i := range []int{1, 3} {
		if d := maxAbsDiff(got[i], got[4]); d > 1e-6 {
			t.Errorf("text %d: vector differs by %g from that of its first 126 words", i, d)
		}
	}
}

func TestOllamaServerMissingModel(t *testing.T) {
	host := ollama.OllamaTestServer(t, "")
	opts := ollama.Options{Hosts: []string{host}, Model: "papermap-no-such-model"}
	_, err := ollama.New(t.Context(), opts)
	var mnf *ollama.ModelNotFoundError
	if !errors.As(err, &mnf) || !strings.Contains(err.Error(), "ollama pull papermap-no-such-model") {
		t.Errorf("New with a missing model: %v, want a *ModelNotFoundError saying `ollama pull papermap-no-such-model`", err)
	}
	if err := ollama.Probe(t.Context(), opts); !errors.As(err, &mnf) {
		t.Errorf("Probe with a missing model: %v, want a *ModelNotFoundError", err)
	}
}
