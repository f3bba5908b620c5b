package ollama_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/ollama"
)

const testDims = 8

// fastOptions are options for hosts with retry waits short enough for tests.
func fastOptions(hosts ...string) ollama.Options {
	return ollama.Options{
		Hosts:         hosts,
		RetryDelay:    time.Millisecond,
		MaxRetryDelay: 4 * time.Millisecond,
		Seed:          1,
	}
}

func mustNewOllama(t *testing.T, opts ollama.Options) *ollama.Client {
	t.Helper()
	o, err := ollama.New(t.Context(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return o
}

// checkVectors checks that got[i] is the unit vector the fake server gives
// for prefix+texts[i]. Tolerance 1e-6: both sides normalise the same float32
// input in float64 and round once to float32.
func checkVectors(t *testing.T, got [][]float32, texts []string, prefix string) {
	t.Helper()
	if len(got) != len(texts) {
		t.Fatalf("got %d vectors for %d texts", len(got), len(texts))
	}
	for i, v := range got {
		want := unitFakeVector(prefix+texts[i], testDims)
		var ss float64
		for j := range v {
			ss += float64(v[j]) * float64(v[j])
			if math.Abs(float64(v[j]-want[j])) > 1e-6 {
				t.Fatalf("vector %d = %v, want %v (the vector of text %q)", i, v, want, prefix+texts[i])
			}
		}
		if math.Abs(math.Sqrt(ss)-1) > embed.NormTolerance {
			t.Fatalf("vector %d has norm %v", i, math.Sqrt(ss))
		}
	}
}

func TestOllamaPrefixesOnTheWire(t *testing.T) {
	const query = "Represent this sentence for searching relevant passages: "
	custom := &ollama.Prefixes{Document: "passage: ", Query: "query: ", Clustering: "cluster: "}
	for _, tc := range []struct {
		name     string
		model    string
		prefixes *ollama.Prefixes
		task     embed.Task
		want     string
	}{
		{"nomic document", "nomic-embed-text", nil, embed.Document, "search_document: "},
		{"nomic query", "nomic-embed-text", nil, embed.Query, "search_query: "},
		{"nomic clustering", "nomic-embed-text", nil, embed.Clustering, "clustering: "},
		{"nomic tagged", "nomic-embed-text:v1.5", nil, embed.Query, "search_query: "},
		{"mxbai query", "mxbai-embed-large", nil, embed.Query, query},
		{"mxbai document", "mxbai-embed-large", nil, embed.Document, ""},
		{"other model", "all-minilm", nil, embed.Query, ""},
		{"custom document", "all-minilm", custom, embed.Document, "passage: "},
		{"custom query", "nomic-embed-text", custom, embed.Query, "query: "},
		{"custom clustering", "all-minilm", custom, embed.Clustering, "cluster: "},
		{"explicitly none", "nomic-embed-text", &ollama.Prefixes{}, embed.Query, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOllama(t, testDims, tc.model)
			opts := fastOptions(f.URL())
			opts.Model, opts.Prefixes = tc.model, tc.prefixes
			o := mustNewOllama(t, opts)
			f.reset()
			texts := []string{"Attention is all you need", "graph neural networks"}
			got, err := o.Embed(t.Context(), texts, tc.task)
			if err != nil {
				t.Fatal(err)
			}
			reqs := f.seen()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			want := []string{tc.want + texts[0], tc.want + texts[1]}
			if !slices.Equal(reqs[0].Input, want) {
				t.Errorf("input on the wire = %q, want %q", reqs[0].Input, want)
			}
			checkVectors(t, got, texts, tc.want)
		})
	}
}

func TestOllamaBatchesOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		name      string
		texts     int
		batchSize int
		want      []int
	}{
		{"37 by default 16", 37, 0, []int{16, 16, 5}},
		{"exactly one batch", 16, 0, []int{16}},
		{"one text", 1, 0, []int{1}},
		{"12 by 5", 12, 5, []int{5, 5, 2}},
		{"3 by 1", 3, 1, []int{1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOllama(t, testDims)
			opts := fastOptions(f.URL())
			opts.BatchSize = tc.batchSize
			opts.KeepAlive = 10 * time.Minute
			o := mustNewOllama(t, opts)
			f.reset()
			texts := textsN(tc.texts)
			got, err := o.Embed(t.Context(), texts, embed.Document)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, got, texts, "search_document: ")
			var sizes []int
			var sent []string
			for _, r := range f.seen() {
				sizes = append(sizes, len(r.Input))
				sent = append(sent, r.Input...)
				if r.Truncate == nil || !*r.Truncate {
					t.Errorf("truncate = %v, want true", r.Truncate)
				}
				if string(r.KeepAlive) != `"10m0s"` {
					t.Errorf("keep_alive = %s, want \"10m0s\"", r.KeepAlive)
				}
				if r.Model != "nomic-embed-text" {
					t.Errorf("model = %q, want nomic-embed-text", r.Model)
				}
			}
			// One host and Concurrency 1: batches go out one by one, in order.
			if !slices.Equal(sizes, tc.want) {
				t.Errorf("batch sizes = %v, want %v", sizes, tc.want)
			}
			for i, s := range sent {
				if s != "search_document: "+texts[i] {
					t.Fatalf("text %d sent as %q", i, s)
				}
			}
		})
	}
}

