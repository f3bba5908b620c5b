package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
)

// probeTimeout bounds Probe: `--embedder auto` must not make a user wait for
// a server that is not there.
const probeTimeout = 2 * time.Second

// Probe is a cheap check, meant for choosing a backend (`--embedder auto`),
// that every host answers within 2 seconds and lists the model among its
// local models (GET /api/tags). It embeds nothing and does not load the
// model. A model named without a tag matches its ":latest" tag, and names
// are compared ignoring case and the default registry prefix
// "registry.ollama.ai/library/".
//
// Errors are an [*UnreachableError] (including no answer in time), a
// [*ModelNotFoundError], or another error for a server that answered
// oddly; with several hosts, every host's error is reported, joined.
func Probe(ctx context.Context, opts Options) error {
	opts, err := opts.withDefaults()
	if err != nil {
		return err
	}
	urls, err := ollamaHostURLs(opts.Hosts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()

	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		h := &ollamaHost{url: u.String(), client: api.NewClient(u, opts.HTTPClient)}
		wg.Go(func() { errs[i] = h.hasModel(ctx, opts.Model) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// hasModel checks that h lists model among its local models.
func (h *ollamaHost) hasModel(ctx context.Context, model string) error {
	_, err := h.findModel(ctx, model)
	return err
}

// listError describes an error of GET /api/tags.
func (h *ollamaHost) listError(err error) error {
	var (
		status api.StatusError
		auth   api.AuthorizationError
		syn    *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &status), errors.As(err, &auth):
		return fmt.Errorf("ollama: listing the models at %s: %w", h.url, err)
	case errors.As(err, &syn), errors.As(err, &typ):
		return &BadResponseError{Host: h.url, Reason: "listing the models: malformed JSON: " + err.Error()}
	}
	// No HTTP answer at all, or none in time: for choosing a backend,
	// both mean this server cannot be used.
	return &UnreachableError{Host: h.url, Err: err}
}

// ollamaModelKey normalises a model name for comparison: lower case, without
// the default registry and namespace, with the tag ":latest" when none is
// given.
func ollamaModelKey(name string) string {
	k := strings.ToLower(strings.TrimSpace(name))
	k = strings.TrimPrefix(k, "registry.ollama.ai/")
	k = strings.TrimPrefix(k, "library/")
	if !strings.Contains(k[strings.LastIndex(k, "/")+1:], ":") {
		k += ":latest"
	}
	return k
}
