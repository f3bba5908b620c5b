package testmodel

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
)

// EmbedRequest is what a RecordingProxy keeps of an /api/embed request.
type EmbedRequest struct {
	Model string   `json:"model"`
	Input []string `json:"input"`
}

// GenerateRequest is what a RecordingProxy keeps of an /api/generate
// request.
type GenerateRequest struct {
	Model   string         `json:"model"`
	Prompt  string         `json:"prompt"`
	Stream  *bool          `json:"stream"`
	Options map[string]any `json:"options"`
}

// RecordingProxy forwards every request to an Ollama server and records
// the body of every /api/embed and /api/generate request: what a client
// sent on the wire.
type RecordingProxy struct {
	*httptest.Server
	mu        sync.Mutex
	embeds    []EmbedRequest
	generates []GenerateRequest
}

// NewRecordingProxy starts a proxy to the server at target, closed when
// the test ends. A body that is not an embed request fails the test.
func NewRecordingProxy(tb testing.TB, target string) *RecordingProxy {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	p := &RecordingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/embed" {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			var req EmbedRequest
			if err := json.Unmarshal(body, &req); err != nil {
				tb.Errorf("proxy: /api/embed body is not a request with a list of inputs: %v", err)
			}
			p.mu.Lock()
			p.embeds = append(p.embeds, req)
			p.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if r.URL.Path == "/api/generate" {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			var req GenerateRequest
			if err := json.Unmarshal(body, &req); err != nil {
				tb.Errorf("proxy: /api/generate body is not a request: %v", err)
			}
			p.mu.Lock()
			p.generates = append(p.generates, req)
			p.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rp.ServeHTTP(w, r)
	}))
	tb.Cleanup(p.Close)
	return p
}

// Requests returns the /api/embed requests so far, in order, and forgets
// them.
func (p *RecordingProxy) Requests() []EmbedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.embeds
	p.embeds = nil
	return r
}

// Generates returns the /api/generate requests so far, in order, and
// forgets them.
func (p *RecordingProxy) Generates() []GenerateRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.generates
	p.generates = nil
	return r
}