func TestOllamaKeepAliveDefaultNotSent(t *testing.T) {
	f := newFakeOllama(t, testDims)
	mustNewOllama(t, fastOptions(f.URL()))
	for _, r := range f.seen() {
		if r.KeepAlive != nil {
			t.Errorf("keep_alive = %s, want it left to the server", r.KeepAlive)
		}
	}
}

func TestOllamaOrderPreservedAcrossHosts(t *testing.T) {
	for _, tc := range []struct {
		name        string
		hosts       int
		concurrency int
		texts       int
		batchSize   int
	}{
		{"3 hosts", 3, 1, 101, 4},
		{"3 hosts, 2 in flight each", 3, 2, 101, 4},
		{"2 hosts, batches of 1", 2, 1, 17, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var urls []string
			for h := range tc.hosts {
				f := newFakeOllama(t, testDims)
				rng := rand.New(rand.NewPCG(uint64(h), 7))
				var mu sync.Mutex
				f.configure(func(f *fakeOllama) {
					f.delay = func() time.Duration {
						mu.Lock()
						defer mu.Unlock()
						return time.Duration(rng.IntN(3000)) * time.Microsecond
					}
				})
				urls = append(urls, f.URL())
			}
			opts := fastOptions(urls...)
			opts.Concurrency, opts.BatchSize = tc.concurrency, tc.batchSize
			o := mustNewOllama(t, opts)
			texts := textsN(tc.texts)
			got, err := o.Embed(t.Context(), texts, embed.Clustering)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, got, texts, "clustering: ")
		})
	}
}

func TestOllamaTwoHostsShareWork(t *testing.T) {
	one := newFakeOllama(t, testDims)
	a, b := newFakeOllama(t, testDims), newFakeOllama(t, testDims)
	texts := textsN(40)

	single := mustNewOllama(t, fastOptions(one.URL()))
	want, err := single.Embed(t.Context(), texts, embed.Document)
	if err != nil {
		t.Fatal(err)
	}

	pair := mustNewOllama(t, fastOptions(a.URL(), b.URL()))
	a.reset()
	b.reset()
	// Each host holds its first batch until the other host has one too:
	// with one request in flight per host, that can only end if the two
	// workers share the batches.
	var started sync.WaitGroup
	started.Add(2)
	for _, f := range []*fakeOllama{a, b} {
		var once sync.Once
		f.configure(func(f *fakeOllama) {
			f.gate = func(*http.Request) {
				once.Do(func() {
					started.Done()
					started.Wait()
				})
			}
		})
	}
	got, err := pair.Embed(t.Context(), texts, embed.Document)
	if err != nil {
		t.Fatal(err)
	}
	if a.answered() == 0 || b.answered() == 0 {
		t.Errorf("answered batches: %d and %d, want both > 0", a.answered(), b.answered())
	}
	if a.answered()+b.answered() != 3 {
		t.Errorf("answered batches: %d + %d, want 3 (40 texts by 16)", a.answered(), b.answered())
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("text %d: two hosts give %v, one host %v", i, got[i], want[i])
		}
	}
}

func TestOllamaRetriesTransientFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  string
		fails int
	}{
		{"500", "500", 2},
		{"503", "503", 3},
		{"429 too many requests", "429", 1},
		{"connection reset", "reset", 2},
		{"connection closed mid-body", "close-mid-body", 2},
		{"truncated JSON", "truncated-json", 2},
		{"NaN token", "nan", 1},
		{"wrong dimension", "dims", 2},
		{"zero vector", "zero", 1},
		{"too few vectors", "count", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOllama(t, testDims)
			o := mustNewOllama(t, fastOptions(f.URL()))
			f.reset()
			f.setFail(firstN(tc.fails, tc.mode))
			texts := textsN(5)
			got, err := o.Embed(t.Context(), texts, embed.Query)
			if err != nil {
				t.Fatalf("after %d × %s: %v", tc.fails, tc.mode, err)
			}
			checkVectors(t, got, texts, "search_query: ")
			if n := len(f.seen()); n != tc.fails+1 {
				t.Errorf("%d requests, want %d", n, tc.fails+1)
			}
		})
	}
}

func TestOllamaRequestTimeout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		texts   int
		setup   func(f *fakeOllama)
		batches []int // batch sizes on the wire
	}{
		// A single text that times out is sent again.
		{"one text", 1, func(f *fakeOllama) { f.fail = firstN(1, "hang") }, []int{1, 1}},
		// A batch that times out is split in two.
		{"3 texts", 3, func(f *fakeOllama) { f.fail = firstN(1, "hang") }, []int{3, 1, 2}},
		// A server too slow for more than 4 texts at a time: 16 is split
		// into 8 and 8, each into 4 and 4.
		{"too slow for 16", 16, func(f *fakeOllama) { f.tooSlow = func(n int) bool { return n > 4 } }, []int{16, 8, 8, 4, 4, 4, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOllama(t, testDims)
			opts := fastOptions(f.URL())
			opts.RequestTimeout = 50 * time.Millisecond
			o := mustNewOllama(t, opts)
			f.reset()
			f.configure(tc.setup)
			texts := textsN(tc.texts)
			got, err := o.Embed(t.Context(), texts, embed.Document)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, got, texts, "search_document: ")
			var sizes []int
			for _, r := range f.seen() {
				sizes = append(sizes, len(r.Input))
			}
			// One host, one request at a time, halves queued in order.
			if !slices.Equal(sizes, tc.batches) {
				t.Errorf("batch sizes %v, want %v", sizes, tc.batches)
			}
		})
	}
}

func TestOllamaPermanentFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     string // failure mode, or "" to ask for a model the server lacks
		requests int    // requests the server should see
		where    string // how the error says which texts failed
		check    func(t *testing.T, err error)
	}{
		{"400 is not retried", "400", 1, "batch 1 of 2 (texts 0-15)", func(t *testing.T, err error) {
			var se api.StatusError
			if !errors.As(err, &se) || se.StatusCode != 400 {
				t.Errorf("error %v, want an api.StatusError with code 400", err)
			}
		}},
		// Two batches take turns on the one host, which is given up on
		// after 3 failures in a row, before either batch has failed 3 times.
		{"500 until MaxRetries", "500", 3, "0 of 20 texts embedded", func(t *testing.T, err error) {
			var se api.StatusError
			if !errors.As(err, &se) || se.StatusCode != 500 {
				t.Errorf("error %v, want an api.StatusError with code 500", err)
			}
		}},
		{"connection closed until MaxRetries", "close-mid-body", 3, "0 of 20 texts embedded", func(t *testing.T, err error) {
			if !strings.Contains(err.Error(), "unexpected EOF") {
				t.Errorf("error %v, want an unexpected EOF", err)
			}
		}},
		{"503 on a single batch", "503", 3, "batch 1 of 1 (texts 0-3): gave up after 3 attempts", func(t *testing.T, err error) {
			var se api.StatusError
			if !errors.As(err, &se) || se.StatusCode != 503 {
				t.Errorf("error %v, want an api.StatusError with code 503", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOllama(t, testDims)
			opts := fastOptions(f.URL())
			opts.MaxRetries = 2
			o := mustNewOllama(t, opts)
			f.reset()
			f.setFail(always(tc.fail))
			n := 20
			if strings.Contains(tc.where, "of 1") {
				n = 4
			}
			_, err := o.Embed(t.Context(), textsN(n), embed.Document)
			if err == nil {
				t.Fatal("no error")
			}
			if n := len(f.seen()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
			if !strings.Contains(err.Error(), tc.where) {
				t.Errorf("error %q does not say which texts failed", err)
			}
			tc.check(t, err)
		})
	}
}

func TestOllamaModelNotFound(t *testing.T) {
	f := newFakeOllama(t, testDims, "all-minilm:latest")
	_, err := ollama.New(t.Context(), fastOptions(f.URL()))
	var mnf *ollama.ModelNotFoundError
	if !errors.As(err, &mnf) {
		t.Fatalf("error %v, want a *ModelNotFoundError", err)
	}
	want := "model nomic-embed-text is not on the Ollama server at " + f.URL() + ": run `ollama pull nomic-embed-text`"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if n := len(f.seen()); n != 1 {
		t.Errorf("%d requests, want 1 (a 404 is not retried)", n)
	}

	// A model removed while papermap runs.
	f.configure(func(f *fakeOllama) { f.models = []string{"nomic-embed-text:latest"} })
	o := mustNewOllama(t, fastOptions(f.URL()))
	f.configure(func(f *fakeOllama) { f.models = []string{"all-minilm:latest"} })
	_, err = o.Embed(t.Context(), textsN(3), embed.Document)
	if !errors.As(err, &mnf) || mnf.Model != "nomic-embed-text" || mnf.Host != f.URL() {
		t.Errorf("error %v, want a *ModelNotFoundError for nomic-embed-text at %s", err, f.URL())
	}
}

func TestOllamaUnreachable(t *testing.T) {
	t.Run("New on a closed port", func(t *testing.T) {
		host := closedPortURL(t)
		_, err := ollama.New(t.Context(), fastOptions(host))
		var ue *ollama.UnreachableError
		if !errors.As(err, &ue) {
			t.Fatalf("error %v, want an *UnreachableError", err)
		}
		if ue.Host != host {
			t.Errorf("Host = %q, want %q", ue.Host, host)
		}
		prefix := "cannot reach Ollama at " + host + ": is `ollama serve` running? ("
		if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), "connection refused") {
			t.Errorf("error = %q, want %q + the cause", err, prefix)
		}
	})
	t.Run("server gone during Embed", func(t *testing.T) {
		f := newFakeOllama(t, testDims)
		opts := fastOptions(f.URL())
		opts.MaxRetries = 2
		o := mustNewOllama(t, opts)
		f.srv.Close()
		_, err := o.Embed(t.Context(), textsN(3), embed.Document)
		var ue *ollama.UnreachableError
		if !errors.As(err, &ue) || ue.Host != f.URL() {
			t.Fatalf("error %v, want an *UnreachableError for %s", err, f.URL())
		}
	})
	t.Run("one of two hosts down", func(t *testing.T) {
		f := newFakeOllama(t, testDims)
		host := closedPortURL(t)
		_, err := ollama.New(t.Context(), fastOptions(f.URL(), host))
		var ue *ollama.UnreachableError
		if !errors.As(err, &ue) || ue.Host != host {
			t.Fatalf("error %v, want an *UnreachableError for %s", err, host)
		}
	})
}

