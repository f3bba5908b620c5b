package ollama

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/papermap/papermap/embed"
)

// Defaults for the zero values of [Options].
const (
	DefaultModel = "nomic-embed-text"
	// DefaultHost is where `ollama serve` listens unless told otherwise,
	// and the server used when neither Options.Hosts nor HostEnv names one.
	DefaultHost = "http://" + defaultAddr + ":" + defaultPort
	// HostEnv is the environment variable naming the server, as for
	// Ollama's own client.
	HostEnv              = "OLLAMA_HOST"
	DefaultBatchSize     = 16
	defaultOllamaRetries = 5
	defaultOllamaTimeout = 2 * time.Minute
	defaultRetryDelay    = 250 * time.Millisecond
	defaultMaxRetryDelay = 8 * time.Second
	// maxBadAnswers is how many 200-OK-but-unusable answers one batch may
	// get before Embed gives up: the first and two retries.
	maxBadAnswers = 3
	// maxCuts is how many times a text that crashes the model runner is
	// cut in half before Embed gives up on it (down to 1/64 of it: a
	// 20,000-character text to 312 characters, below any model's context).
	maxCuts = 6
	// maxCrashesInARow is how many runner crashes in a row, with no
	// success between them, a host may have before its crashes count as
	// failures of the host. Finding one bad text in a batch of 16 takes
	// at most 4 splits, a second try and 6 cuts.
	maxCrashesInARow = 24
	// probeText is embedded once per host by New to learn the
	// dimension and to check that the host can embed at all.
	probeText = "papermap probe: is this server ready to embed text?"
	// minHostAgreement is the least cosine similarity two hosts' vectors
	// for probeText may have. Different builds or quantisations of one
	// model agree to about 0.99; different models of the same width are
	// nowhere near.
	minHostAgreement = 0.9
)

// Options configures [New] and [Probe]. The zero value means
// every documented default: the model nomic-embed-text on the server named
// by OLLAMA_HOST.
type Options struct {
	// Hosts are the Ollama servers' base URLs, read like OLLAMA_HOST:
	// "host", "host:port", "http://host:port" (see the package
	// documentation). Nil or empty means OLLAMA_HOST, and if that is unset,
	// http://127.0.0.1:11434. A host listed twice is used once.
	Hosts []string

	// Model is the embedding model; default "nomic-embed-text".
	Model string

	// BatchSize is the number of texts sent in one /api/embed request;
	// default 16. Ollama gives slightly different vectors for the same text
	// in large batches, so keep it small.
	BatchSize int

	// Prefixes are put before each text according to its Task. Nil means
	// PrefixesFor(Model); a non-nil value of empty strings means none.
	Prefixes *Prefixes

	// MaxRetries is how many times a failing request is tried again before
	// giving up; default 5; negative means never. See the package
	// documentation for what is retried and where.
	MaxRetries int

	// RequestTimeout bounds one /api/embed request; default 2 minutes (a
	// CPU-only server embedding 16 long abstracts can take tens of seconds,
	// and the first request also loads the model). A batch that times out
	// is split in two rather than sent again whole.
	RequestTimeout time.Duration

	// KeepAlive is sent as keep_alive: how long the server keeps the model
	// loaded after a request. Zero means the server's default (5 minutes);
	// negative means until the server stops.
	KeepAlive time.Duration

	// HTTPClient sends the requests. Nil means a client with a dial timeout
	// of 5 s and enough idle connections for Concurrency; its Timeout should
	// be zero, as RequestTimeout bounds each request.
	HTTPClient *http.Client

	// Concurrency is the number of requests in flight per host; default 1.
	// Ollama embeds one request at a time per server (more only queue
	// there), so more hosts, not more concurrency, is how to go faster.
	Concurrency int

	// RetryDelay is the wait after a host's first failure; it doubles with
	// each further failure in a row, up to MaxRetryDelay. Each wait is drawn
	// uniformly from [d/2, d] to spread out retries. Defaults 250 ms and 8 s.
	RetryDelay, MaxRetryDelay time.Duration

	// Seed seeds the random source of the retry jitter.
	Seed uint64

	// Warn, if not nil, is told of anything Embed did that changes a
	// result without failing: cutting texts longer than the model's
	// context, or texts that crashed the model runner. Each Embed call
	// sends at most one message of each kind, naming the texts. It may be
	// called from several goroutines at once.
	Warn func(msg string)
}

