// Package fakegen is an httptest stand-in for the parts of Ollama's HTTP
// API that generate text, as Ollama v0.6.5 speaks them, for the tests of
// embed/ollama's Generator and of naming:
//
//	GET  /api/tags      -> {"models":[{"name","model","digest",...}]}
//	POST /api/generate  {"model","prompt","stream":false,"options":{...}}
//	                    -> {"model","response","done":true}
//
// Errors are {"error":"..."} with a status code; a missing model is 404
// `model "x" not found, try pulling it first`, as the real server says.
// Every /api/generate request is recorded.
package fakegen

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Request is what the server keeps of one /api/generate request.
type Request struct {
	Model   string         `json:"model"`
	Prompt  string         `json:"prompt"`
	Stream  *bool          `json:"stream"`
	Options map[string]any `json:"options"`
}

// Server is a fake Ollama server with one or more generative models.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	models   map[string]string // name -> digest
	requests []Request
	answer   func(req Request) string
	fail     func(n int) int // status code for the n-th request (from 1), or 0
	n        int
}

// New starts a server with the models given as name, digest pairs, closed
// when the test ends. By default it answers every prompt with "Graph
// Theory".
func New(tb testing.TB, modelDigests ...string) *Server {
	tb.Helper()
	if len(modelDigests)%2 != 0 {
		panic("fakegen: models must come as name, digest pairs")
	}
	s := &Server{models: map[string]string{}, answer: func(Request) string { return "Graph Theory" }}
	for i := 0; i < len(modelDigests); i += 2 {
		s.models[modelDigests[i]] = modelDigests[i+1]
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/tags", s.tags)
	mux.HandleFunc("POST /api/generate", s.generate)
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// Answer sets the function that answers each prompt.
func (s *Server) Answer(f func(req Request) string) {
	s.mu.Lock()
	s.answer = f
	s.mu.Unlock()
}

// Fail sets the status code each /api/generate request gets (n counts the
// requests from 1, failed ones included); 0 answers normally.
func (s *Server) Fail(f func(n int) int) {
	s.mu.Lock()
	s.fail = f
	s.mu.Unlock()
}

// SetDigest adds a model or changes its digest, as pulling a new version does.
func (s *Server) SetDigest(model, digest string) {
	s.mu.Lock()
	s.models[model] = digest
	s.mu.Unlock()
}

// Requests returns the /api/generate requests so far, in order, and
// forgets them.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	return r
}

func (s *Server) tags(w http.ResponseWriter, r *http.Request) {
	type model struct {
		Name   string `json:"name"`
		Model  string `json:"model"`
		Digest string `json:"digest"`
		Size   int64  `json:"size"`
	}
	s.mu.Lock()
	var list []model
	for name, d := range s.models {
		list = append(list, model{Name: name + ":latest", Model: name + ":latest", Digest: d, Size: 1})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"models": list})
}

func (s *Server) generate(w http.ResponseWriter, r *http.Request) {
	var req Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	s.mu.Lock()
	s.n++
	s.requests = append(s.requests, req)
	code := 0
	if s.fail != nil {
		code = s.fail(s.n)
	}
	_, known := s.models[req.Model]
	answer := s.answer
	s.mu.Unlock()
	switch {
	case code != 0:
		writeJSON(w, code, map[string]string{"error": fmt.Sprintf("fake failure %d", code)})
	case !known:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("model %q not found, try pulling it first", req.Model)})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"model": req.Model, "response": answer(req), "done": true, "done_reason": "stop"})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
