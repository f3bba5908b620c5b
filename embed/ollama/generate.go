package ollama

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ollama/ollama/api"
)

// Sampling is what a [Generator] asks of the model for one answer; it is
// sent as the request's options. The zero value is greedy decoding (the
// most likely token each time) with seed 0 and the server's own bound on
// the answer's length, so that the same prompt gets the same answer from
// the same model.
type Sampling struct {
	// Temperature is the sampling temperature; 0 means greedy decoding.
	Temperature float64
	// Seed seeds the server's sampler.
	Seed int
	// NumPredict bounds the tokens of the answer; 0 means the server's
	// default (unbounded for Ollama 0.6.5, so set it).
	NumPredict int
}

// Generator completes prompts with a generative model served by one or
// more Ollama servers, through /api/generate. It shares the embedder's
// host list, retry policy and errors (see the package documentation):
// a missing model ([*ModelNotFoundError]) or another 4xx answer is final;
// 5xx, 429, resets and timeouts are tried again, on the next host, after
// a backoff, at most MaxRetries times; a host that refuses the connection
// ([*UnreachableError]) is skipped for the rest of the call, and the call
// fails at once when every host has refused it. Requests start on the
// hosts in turn, so that several callers spread over them. It is safe for
// concurrent use; Concurrency bounds the requests in flight per host.
type Generator struct {
	c    *Client // hosts, options and backoff; never embeds
	next atomic.Uint64
}

// NewGenerator returns a generator of opts.Model on opts.Hosts. Unlike
// [New] it sends nothing: the first request, or [Generator.Digest],
// finds out whether the servers answer and have the model. Model must be
// given (the embedder's default is no generative model); BatchSize and
// Prefixes are not used.
func NewGenerator(opts Options) (*Generator, error) {
	if strings.TrimSpace(opts.Model) == "" {
		return nil, errors.New("ollama: a generator needs a model name")
	}
	c, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	return &Generator{c: c}, nil
}

// Model returns the model name as given.
func (g *Generator) Model() string { return g.c.opts.Model }

// Hosts returns the base URLs of the servers in use, in the order given.
func (g *Generator) Hosts() []string { return g.c.Hosts() }

// Slots returns the number of requests the generator sends at once at
// most: Concurrency per host.
func (g *Generator) Slots() int { return len(g.c.hosts) * g.c.opts.Concurrency }

// Digest asks every host for the model (GET /api/tags, within
// RequestTimeout) and returns its digest, which changes whenever the model
// does. Every host must list the model, with the same digest: hosts
// serving different builds of a model would answer the same prompt
// differently. Errors are an [*UnreachableError], a [*ModelNotFoundError]
// or a [*BadResponseError], every host's joined.
func (g *Generator) Digest(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, g.c.opts.RequestTimeout)
	defer cancel()
	model := g.c.opts.Model
	digests := make([]string, len(g.c.hosts))
	errs := make([]error, len(g.c.hosts))
	var wg sync.WaitGroup
	for i, h := range g.c.hosts {
		wg.Go(func() {
			var m api.ListModelResponse
			m, errs[i] = h.findModel(ctx, model)
			digests[i] = m.Digest
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	for i := 1; i < len(digests); i++ {
		if digests[i] != digests[0] {
			return "", &BadResponseError{Host: g.c.hosts[i].url, Reason: fmt.Sprintf(
				"model %s has digest %s here but %s at %s: are both servers serving the same model?",
				model, short(digests[i]), short(digests[0]), g.c.hosts[0].url)}
		}
	}
	return digests[0], nil
}

// short abbreviates a digest for a message.
func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}

// Generate returns the model's answer to prompt, sent as it is through the
// model's own prompt template, without streaming. See [Generator] for the
// retries; the error of a call that gives up names the host and what to do.
func (g *Generator) Generate(ctx context.Context, prompt string, s Sampling) (string, error) {
	n := len(g.c.hosts)
	first := int(g.next.Add(1)-1) % n
	refused := make([]bool, n)
	var refusals []error
	failures := 0
	for attempt := 0; ; attempt++ {
		i := (first + attempt) % n
		if refused[i] {
			continue
		}
		h := g.c.hosts[i]
		answer, err := g.send(ctx, h, prompt, s)
		if err == nil {
			return answer, nil
		}
		if ctx.Err() != nil {
			return "", context.Cause(ctx)
		}
		switch classifyOllamaError(err) {
		case failPermanent:
			return "", err
		case failUnreached:
			refused[i] = true
			if refusals = append(refusals, err); len(refusals) == n {
				return "", errors.Join(refusals...)
			}
			continue
		}
		if failures++; failures > g.c.opts.MaxRetries {
			return "", fmt.Errorf("ollama: gave up after %d attempts: %w", failures, err)
		}
		if err := g.c.sleep(ctx, failures); err != nil {
			return "", err
		}
	}
}

// send makes one /api/generate request to h.
func (g *Generator) send(ctx context.Context, h *ollamaHost, prompt string, s Sampling) (string, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
	defer func() { <-h.slots }()

	rctx, cancel := context.WithTimeout(ctx, g.c.opts.RequestTimeout)
	defer cancel()
	stream := false
	opts := map[string]any{"temperature": s.Temperature, "seed": s.Seed}
	if s.NumPredict > 0 {
		opts["num_predict"] = s.NumPredict
	}
	var parts []string
	var done bool
	err := h.client.Generate(rctx, &api.GenerateRequest{
		Model:     g.c.opts.Model,
		Prompt:    prompt,
		Stream:    &stream,
		KeepAlive: g.c.keepAlive,
		Options:   opts,
	}, func(r api.GenerateResponse) error {
		parts = append(parts, r.Response)
		done = done || r.Done
		return nil
	})
	if err != nil {
		if ctx.Err() == nil && rctx.Err() != nil {
			err = &ollamaTimeoutError{limit: g.c.opts.RequestTimeout, err: err}
		}
		return "", h.describe(err, g.c.opts.Model)
	}
	if !done {
		return "", &BadResponseError{Host: h.url, Reason: "the answer to /api/generate ended before it was done"}
	}
	return strings.Join(parts, ""), nil
}

// findModel returns h's entry for model among its local models (GET
// /api/tags), or the error Probe reports.
func (h *ollamaHost) findModel(ctx context.Context, model string) (api.ListModelResponse, error) {
	list, err := h.client.List(ctx)
	if err != nil {
		return api.ListModelResponse{}, h.listError(err)
	}
	want := ollamaModelKey(model)
	if i := slices.IndexFunc(list.Models, func(m api.ListModelResponse) bool {
		return ollamaModelKey(m.Name) == want || ollamaModelKey(m.Model) == want
	}); i >= 0 {
		return list.Models[i], nil
	}
	return api.ListModelResponse{}, &ModelNotFoundError{Host: h.url, Model: model}
}