func TestOllamaHostDownOthersTakeOver(t *testing.T) {
	for _, tc := range []struct {
		name string
		down func(f *fakeOllama)
	}{
		{"closed", func(f *fakeOllama) { f.srv.Close() }},
		{"503 forever", func(f *fakeOllama) { f.setFail(always("503")) }},
		{"resets forever", func(f *fakeOllama) { f.setFail(always("reset")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad, good := newFakeOllama(t, testDims), newFakeOllama(t, testDims)
			opts := fastOptions(bad.URL(), good.URL())
			opts.BatchSize = 2
			opts.MaxRetries = 3
			o := mustNewOllama(t, opts)
			good.reset()
			tc.down(bad)
			texts := textsN(30)
			got, err := o.Embed(t.Context(), texts, embed.Document)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, got, texts, "search_document: ")
			if n := good.answered(); n != 15 {
				t.Errorf("the good host answered %d batches, want all 15", n)
			}
		})
	}
}

func TestOllamaAllHostsDown(t *testing.T) {
	a, b := newFakeOllama(t, testDims), newFakeOllama(t, testDims)
	opts := fastOptions(a.URL(), b.URL())
	opts.MaxRetries = 2
	o := mustNewOllama(t, opts)
	a.srv.Close()
	b.srv.Close()
	_, err := o.Embed(t.Context(), textsN(40), embed.Document)
	for _, host := range []string{a.URL(), b.URL()} {
		if !strings.Contains(err.Error(), "cannot reach Ollama at "+host) {
			t.Errorf("error %q does not name %s", err, host)
		}
	}
	var ue *ollama.UnreachableError
	if !errors.As(err, &ue) {
		t.Errorf("error %v, want an *UnreachableError", err)
	}
}

func TestOllamaBadResponses(t *testing.T) {
	for _, mode := range []string{"dims", "nan", "zero", "count", "truncated-json"} {
		t.Run(mode, func(t *testing.T) {
			f := newFakeOllama(t, testDims)
			o := mustNewOllama(t, fastOptions(f.URL()))
			f.reset()
			f.setFail(always(mode))
			got, err := o.Embed(t.Context(), textsN(4), embed.Document)
			var bre *ollama.BadResponseError
			if !errors.As(err, &bre) {
				t.Fatalf("got %d vectors and error %v, want a *BadResponseError", len(got), err)
			}
			if bre.Host != f.URL() || bre.Reason == "" {
				t.Errorf("BadResponseError = %+v, want Host %s and a reason", bre, f.URL())
			}
			// Nothing from a bad answer is kept: no entry at all, or
			// one nil entry per text.
			for i, v := range got {
				if v != nil {
					t.Errorf("text %d has a vector from a bad answer: %v", i, v)
				}
			}
			// The first answer and two retries; MaxRetries (5) does not apply.
			if n := len(f.seen()); n != 3 {
				t.Errorf("%d requests, want 3", n)
			}
		})
	}
}

func TestOllamaHostsMustAgree(t *testing.T) {
	t.Run("dimensions", func(t *testing.T) {
		a, b := newFakeOllama(t, testDims), newFakeOllama(t, 2*testDims)
		_, err := ollama.New(t.Context(), fastOptions(a.URL(), b.URL()))
		var bre *ollama.BadResponseError
		if !errors.As(err, &bre) || bre.Host != b.URL() || !strings.Contains(bre.Reason, "16 dimensions") {
			t.Errorf("error %v, want a *BadResponseError about 16 dimensions at %s", err, b.URL())
		}
	})
	t.Run("vectors", func(t *testing.T) {
		a, b := newFakeOllama(t, testDims), newFakeOllama(t, testDims)
		b.configure(func(f *fakeOllama) {
			f.vector = func(text string, dims int) []float32 { return fakeVector("another model "+text, dims) }
		})
		_, err := ollama.New(t.Context(), fastOptions(a.URL(), b.URL()))
		var bre *ollama.BadResponseError
		if !errors.As(err, &bre) || bre.Host != b.URL() || !strings.Contains(bre.Reason, "same model") {
			t.Errorf("error %v, want a *BadResponseError about different models at %s", err, b.URL())
		}
	})
}