// withDefaults returns opts with every zero field set to its default, or an
// error for a negative size.
func (opts Options) withDefaults() (Options, error) {
	switch {
	case opts.BatchSize < 0:
		return opts, fmt.Errorf("ollama: BatchSize is %d, want 0 (default) or more", opts.BatchSize)
	case opts.Concurrency < 0:
		return opts, fmt.Errorf("ollama: Concurrency is %d, want 0 (default) or more", opts.Concurrency)
	case opts.RequestTimeout < 0:
		return opts, fmt.Errorf("ollama: RequestTimeout is %v, want 0 (default) or more", opts.RequestTimeout)
	}
	if opts.Model == "" {
		opts.Model = DefaultModel
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = defaultOllamaRetries
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	if opts.RequestTimeout == 0 {
		opts.RequestTimeout = defaultOllamaTimeout
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = 1
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = defaultRetryDelay
	}
	if opts.MaxRetryDelay <= 0 {
		opts.MaxRetryDelay = defaultMaxRetryDelay
	}
	if opts.MaxRetryDelay < opts.RetryDelay {
		opts.MaxRetryDelay = opts.RetryDelay
	}
	if opts.Prefixes == nil {
		p := PrefixesFor(opts.Model)
		opts.Prefixes = &p
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = newOllamaHTTPClient(opts.Concurrency)
	}
	return opts, nil
}

// newOllamaHTTPClient returns a client for a local or LAN server: a short
// dial timeout so that a dead host is noticed quickly, idle connections kept
// for reuse between batches, and no overall timeout (RequestTimeout bounds
// each request through its context).
func newOllamaHTTPClient(concurrency int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        100,
		MaxIdleConnsPerHost: concurrency + 1,
		IdleConnTimeout:     90 * time.Second,
	}}
}

// Client embeds texts with a model served by one or more Ollama servers,
// through their /api/embed endpoint. It implements [embed.Embedder]; it is safe for
// concurrent use, and the per-host Concurrency bound holds across concurrent
// calls.
type Client struct {
	opts  Options // with defaults applied
	hosts []*ollamaHost
	dims  int
	// limit is the model's context as the hosts report it (the tightest
	// of them), nil if none does; Embed cuts texts to fit it.
	limit *ollamaLimit

	keepAlive *api.Duration

	jitterMu sync.Mutex // guards jitter
	jitter   *rand.Rand
}

// ollamaHost is one server.
type ollamaHost struct {
	url    string // base URL as shown in messages
	client *api.Client
	slots  chan struct{} // one token per request in flight
}

// newClient returns a client of opts's hosts with the defaults filled in,
// without sending anything: the part of New that NewGenerator shares.
func newClient(opts Options) (*Client, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	urls, err := ollamaHostURLs(opts.Hosts)
	if err != nil {
		return nil, err
	}
	c := &Client{opts: opts, jitter: newOllamaJitter(opts.Seed)}
	if opts.KeepAlive != 0 {
		c.keepAlive = &api.Duration{Duration: opts.KeepAlive}
	}
	for _, u := range urls {
		c.hosts = append(c.hosts, &ollamaHost{
			url:    u.String(),
			client: api.NewClient(u, opts.HTTPClient),
			slots:  make(chan struct{}, opts.Concurrency),
		})
	}
	return c, nil
}

