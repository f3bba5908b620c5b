package ollama_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/paper"
)

// Faults the proxy injects into /api/embed answers.
const (
	faultNone     = ""
	faultReset    = "reset"    // the connection is reset before any answer
	faultStatus   = "500"      // 500 Internal Server Error, {"error": ...}
	faultStall    = "stall"    // no answer for 10 s (the client gives up first)
	faultRestart  = "restart"  // a reset, then connections refused for 300 ms
	faultTruncate = "truncate" // the real answer cut in half: broken JSON
	faultDims     = "dims"     // the real answer with one component less per vector
	faultNaN      = "nan"      // the real answer with a NaN token in a vector
	faultInf      = "inf"      // the real answer with 1e999 in a vector
)

// faultProxy is a reverse proxy in front of an Ollama server (here the
// fake of ollama_fake_test.go) that breaks the answers to /api/embed as a
// plan says: what a flaky network, a restarting server or a buggy one do.
// Other paths (/api/tags, /api/show) pass through untouched.
type faultProxy struct {
	t      testing.TB
	target string
	addr   string

	mu       sync.Mutex
	srv      *http.Server
	plan     func(n int) string // fault for the n-th /api/embed request, from 1
	n        int
	injected map[string]int
	down     bool // closed and refusing connections
}

func newFaultProxy(t testing.TB, target string) *faultProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{t: t, target: target, addr: l.Addr().String(), injected: map[string]int{}}
	p.serve(l)
	t.Cleanup(func() {
		p.mu.Lock()
		srv := p.srv
		p.mu.Unlock()
		if srv != nil {
			srv.Close()
		}
	})
	return p
}

func (p *faultProxy) serve(l net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(p.handle)}
	p.mu.Lock()
	p.srv, p.down = srv, false
	p.mu.Unlock()
	go srv.Serve(l)
}

// URL is the proxy's base URL.
func (p *faultProxy) URL() string { return "http://" + p.addr }

// setPlan installs a fault plan and restarts the request count.
func (p *faultProxy) setPlan(plan func(n int) string) {
	p.mu.Lock()
	p.plan, p.n = plan, 0
	p.mu.Unlock()
}

// counts returns how many faults of each kind were injected.
func (p *faultProxy) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := make(map[string]int, len(p.injected))
	for k, v := range p.injected {
		m[k] = v
	}
	return m
}

// restart closes the proxy, so that connections are refused, and listens
// on the same address again after d.
func (p *faultProxy) restart(d time.Duration) {
	p.mu.Lock()
	srv := p.srv
	p.down = true
	p.mu.Unlock()
	srv.Close()
	time.Sleep(d)
	l, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Errorf("faultProxy: listen again on %s: %v", p.addr, err)
		return
	}
	p.serve(l)
}

// stop closes the proxy for good: connections are refused.
func (p *faultProxy) stop() {
	p.mu.Lock()
	srv := p.srv
	p.srv, p.down = nil, true
	p.mu.Unlock()
	srv.Close()
}

func (p *faultProxy) handle(w http.ResponseWriter, r *http.Request) {
	fault := faultNone
	if r.URL.Path == "/api/embed" {
		p.mu.Lock()
		p.n++
		if p.plan != nil {
			fault = p.plan(p.n)
		}
		if fault != faultNone {
			p.injected[fault]++
		}
		p.mu.Unlock()
	}
	switch fault {
	case faultReset:
		resetConn(w)
		return
	case faultRestart:
		resetConn(w)
		go p.restart(300 * time.Millisecond)
		return
	case faultStatus:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "proxy: injected server error"})
		return
	case faultStall:
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
			return
		}
	}

	status, header, body, err := p.forward(r)
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": "proxy: " + err.Error()})
		return
	}
	switch fault {
	case faultTruncate:
		body = body[:len(body)/2]
	case faultDims, faultNaN, faultInf:
		body = p.spoil(body, fault)
	}
	for k, v := range header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(status)
	w.Write(body)
}

// forward sends r to the target and returns its answer.
func (p *faultProxy) forward(r *http.Request) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), r.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body, err
}

// spoil rewrites a good /api/embed answer: a component fewer in every
// vector, or the first component of the first vector replaced by a NaN
// token or by 1e999 (beyond float32, and float64).
func (p *faultProxy) spoil(body []byte, fault string) []byte {
	var resp map[string]json.RawMessage
	var vecs [][]float64
	if err := json.Unmarshal(body, &resp); err != nil {
		return body // not an answer with vectors: leave it
	}
	if err := json.Unmarshal(resp["embeddings"], &vecs); err != nil || len(vecs) == 0 {
		return body
	}
	const mark = 123456789.5
	switch fault {
	case faultDims:
		for i := range vecs {
			vecs[i] = vecs[i][:len(vecs[i])-1]
		}
	default:
		vecs[0][0] = mark
	}
	resp["embeddings"], _ = json.Marshal(vecs)
	out, _ := json.Marshal(resp)
	token := map[string]string{faultNaN: "NaN", faultInf: "1e999"}[fault]
	if token != "" {
		out = bytes.Replace(out, []byte("123456789.5"), []byte(token), 1)
	}
	return out
}