func TestOllamaCancel(t *testing.T) {
	f := newFakeOllama(t, testDims)
	o := mustNewOllama(t, fastOptions(f.URL()))
	arrived := make(chan struct{})
	var once sync.Once
	f.configure(func(f *fakeOllama) {
		f.gate = func(*http.Request) { once.Do(func() { close(arrived) }) }
	})
	f.setFail(always("hang"))

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-arrived
		cancel()
	}()
	// The server never answers: Embed can only return through ctx.
	_, err := o.Embed(ctx, textsN(40), embed.Document)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if !strings.Contains(err.Error(), "0 of 40 texts") {
		t.Errorf("error %q does not say how far it got", err)
	}
}

func TestOllamaEmptyTexts(t *testing.T) {
	f := newFakeOllama(t, testDims)
	o := mustNewOllama(t, fastOptions(f.URL()))
	f.reset()
	for _, tc := range []struct {
		name  string
		texts []string
		index string
	}{
		{"empty", []string{"a", ""}, "text 1"},
		{"white space", []string{" \n\t", "b"}, "text 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := o.Embed(t.Context(), tc.texts, embed.Document)
			if !errors.Is(err, ollama.ErrEmptyText) || !strings.Contains(err.Error(), tc.index) {
				t.Errorf("error %v, want ErrEmptyText naming %s", err, tc.index)
			}
		})
	}
	t.Run("no texts", func(t *testing.T) {
		got, err := o.Embed(t.Context(), nil, embed.Document)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("Embed(nil) = %v, %v; want an empty slice", got, err)
		}
	})
	if n := len(f.seen()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestOllamaConcurrencyBoundAcrossCalls(t *testing.T) {
	for _, concurrency := range []int{1, 2} {
		t.Run(strings.Repeat("I", concurrency), func(t *testing.T) {
			f := newFakeOllama(t, testDims)
			f.configure(func(f *fakeOllama) { f.delay = func() time.Duration { return time.Millisecond } })
			opts := fastOptions(f.URL())
			opts.Concurrency, opts.BatchSize = concurrency, 2
			o := mustNewOllama(t, opts)
			f.reset()
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Go(func() { _, errs[i] = o.Embed(t.Context(), textsN(10), embed.Document) })
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.maxIn > concurrency {
				t.Errorf("%d requests in flight at once, want at most %d", f.maxIn, concurrency)
			}
		})
	}
}

func TestOllamaInfoAndHosts(t *testing.T) {
	f := newFakeOllama(t, testDims, "nomic-embed-text:v1.5")
	u, _ := url.Parse(f.URL())
	opts := fastOptions(f.URL(), u.Host, " "+f.URL()+" ")
	opts.Model = "nomic-embed-text:v1.5"
	o := mustNewOllama(t, opts)
	want := embed.Info{Backend: "ollama", Model: "nomic-embed-text:v1.5", Dimensions: testDims}
	if got := o.Info(); got != want {
		t.Errorf("Info() = %+v, want %+v", got, want)
	}
	if got := o.Hosts(); !slices.Equal(got, []string{f.URL()}) {
		t.Errorf("Hosts() = %q, want the one host once", got)
	}
	var _ embed.Embedder = o
}

func TestOllamaHostFromEnvironment(t *testing.T) {
	f := newFakeOllama(t, testDims)
	u, _ := url.Parse(f.URL())
	for _, tc := range []struct {
		name, env string
	}{
		{"host:port", u.Host},
		{"with scheme", f.URL()},
		{"quoted", `"` + f.URL() + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("OLLAMA_HOST", tc.env)
			o := mustNewOllama(t, fastOptions())
			if got := o.Hosts(); !slices.Equal(got, []string{f.URL()}) {
				t.Errorf("Hosts() = %q, want [%s]", got, f.URL())
			}
			if err := ollama.Probe(t.Context(), ollama.Options{}); err != nil {
				t.Errorf("Probe: %v", err)
			}
		})
	}
}

func TestOllamaOptionsRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts ollama.Options
		want string
	}{
		{"negative batch", ollama.Options{Hosts: []string{"localhost"}, BatchSize: -1}, "BatchSize"},
		{"negative concurrency", ollama.Options{Hosts: []string{"localhost"}, Concurrency: -2}, "Concurrency"},
		{"bad port", ollama.Options{Hosts: []string{"localhost:http"}}, "invalid port"},
		{"bad scheme", ollama.Options{Hosts: []string{"ftp://localhost"}}, "scheme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ollama.New(t.Context(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error about %s", err, tc.want)
			}
			if err := ollama.Probe(t.Context(), tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Probe: %v, want an error about %s", err, tc.want)
			}
		})
	}
}

func TestOllamaUnknownTaskPanics(t *testing.T) {
	f := newFakeOllama(t, testDims)
	o := mustNewOllama(t, fastOptions(f.URL()))
	defer func() {
		if r := recover(); r == nil || !strings.HasPrefix(r.(string), "ollama: ") {
			t.Errorf("recovered %v, want a panic starting with \"ollama: \"", r)
		}
	}()
	o.Embed(t.Context(), []string{"x"}, embed.Task(9))
}

