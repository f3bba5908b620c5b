package ollama_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/internal/testharness/fakegen"
)

func newTestGenerator(t *testing.T, hosts ...string) *ollama.Generator {
	t.Helper()
	g, err := ollama.NewGenerator(ollama.Options{
		Hosts: hosts, Model: "llama", MaxRetries: 2,
		RetryDelay: time.Millisecond, MaxRetryDelay: 2 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGenerateRequest(t *testing.T) {
	srv := fakegen.New(t, "llama", "sha256:aaa")
	srv.Answer(func(r fakegen.Request) string { return "answer to " + r.Prompt })
	g := newTestGenerator(t, srv.URL)
	got, err := g.Generate(t.Context(), "name this", ollama.Sampling{Seed: 7, NumPredict: 12})
	if err != nil {
		t.Fatal(err)
	}
	if got != "answer to name this" {
		t.Errorf("Generate = %q", got)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	// JSON numbers arrive as float64.
	if r.Model != "llama" || r.Prompt != "name this" || r.Stream == nil || *r.Stream ||
		r.Options["temperature"] != 0.0 || r.Options["seed"] != 7.0 || r.Options["num_predict"] != 12.0 {
		t.Errorf("request %+v (stream %v), want model llama, the prompt, stream false, temperature 0, seed 7, num_predict 12", r, r.Stream)
	}
	d, err := g.Digest(t.Context())
	if err != nil || d != "sha256:aaa" {
		t.Errorf("Digest = %q, %v; want sha256:aaa", d, err)
	}
}

func TestGenerateRetriesOnOtherHost(t *testing.T) {
	a := fakegen.New(t, "llama", "d")
	b := fakegen.New(t, "llama", "d")
	a.Fail(func(int) int { return http.StatusInternalServerError })
	g := newTestGenerator(t, a.URL, b.URL)
	for range 4 {
		if _, err := g.Generate(t.Context(), "p", ollama.Sampling{}); err != nil {
			t.Fatal(err)
		}
	}
	// Calls start on the hosts in turn: two of the four start on a, fail
	// there once each and go on to b.
	if na, nb := len(a.Requests()), len(b.Requests()); na != 2 || nb != 4 {
		t.Errorf("requests a=%d b=%d, want 2 and 4", na, nb)
	}
}

func TestGenerateGivesUp(t *testing.T) {
	srv := fakegen.New(t, "llama", "d")
	srv.Fail(func(int) int { return http.StatusServiceUnavailable })
	g := newTestGenerator(t, srv.URL)
	_, err := g.Generate(t.Context(), "p", ollama.Sampling{})
	if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("err = %v, want gave up after 3 attempts (MaxRetries 2)", err)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestGenerateMissingModel(t *testing.T) {
	srv := fakegen.New(t, "other", "d")
	g := newTestGenerator(t, srv.URL)
	_, err := g.Generate(t.Context(), "p", ollama.Sampling{})
	var mnf *ollama.ModelNotFoundError
	if !errors.As(err, &mnf) || mnf.Model != "llama" {
		t.Fatalf("err = %v, want a ModelNotFoundError for llama", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1: a missing model is not retried", n)
	}
	if _, err := g.Digest(t.Context()); !errors.As(err, &mnf) {
		t.Errorf("Digest: err = %v, want a ModelNotFoundError", err)
	}
	if !strings.Contains(err.Error(), "ollama pull llama") {
		t.Errorf("message %q does not say what to do", err)
	}
}

func TestGenerateUnreachable(t *testing.T) {
	g := newTestGenerator(t, closedPortURL(t), closedPortURL(t))
	start := time.Now()
	_, err := g.Generate(t.Context(), "p", ollama.Sampling{})
	var unr *ollama.UnreachableError
	if !errors.As(err, &unr) {
		t.Fatalf("err = %v, want an UnreachableError", err)
	}
	if strings.Count(err.Error(), "cannot reach Ollama") != 2 {
		t.Errorf("err = %v, want both hosts named", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: refused connections should not be retried", d)
	}
	if _, err := g.Digest(t.Context()); !errors.As(err, &unr) {
		t.Errorf("Digest: err = %v, want an UnreachableError", err)
	}
}

func TestGenerateDigestsDisagree(t *testing.T) {
	a := fakegen.New(t, "llama", "sha256:1111111111111111")
	b := fakegen.New(t, "llama", "sha256:2222222222222222")
	g := newTestGenerator(t, a.URL, b.URL)
	var bad *ollama.BadResponseError
	if _, err := g.Digest(t.Context()); !errors.As(err, &bad) {
		t.Errorf("Digest: err = %v, want a BadResponseError", err)
	}
}

func TestNewGeneratorNeedsModel(t *testing.T) {
	if _, err := ollama.NewGenerator(ollama.Options{}); err == nil {
		t.Error("NewGenerator without a model: no error")
	}
}
