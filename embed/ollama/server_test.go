package ollama

// Tests against a real Ollama server (scripts/ollama-test-server), and the
// helper the other server tests use. They skip unless OLLAMA_TEST_HOST is
// set; with PAPERMAP_OLLAMA_TESTS=1 (as CI sets it) a missing server fails
// them instead:
//
//	export $(scripts/ollama-test-server start)
//	go test -run Server ./embed/

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/papermap/papermap/internal/testharness/testmodel"
)

// OllamaTestServer is ollamaTestServer for the ollama_test package.
var OllamaTestServer = ollamaTestServer

// ollamaTestServer returns the URL of the test server called name ("" for
// the default), as scripts/ollama-test-server prints it in
// OLLAMA_TEST_HOST (OLLAMA_TEST_HOST_B for "b", ...). It skips the test
// when the variable is unset, unless PAPERMAP_OLLAMA_TESTS=1, and fails it
// when the server does not answer.
func ollamaTestServer(tb testing.TB, name string) string {
	tb.Helper()
	env := testmodel.HostEnv(name)
	u, ok := testmodel.Host(name)
	if !ok {
		if os.Getenv("PAPERMAP_OLLAMA_TESTS") == "1" {
			tb.Fatalf("PAPERMAP_OLLAMA_TESTS=1 but %s is not set: start the server with `export $(scripts/ollama-test-server start)`", env)
		}
		tb.Skipf("%s is not set: run `export $(scripts/ollama-test-server start)` for tests against a real Ollama server", env)
	}
	testmodel.Client(tb, name) // fails the test if the server does not answer
	return u.String()
}

// serverTexts are texts whose token counts are checked against the server:
// sentences of the arXiv abstracts (short enough for papermap-tiny) and
// text that exercises the normalisation.
func serverTexts(tb testing.TB, n int) []string {
	var out []string
	for _, a := range arxivTexts(tb, n) {
		for s := range strings.SplitSeq(a, ". ") {
			if len(out) < n {
				out = append(out, s)
			}
		}
	}
	return append(out,
		"Café, naïve résumé: ÜBER-fast façade (Zürich) — déjà vu",
		"数据挖掘 and 机器学习 in 2007",
		"x² ≤ y³ for α-β pruning; π ≈ 3.14159 ± 0.00001 % $O(n^2)$",
		"tabs\tand\nnewlines\r\nand\u00a0non-breaking\u2009thin spaces",
		"zero\u200bwidth soft\u00adhyphen and emoji 🙂🚀 end",
		"[CLS] and [SEP] written out, [MASK] too",
		"e.g., i.e., U.S.A., Ph.D.; 1,000,000.00 $5 #hash @at ~tilde `tick`",
		"Ελληνικά и кириллица, עברית, العربية, हिन्दी",
	)
}

func TestOllamaServerTokenCounts(t *testing.T) {
	// The count fit uses must be the server's: prompt_eval_count of a
	// one-text request is that text's token count without [CLS] and [SEP].
	host := ollamaTestServer(t, "")
	for _, tc := range []struct {
		name string
		spec testmodel.Spec
		n    int
	}{
		{"tiny", testmodel.Tiny, 64},
		{"minilm", testmodel.MiniLM, 24},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := New(t.Context(), Options{Hosts: []string{host}, Model: tc.spec.Model})
			if err != nil {
				t.Fatal(err)
			}
			l := o.limit
			if l == nil || !l.exact() || l.context != tc.spec.MaxPositions {
				t.Fatalf("limit %+v, want an exact one of context %d", l, tc.spec.MaxPositions)
			}
			u, _ := testmodel.Host("")
			c := api.NewClient(u, http.DefaultClient)
			var texts []string
			for _, text := range serverTexts(t, tc.n) {
				// Far enough from the limit that a miscount by a few
				// tokens gets a 400 (truncate off), not a crash.
				if l.count(text) <= l.tokens-8 {
					texts = append(texts, text)
				}
			}
			// In batches of 8, to spare requests: prompt_eval_count is the
			// sum over the batch.
			off := false
			checked := 0
			for batch := range slices.Chunk(texts, 8) {
				want := 0
				for _, text := range batch {
					want += l.count(text)
				}
				ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
				resp, err := c.Embed(ctx, &api.EmbedRequest{Model: tc.spec.Model, Input: batch, Truncate: &off})
				cancel()
				if err != nil {
					t.Fatalf("texts %q: %v", batch, err)
				}
				checked += len(batch)
				if resp.PromptEvalCount != want {
					t.Errorf("texts %q: counted %d tokens, the server %d", batch, want, resp.PromptEvalCount)
				}
			}
			t.Logf("%d texts checked", checked)
		})
	}
}