func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		name   string
		listed []string
		model  string
		want   string // "", "not found"
	}{
		{"latest tag", []string{"nomic-embed-text:latest"}, "nomic-embed-text", ""},
		{"asked with tag", []string{"nomic-embed-text:latest"}, "nomic-embed-text:latest", ""},
		{"case", []string{"nomic-embed-text:latest"}, "Nomic-Embed-Text", ""},
		{"registry prefix", []string{"nomic-embed-text:latest"}, "registry.ollama.ai/library/nomic-embed-text", ""},
		{"other tag", []string{"nomic-embed-text:v1.5"}, "nomic-embed-text:v1.5", ""},
		{"namespaced", []string{"hf.co/nomic-ai/nomic-embed-text-v1.5-GGUF:Q8_0"}, "hf.co/nomic-ai/nomic-embed-text-v1.5-GGUF:Q8_0", ""},
		{"only another tag", []string{"nomic-embed-text:v1.5"}, "nomic-embed-text", "not found"},
		{"absent", []string{"all-minilm:latest", "llama3.2:latest"}, "nomic-embed-text", "not found"},
		{"no models", nil, "nomic-embed-text", "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOllama(t, testDims, "x")
			f.configure(func(f *fakeOllama) { f.models = tc.listed })
			err := ollama.Probe(t.Context(), ollama.Options{Hosts: []string{f.URL()}, Model: tc.model})
			var mnf *ollama.ModelNotFoundError
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Probe: %v", err)
			case tc.want == "not found" && (!errors.As(err, &mnf) || mnf.Model != tc.model):
				t.Errorf("Probe: %v, want a *ModelNotFoundError for %s", err, tc.model)
			}
			if n := len(f.seen()); n != 0 {
				t.Errorf("Probe sent %d embed requests, want none", n)
			}
		})
	}
}

func TestProbeUnreachable(t *testing.T) {
	t.Run("closed port", func(t *testing.T) {
		host := closedPortURL(t)
		err := ollama.Probe(t.Context(), ollama.Options{Hosts: []string{host}})
		var ue *ollama.UnreachableError
		if !errors.As(err, &ue) || ue.Host != host {
			t.Errorf("Probe: %v, want an *UnreachableError for %s", err, host)
		}
	})
	t.Run("no answer in time", func(t *testing.T) {
		block := make(chan struct{})
		srv := newHangingServer(t, block)
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		err := ollama.Probe(ctx, ollama.Options{Hosts: []string{srv}})
		close(block)
		var ue *ollama.UnreachableError
		if !errors.As(err, &ue) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Probe: %v, want an *UnreachableError for a deadline", err)
		}
	})
	t.Run("one of two hosts lacks the model", func(t *testing.T) {
		a := newFakeOllama(t, testDims)
		b := newFakeOllama(t, testDims, "all-minilm:latest")
		err := ollama.Probe(t.Context(), ollama.Options{Hosts: []string{a.URL(), b.URL()}})
		var mnf *ollama.ModelNotFoundError
		if !errors.As(err, &mnf) || mnf.Host != b.URL() {
			t.Errorf("Probe: %v, want a *ModelNotFoundError for %s", err, b.URL())
		}
	})
}

func TestOllamaServerWithoutEmbedEndpoint(t *testing.T) {
	// Ollama before 0.3.0 had /api/embeddings but no /api/embed; its router
	// answered an unknown path with a plain-text 404.
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := ollama.New(t.Context(), fastOptions(srv.URL))
	var mnf *ollama.ModelNotFoundError
	if err == nil || errors.As(err, &mnf) || !strings.Contains(err.Error(), "no /api/embed endpoint") {
		t.Errorf("New: %v, want an error about a missing /api/embed endpoint", err)
	}
}

func TestOllamaRandomFailuresEverywhere(t *testing.T) {
	// Three hosts each fail a fifth of their requests in a mix of
	// transient ways, and one in a hundred with unusable vectors. With
	// MaxRetries 10 every batch should still come back right: a batch is
	// lost after 11 transient failures (0.2^11, about 2e-8) or 3 unusable
	// answers (about 0.01^3 = 1e-6).
	transient := []string{"500", "503", "429", "reset", "close-mid-body"}
	bad := []string{"truncated-json", "nan", "zero", "dims"}
	for seed := range uint64(3) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			var urls []string
			for h := range uint64(3) {
				f := newFakeOllama(t, testDims)
				rng := rand.New(rand.NewPCG(seed, h))
				f.setFail(func(int) string { // called under f.mu
					switch x := rng.IntN(100); {
					case x < 20:
						return transient[x%len(transient)]
					case x < 21:
						return bad[rng.IntN(len(bad))]
					}
					return ""
				})
				urls = append(urls, f.URL())
			}
			opts := fastOptions(urls...)
			opts.MaxRetries, opts.BatchSize, opts.Concurrency = 10, 3, 2
			opts.Seed = seed
			o, err := ollama.New(t.Context(), opts)
			if err != nil {
				t.Fatal(err)
			}
			texts := textsN(200)
			got, err := o.Embed(t.Context(), texts, embed.Document)
			if err != nil {
				t.Fatal(err)
			}
			checkVectors(t, got, texts, "search_document: ")
		})
	}
}