// resetConn closes the connection of w with SO_LINGER 0: the client sees
// "connection reset by peer".
func resetConn(w http.ResponseWriter) {
	conn := hijack(w)
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
}

// faultOptions are the options of the fault tests: retries quick enough
// for tests yet long enough to outlast a 300 ms restart (8 waits of at
// least 25, 50, then 100 ms: 675 ms at the least), and a request timeout
// that turns a 10 s stall into a quick failure.
func faultOptions(host string) ollama.Options {
	return ollama.Options{
		Hosts:          []string{host},
		BatchSize:      4,
		MaxRetries:     8,
		RequestTimeout: 200 * time.Millisecond,
		RetryDelay:     50 * time.Millisecond,
		MaxRetryDelay:  200 * time.Millisecond,
		Seed:           1,
	}
}

// faultEvery returns a plan giving mode to every k-th request from the first.
func faultEvery(k int, mode string) func(int) string {
	return func(n int) string {
		if (n-1)%k == 0 {
			return mode
		}
		return ""
	}
}

// faultRotating faults every other request, cycling through modes.
func faultRotating(modes ...string) func(int) string {
	return func(n int) string {
		if n%2 == 0 {
			return ""
		}
		return modes[(n/2)%len(modes)]
	}
}

// TestOllamaThroughFaultyProxy embeds texts through a proxy that breaks the
// answers of a fake Ollama server. Transient faults (resets, 500s, stalls,
// a restart, and an unusable answer now and then) must be retried and give
// exactly the vectors of a fault-free run; persistent ones must end in an
// error that names the host and says what went wrong, with no vectors.
func TestOllamaThroughFaultyProxy(t *testing.T) {
	const dims = 16
	texts := textsN(12) // 3 batches of 4
	f := newFakeOllama(t, dims)
	clean, err := mustNewOllama(t, faultOptions(f.URL())).Embed(t.Context(), texts, embed.Document)
	if err != nil {
		t.Fatal(err)
	}

	transient := []struct {
		name string
		plan func(int) string
	}{
		{"connection resets", firstN(3, faultReset)},
		{"500s", firstN(3, faultStatus)},
		{"10-second stalls", firstN(2, faultStall)},
		{"a restart", firstN(1, faultRestart)},
		{"truncated JSON once per batch", faultEvery(2, faultTruncate)},
		{"a wrong dimension once per batch", faultEvery(2, faultDims)},
		{"NaN once per batch", faultEvery(2, faultNaN)},
		{"1e999 once per batch", faultEvery(2, faultInf)},
		{"everything, every other request", faultRotating(faultReset, faultStatus, faultStall, faultTruncate, faultDims, faultNaN, faultInf, faultRestart)},
	}
	for _, tc := range transient {
		t.Run(tc.name, func(t *testing.T) {
			p := newFaultProxy(t, f.URL())
			o := mustNewOllama(t, faultOptions(p.URL()))
			p.setPlan(tc.plan)
			got, err := o.Embed(t.Context(), texts, embed.Document)
			if err != nil {
				t.Fatalf("Embed: %v (faults injected: %v)", err, p.counts())
			}
			if len(p.counts()) == 0 {
				t.Fatal("no fault was injected")
			}
			if len(got) != len(clean) {
				t.Fatalf("%d vectors, want %d", len(got), len(clean))
			}
			for i := range got {
				// Exactly equal: the same server answer, normalised the
				// same way.
				if !faultEqualBits(got[i], clean[i]) {
					t.Fatalf("vector %d = %v, want the fault-free %v", i, got[i], clean[i])
				}
			}
			t.Logf("faults injected: %v", p.counts())
		})
	}

	persistent := []struct {
		name string
		plan func(int) string
		want []string // in the message
		typ  any      // error type it must be, or nil
	}{
		{"always 500", always(faultStatus), []string{"answered 500 Internal Server Error", "proxy: injected server error"}, nil},
		{"always reset", always(faultReset), []string{"connection reset by peer"}, nil},
		{"always stalls", always(faultStall), []string{"200ms"}, nil},
		{"always truncated JSON", always(faultTruncate), []string{"bad response from Ollama", "malformed JSON"}, new(*ollama.BadResponseError)},
		{"always the wrong dimension", always(faultDims), []string{"bad response from Ollama", "dimensions"}, new(*ollama.BadResponseError)},
		{"always NaN", always(faultNaN), []string{"bad response from Ollama"}, new(*ollama.BadResponseError)},
		{"always 1e999", always(faultInf), []string{"bad response from Ollama"}, new(*ollama.BadResponseError)},
		{"server gone", nil, []string{"cannot reach Ollama at", "is `ollama serve` running?"}, new(*ollama.UnreachableError)},
	}
	for _, tc := range persistent {
		t.Run(tc.name, func(t *testing.T) {
			p := newFaultProxy(t, f.URL())
			opts := faultOptions(p.URL())
			opts.MaxRetries = 3
			o := mustNewOllama(t, opts)
			if tc.plan == nil {
				p.stop()
			} else {
				p.setPlan(tc.plan)
			}
			got, err := o.Embed(t.Context(), texts, embed.Document)
			if err == nil {
				t.Fatalf("no error; %d vectors", len(got))
			}
			// Nothing got through: no entry, or only nil ones.
			for i, v := range got {
				if v != nil {
					t.Errorf("text %d has a vector although no request succeeded", i)
				}
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			for _, want := range append(tc.want, p.URL()) {
				if !strings.Contains(msg, want) {
					t.Errorf("the error lacks %q", want)
				}
			}
			if tc.typ != nil && !errors.As(err, tc.typ) {
				t.Errorf("the error is not a %T", tc.typ)
			}
		})
	}
}

func faultEqualBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestIngestThroughFaultyProxy ingests arXiv papers through the corpus
// layer into a store, with the Ollama server behind the fault proxy: first
// with a transient fault on every other request and then, after some
// chunks are stored, with every answer unusable, so that the ingest fails;
// then again with the faults lifted. The store must end with exactly the
// papers and vectors of a fault-free ingest, and no stored vector may be
// one of the spoiled ones.
func TestIngestThroughFaultyProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for retries with the default delays")
	}
	const dims, n = 32, 96
	ps, _, err := paper.ReadFile(filepath.Join("..", "..", "testdata", "arxiv-2007-04-2000.jsonl"), paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ps = ps[:n]
	f := newFakeOllama(t, dims)
	ctx := t.Context()
	ingest := func(store, host string) (corpus.IngestStats, error) {
		c, err := corpus.Open(ctx, store, corpus.Options{Embedder: backend.Settings{Backend: embed.BackendOllama, Ollama: ollama.Options{Hosts: []string{host}}}})
		if err != nil {
			return corpus.IngestStats{}, err
		}
		defer c.Close()
		return c.Ingest(ctx, ps, corpus.IngestOptions{ChunkSize: 16})
	}

	ref := filepath.Join(t.TempDir(), "ref")
	if _, err := ingest(ref, f.URL()); err != nil {
		t.Fatal(err)
	}

	p := newFaultProxy(t, f.URL())
	store := filepath.Join(t.TempDir(), "store")
	// 96 papers are 6 batches of 16 (the default batch size): the probe
	// and some 3 batches get through the transient faults, then nothing.
	p.setPlan(func(n int) string {
		if n > 8 {
			return faultDims
		}
		return faultRotating(faultReset, faultStatus, faultTruncate, faultNaN, faultInf, faultDims)(n)
	})
	st, err := ingest(store, p.URL())
	if err == nil {
		t.Fatalf("the first ingest did not fail (stats %+v, faults %v)", st, p.counts())
	}
	t.Logf("first ingest: %d stored, then: %v (faults injected: %v)", st.Stored(), err, p.counts())
	if !strings.Contains(err.Error(), p.URL()) || !strings.Contains(err.Error(), "bad response") {
		t.Errorf("the error does not name the host and the bad response: %v", err)
	}
	if st.Stored() == 0 || st.Stored() == n {
		t.Errorf("the first ingest stored %d papers: the test wants it to fail half-way", st.Stored())
	}
	faultCheckStore(t, store, ref, st.Stored(), dims)

	p.setPlan(faultRotating(faultReset, faultStatus, faultNaN))
	st, err = ingest(store, p.URL())
	if err != nil {
		t.Fatalf("rerun: %v", err)
	}
	t.Logf("rerun: %d added, %d unchanged (faults injected in all: %v)", st.Added, st.Unchanged, p.counts())
	faultCheckStore(t, store, ref, n, dims)
}