// New checks every host and returns an embedder using all of them.
// Each host must answer, have the model, and embed a short probe text; the
// probe also gives Info().Dimensions, on which all hosts must agree (and
// their probe vectors must be near each other: two hosts serving different
// models of the same width would otherwise mix vectors silently). Hosts are
// checked concurrently and every failure is reported, joined. Each host is
// also asked for the model's context and vocabulary (POST /api/show), so
// that Embed can cut texts that would not fit (see the package
// documentation); a host that does not answer that is still used.
//
// A host that refuses the connection is reported at once as an
// [*UnreachableError], without retries: at start-up that almost always means
// the server is not running. Other transient failures are retried as in
// Embed.
func New(ctx context.Context, opts Options) (*Client, error) {
	o, err := newClient(opts)
	if err != nil {
		return nil, err
	}

	probes := make([][]float32, len(o.hosts))
	limits := make([]*ollamaLimit, len(o.hosts))
	errs := make([]error, len(o.hosts))
	var wg sync.WaitGroup
	for i, h := range o.hosts {
		// The context (/api/show) is asked for alongside the probe, which
		// may have to wait for the model to load.
		wg.Go(func() { probes[i], errs[i] = o.probe(ctx, h) })
		wg.Go(func() { limits[i] = o.showLimit(ctx, h) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, l := range limits {
		o.limit = minLimit(o.limit, l)
	}

	o.dims = len(probes[0])
	for i := 1; i < len(probes); i++ {
		if len(probes[i]) != o.dims {
			return nil, &BadResponseError{Host: o.hosts[i].url, Reason: fmt.Sprintf(
				"model %s gives %d dimensions here but %d at %s: are both servers serving the same model?",
				opts.Model, len(probes[i]), o.dims, o.hosts[0].url)}
		}
		if c := ollamaDot(probes[0], probes[i]); c < minHostAgreement {
			return nil, &BadResponseError{Host: o.hosts[i].url, Reason: fmt.Sprintf(
				"model %s embeds the same text differently here than at %s (cosine %.3f): are both servers serving the same model?",
				opts.Model, o.hosts[0].url, c)}
		}
	}
	return o, nil
}

// probe embeds probeText on h, with retries, and returns its unit vector.
func (o *Client) probe(ctx context.Context, h *ollamaHost) ([]float32, error) {
	input := []string{o.opts.Prefixes.Document + probeText}
	bad := 0
	for failures := 0; ; {
		vecs, err := o.send(ctx, h, input, 0)
		if err == nil {
			return vecs[0], nil
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		switch classifyOllamaError(err) {
		case failUnreached, failPermanent:
			return nil, err
		case failBad:
			if bad++; bad >= maxBadAnswers {
				return nil, err
			}
		}
		if failures++; failures > o.opts.MaxRetries {
			return nil, fmt.Errorf("ollama: gave up after %d attempts: %w", failures, err)
		}
		if err := o.sleep(ctx, failures); err != nil {
			return nil, err
		}
	}
}

// Info returns the backend "ollama", the model name as given (or the
// default) and the vector length.
func (o *Client) Info() embed.Info {
	return embed.Info{Backend: embed.BackendOllama, Model: o.opts.Model, Dimensions: o.dims}
}

// Hosts returns the base URLs of the servers in use, in the order given.
func (o *Client) Hosts() []string {
	urls := make([]string, len(o.hosts))
	for i, h := range o.hosts {
		urls[i] = h.url
	}
	return urls
}

// Embed returns one unit vector per text, in the order of texts, each
// embedded with the prefix for task. It refuses (with [ErrEmptyText]) a
// text that is empty or white space. See the package documentation for how
// batches are spread over hosts and retried. When it gives up (or ctx
// ends), it returns with the error one entry per text: the vectors of the
// batches that were embedded, nil for the others. An unknown task panics.
func (o *Client) Embed(ctx context.Context, texts []string, task embed.Task) ([][]float32, error) {
	prefix := o.opts.Prefixes.forTask(task)
	for i, t := range texts {
		if strings.TrimSpace(t) == "" {
			return nil, fmt.Errorf("ollama: text %d: %w", i, ErrEmptyText)
		}
	}
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	texts, cut := o.fitContext(texts, prefix)
	r := newOllamaRun(o, texts, prefix)
	vecs, err := r.run(ctx)
	if err != nil {
		return vecs, err // the texts embedded before the failure, nil for the rest
	}
	if len(cut) > 0 {
		o.warn(fmt.Sprintf("ollama: cut %d of %d texts (%s) to fit the context: %s (longer texts make the model runner of Ollama 0.6.5 crash, and later versions refuse them)",
			len(cut), len(texts), ollamaTextList(cut, nil), o.limit.describe(o.opts.Model)))
	}
	r.warnCrashCuts()
	return vecs, nil
}

// fitContext returns texts with each one cut, if needed, so that with the
// prefix it fits the model's context, and the indices of the texts cut. The
// cut depends on the text alone, so a text gets the same vector whichever
// batch or host embeds it.
func (o *Client) fitContext(texts []string, prefix string) ([]string, []int) {
	if o.limit == nil {
		return texts, nil
	}
	var out []string
	var cut []int
	for i, t := range texts {
		in, ok := o.limit.fit(prefix+t, len(prefix))
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(texts)
		}
		out[i] = in[len(prefix):]
		cut = append(cut, i)
	}
	if out == nil {
		return texts, nil
	}
	return out, cut
}

// ollamaTextList names texts for a warning: "texts 3, 17 and 40", at most
// eight of them; more gives "texts 3, 17, ... and 12 more". detail, if not
// nil, adds a parenthesised note after each index.
func ollamaTextList(idx []int, detail func(k int) string) string {
	const shown = 8
	var b strings.Builder
	if len(idx) == 1 {
		b.WriteString("text ")
	} else {
		b.WriteString("texts ")
	}
	for k, i := range idx {
		if k == shown {
			fmt.Fprintf(&b, " and %d more", len(idx)-shown)
			break
		}
		if k > 0 {
			if k == len(idx)-1 {
				b.WriteString(" and ")
			} else {
				b.WriteString(", ")
			}
		}
		b.WriteString(strconv.Itoa(i))
		if detail != nil {
			fmt.Fprintf(&b, " (%s)", detail(k))
		}
	}
	return b.String()
}

// send makes one /api/embed request to h and checks the answer: one finite,
// non-zero vector of length dims per input (when dims is 0, of the first
// vector's length, which must not be 0), each normalised to unit length in
// place. Errors come out of h.describe or are [*BadResponseError]s.
func (o *Client) send(ctx context.Context, h *ollamaHost, input []string, dims int) ([][]float32, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	defer func() { <-h.slots }()

	rctx, cancel := context.WithTimeout(ctx, o.opts.RequestTimeout)
	defer cancel()
	truncate := true
	resp, err := h.client.Embed(rctx, &api.EmbedRequest{
		Model:     o.opts.Model,
		Input:     input,
		KeepAlive: o.keepAlive,
		Truncate:  &truncate,
	})
	if err != nil {
		if ctx.Err() == nil && rctx.Err() != nil {
			err = &ollamaTimeoutError{limit: o.opts.RequestTimeout, err: err}
		}
		return nil, h.describe(err, o.opts.Model)
	}
	if len(resp.Embeddings) != len(input) {
		return nil, &BadResponseError{Host: h.url, Reason: fmt.Sprintf(
			"%d vectors for %d texts", len(resp.Embeddings), len(input))}
	}
	if dims == 0 {
		// Probing: the first vector sets the length the others must have.
		dims = len(resp.Embeddings[0])
	}
	for i, v := range resp.Embeddings {
		if reason := ollamaUnitVector(v, dims); reason != "" {
			return nil, &BadResponseError{Host: h.url, Reason: fmt.Sprintf("vector %d %s", i, reason)}
		}
	}
	return resp.Embeddings, nil
}

// ollamaUnitVector checks that v is not empty, has length dims, finite components
// and a non-zero norm, and scales it to unit length in place. It returns why
// v is unusable, or "".
func ollamaUnitVector(v []float32, dims int) string {
	switch {
	case len(v) == 0:
		return "is empty"
	case len(v) != dims:
		return fmt.Sprintf("has %d dimensions, want %d", len(v), dims)
	}
	var ss float64 // float64: squares of large float32 values overflow float32
	for j, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Sprintf("has %v at position %d", x, j)
		}
		ss += float64(x) * float64(x)
	}
	norm := math.Sqrt(ss)
	if norm == 0 || math.IsInf(norm, 0) {
		return fmt.Sprintf("has norm %v", norm)
	}
	var check float64
	for j, x := range v {
		v[j] = float32(float64(x) / norm)
		check += float64(v[j]) * float64(v[j])
	}
	if math.Abs(math.Sqrt(check)-1) > embed.NormTolerance {
		return fmt.Sprintf("cannot be normalised (norm %v after scaling)", math.Sqrt(check))
	}
	return ""
}

// ollamaDot is the dot product of two vectors of equal length.
func ollamaDot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// backoff returns the wait after the n-th failure in a row (n >= 1):
// RetryDelay doubled n-1 times, capped at MaxRetryDelay, then drawn
// uniformly from [d/2, d].
func (o *Client) backoff(n int) time.Duration {
	d := o.opts.RetryDelay
	for i := 1; i < n && d < o.opts.MaxRetryDelay; i++ {
		d *= 2
	}
	d = min(d, o.opts.MaxRetryDelay)
	o.jitterMu.Lock()
	f := o.jitter.Float64()
	o.jitterMu.Unlock()
	return d/2 + time.Duration(f*float64(d/2))
}

// warn passes msg to Options.Warn, if set.
func (o *Client) warn(msg string) {
	if o.opts.Warn != nil {
		o.opts.Warn(msg)
	}
}

// newOllamaJitter returns the random source of the retry jitter.
func newOllamaJitter(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// sleep waits backoff(n), or until ctx is done.
func (o *Client) sleep(ctx context.Context, n int) error {
	t := time.NewTimer(o.backoff(n))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