func TestOllamaProbeRetries(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fail     func(int) string
		requests int
		wantErr  bool
	}{
		{"503 twice", firstN(2, "503"), 3, false},
		{"reset once", firstN(1, "reset"), 2, false},
		{"zero vectors", always("zero"), 3, true},
		{"400", always("400"), 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOllama(t, testDims)
			f.setFail(tc.fail)
			o, err := ollama.New(t.Context(), fastOptions(f.URL()))
			if (err != nil) != tc.wantErr {
				t.Fatalf("New: %v, want error: %v", err, tc.wantErr)
			}
			if err == nil && o.Info().Dimensions != testDims {
				t.Errorf("Dimensions = %d, want %d", o.Info().Dimensions, testDims)
			}
			if n := len(f.seen()); n != tc.requests {
				t.Errorf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

func TestPrefixesFor(t *testing.T) {
	nomic := ollama.Prefixes{Document: "search_document: ", Query: "search_query: ", Clustering: "clustering: "}
	mxbai := ollama.Prefixes{Query: "Represent this sentence for searching relevant passages: "}
	for _, tc := range []struct {
		model string
		want  ollama.Prefixes
	}{
		{"nomic-embed-text", nomic},
		{"nomic-embed-text:latest", nomic},
		{"nomic-embed-text:v1.5", nomic},
		{"Nomic-Embed-Text", nomic},
		{"hf.co/nomic-ai/nomic-embed-text-v1.5-GGUF:Q8_0", nomic},
		{"mxbai-embed-large", mxbai},
		{"mxbai-embed-large:335m", mxbai},
		{"all-minilm", ollama.Prefixes{}},
		{"bge-m3", ollama.Prefixes{}},
		{"snowflake-arctic-embed", ollama.Prefixes{}},
		{"text-nomic-embed-text", ollama.Prefixes{}},
	} {
		t.Run(tc.model, func(t *testing.T) {
			if got := ollama.PrefixesFor(tc.model); got != tc.want {
				t.Errorf("PrefixesFor(%q) = %+v, want %+v", tc.model, got, tc.want)
			}
		})
	}
}

func TestOllamaRunnerCrashes(t *testing.T) {
	const limit = 200 // inputs longer than this crash the fake runner
	long := "Long abstract. " + strings.Repeat("Über-long words in a run-on abstract ", 40)
	for _, tc := range []struct {
		name   string
		crash  func(string) bool
		long   []int  // indexes of texts replaced by long
		errHas string // "" for success
	}{
		{"one long text", func(s string) bool { return len(s) > limit }, []int{20}, ""},
		{"two long texts in one batch", func(s string) bool { return len(s) > limit }, []int{3, 9}, ""},
		{"first and last", func(s string) bool { return len(s) > limit }, []int{0, 36}, ""},
		{"a text that always crashes", func(s string) bool { return strings.Contains(s, "Long abstract.") }, []int{5},
			"batch 1 of 3 (texts 5-5): the model runner at"},
		{"a runner that always crashes", func(string) bool { return true }, nil, "gave up"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOllama(t, testDims)
			opts := fastOptions(f.URL())
			var mu sync.Mutex
			var warnings []string
			opts.Warn = func(msg string) {
				mu.Lock()
				warnings = append(warnings, msg)
				mu.Unlock()
			}
			o := mustNewOllama(t, opts)
			f.reset()
			f.configure(func(f *fakeOllama) { f.crash = tc.crash })
			texts := textsN(37)
			for _, i := range tc.long {
				texts[i] = long
			}
			got, err := o.Embed(t.Context(), texts, embed.Document)
			if tc.errHas != "" {
				var se api.StatusError
				if err == nil || !strings.Contains(err.Error(), tc.errHas) || !errors.As(err, &se) || se.StatusCode != 500 {
					t.Fatalf("error %v, want a 500 api.StatusError saying %q", err, tc.errHas)
				}
				t.Logf("%d requests, error: %v", len(f.seen()), err)
				// Bounded: at most maxCrashesInARow (24) crashes, then
				// MaxRetries+1 (6) failures.
				if n := len(f.seen()); n > 30 {
					t.Errorf("%d requests before giving up, want at most 30", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Every text but the long ones as sent; each long one as the
			// longest cut of it that went through.
			sent := map[string]bool{}
			for _, r := range f.seen() {
				for _, in := range r.Input {
					if len(in) <= limit {
						sent[in] = true
					}
				}
			}
			for i, text := range texts {
				want := "search_document: " + text
				if slices.Contains(tc.long, i) {
					want = ""
					for in := range sent {
						if strings.HasPrefix("search_document: "+text, in) && len(in) > len(want) {
							want = in
						}
					}
					if len(want) < limit/2 {
						t.Errorf("text %d cut to %d bytes (%q), want more than %d", i, len(want), want, limit/2)
					}
				}
				checkVectors(t, got[i:i+1], []string{strings.TrimPrefix(want, "search_document: ")}, "search_document: ")
			}
			mu.Lock()
			defer mu.Unlock()
			t.Logf("%d requests, warnings: %q", len(f.seen()), warnings)
			// One warning per call, naming every long text.
			if len(warnings) != 1 {
				t.Fatalf("warnings %q, want one", warnings)
			}
			for _, i := range tc.long {
				if !strings.Contains(warnings[0], fmt.Sprintf("%d (embedded: its first", i)) {
					t.Errorf("no word about text %d in %q", i, warnings[0])
				}
			}
		})
	}
}

func TestOllamaContextGuard(t *testing.T) {
	// A server that tells its context (40 positions) but not its
	// vocabulary: texts are cut by the estimate of one token per three
	// characters of a word before they are sent, so none crashes the
	// runner, and the cut is reported once per call.
	f := newFakeOllama(t, testDims)
	f.configure(func(f *fakeOllama) {
		f.context = 40
		f.crash = func(in string) bool { return len(strings.Fields(in)) > 38 }
	})
	var w []string
	var mu sync.Mutex
	opts := fastOptions(f.URL())
	opts.Warn = func(msg string) { mu.Lock(); w = append(w, msg); mu.Unlock() }
	o := mustNewOllama(t, opts)
	f.reset()
	long := strings.Repeat("graph ", 100) // 100 words of 5 characters: 2 tokens each by the estimate
	texts := append(textsN(20), long, long+"nets")
	got, err := o.Embed(t.Context(), texts, embed.Document)
	if err != nil {
		t.Fatal(err)
	}
	// By the estimate, "search_document: " is "search" (2 tokens), "_"
	// (1), "document" (3) and ":" (1): 7 of the 38 a text may have; the
	// 31 left take 15 words of "graph" (2 tokens each).
	want := strings.TrimSpace(strings.Repeat("graph ", 15))
	checkVectors(t, got[20:], []string{want, want}, "search_document: ")
	checkVectors(t, got[:20], texts[:20], "search_document: ")
	if n := len(f.seen()); n != 2 {
		t.Errorf("%d requests for 22 texts in batches of 16, want 2 (no crash, no retry)", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(w) != 1 || !strings.Contains(w[0], "cut 2 of 22 texts (texts 20 and 21)") || !strings.Contains(w[0], "reads 40 tokens") {
		t.Errorf("warnings %q, want one about texts 20 and 21", w)
	}
}

func TestOllamaRefusedAsTooLong(t *testing.T) {
	// Ollama after 0.13.4 answers 400 "the input length exceeds the context
	// length" whatever truncate says: the text is cut in half until it is
	// accepted (at once, without first trying it again as it is), and the
	// call succeeds.
	const limit = 150
	f := newFakeOllama(t, testDims)
	var w []string
	var mu sync.Mutex
	opts := fastOptions(f.URL())
	opts.Warn = func(msg string) { mu.Lock(); w = append(w, msg); mu.Unlock() }
	o := mustNewOllama(t, opts)
	f.reset()
	f.configure(func(f *fakeOllama) { f.refuse = func(in string) bool { return len(in) > limit } })
	long := strings.Repeat("graph ", 100)
	texts := append(textsN(3), long)
	if _, err := o.Embed(t.Context(), texts, embed.Document); err != nil {
		t.Fatal(err)
	}
	var lens []int
	for _, r := range f.seen() {
		if len(r.Input) == 1 && strings.HasPrefix(r.Input[0], "search_document: graph") {
			lens = append(lens, len(r.Input[0]))
		}
	}
	// Halved each time: never the same length twice.
	for i := 1; i < len(lens); i++ {
		if lens[i] >= lens[i-1] {
			t.Errorf("the long text was sent with lengths %v, want each shorter than the last", lens)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(w) != 1 || !strings.Contains(w[0], "text 3 (embedded: its first") {
		t.Errorf("warnings %q, want one about text 3", w)
	}
}

func TestOllamaKeepsWhatWasEmbeddedBeforeGivingUp(t *testing.T) {
	// One host, one request at a time: the first batches of 16 are
	// embedded, then the server fails for good. Embed returns the error
	// with one entry per text: the vectors of the batches embedded (as many
	// as the error says), nil after.
	f := newFakeOllama(t, testDims)
	opts := fastOptions(f.URL())
	opts.MaxRetries = 2
	opts.Concurrency = 1
	o := mustNewOllama(t, opts)
	f.reset()
	f.setFail(func(n int) string {
		if n < 3 {
			return ""
		}
		return "500"
	})
	texts := textsN(80)
	vecs, err := o.Embed(t.Context(), texts, embed.Document)
	if err == nil {
		t.Fatal("no error")
	}
	var done int
	if _, serr := fmt.Sscanf(err.Error(), "ollama: stopped with %d of 80 texts embedded", &done); serr != nil {
		t.Fatalf("error %q does not say how many texts were embedded", err)
	}
	if done < 16 || done%16 != 0 || done >= 80 {
		t.Fatalf("error %q: want some whole batches of 16 embedded, not all", err)
	}
	if len(vecs) != len(texts) {
		t.Fatalf("%d entries with the error, want one per text (%d)", len(vecs), len(texts))
	}
	checkVectors(t, vecs[:done], texts[:done], "search_document: ")
	for i, v := range vecs[done:] {
		if v != nil {
			t.Errorf("text %d was never embedded but has a vector", done+i)
		}
	}
	t.Logf("%s; %d vectors kept", err, done)
}