// faultCheckStore checks that store holds want papers, each with a finite unit
// vector of dims components equal to the one in ref.
func faultCheckStore(t *testing.T, store, ref string, want, dims int) {
	t.Helper()
	ctx := context.Background()
	open := func(dir string) *corpus.Corpus {
		c, err := corpus.Open(ctx, dir, corpus.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	c, r := open(store), open(ref)
	ids := c.Store().IDs()
	if len(ids) != want {
		t.Fatalf("%s holds %d papers, want %d", store, len(ids), want)
	}
	for _, id := range ids {
		got, _ := c.Store().Get(id)
		exp, ok := r.Store().Get(id)
		if !ok {
			t.Fatalf("paper %s is not in the fault-free store", id)
		}
		if len(got.Embedding) != dims {
			t.Fatalf("paper %s: %d dimensions, want %d", id, len(got.Embedding), dims)
		}
		var ss float64
		for _, v := range got.Embedding {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("paper %s: a non-finite component", id)
			}
			ss += float64(v) * float64(v)
		}
		if math.Abs(math.Sqrt(ss)-1) > 1e-6 {
			t.Fatalf("paper %s: norm %v", id, math.Sqrt(ss))
		}
		if !faultEqualBits(got.Embedding, exp.Embedding) {
			t.Fatalf("paper %s: vector %v, the fault-free one %v", id, got.Embedding, exp.Embedding)
		}
	}
}
