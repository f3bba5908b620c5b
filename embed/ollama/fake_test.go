package ollama_test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOllama is an httptest server speaking the parts of Ollama's HTTP API
// that the Ollama embedder uses, as Ollama v0.6.5 speaks them:
//
//	POST /api/embed  {"model","input":[...],"truncate","keep_alive"} -> {"model","embeddings":[[...]]}
//	GET  /api/tags   -> {"models":[{"name","model",...}]}
//	POST /api/show   -> {"model_info":{"general.architecture":"bert","bert.context_length":N}}
//	                    when context is set (404 otherwise, as from a server without it)
//
// errors as {"error":"..."} with a status code; a missing model is 404
// `model "x" not found, try pulling it first` (server/sched.go's message).
// Its vectors are fakeVector of each input, so any test can compute what a
// text should give.
type fakeOllama struct {
	srv    *httptest.Server
	dims   int
	models []string // names listed by /api/tags and accepted by /api/embed

	mu       sync.Mutex // guards the fields below
	requests []fakeEmbedRequest
	ok       int // /api/embed requests answered with vectors
	inFlight int
	maxIn    int
	// fail, when set, is asked about every /api/embed request (n counts
	// from 1 since fail was set) and returns a failure mode, or "".
	fail  func(n int) string
	nFail int
	// delay, when set, is waited before answering.
	delay func() time.Duration
	// vector, when set, replaces fakeVector.
	vector func(text string, dims int) []float32
	// gate, when set, is called (without mu) before answering.
	gate func(r *http.Request)
	// crash, when set, says which inputs crash the model runner, as a text
	// longer than the context does in Ollama 0.6.5 (docs/OLLAMA-TESTING.md).
	crash func(input string) bool
	// tooSlow, when set, says which batch sizes the server never answers
	// (it waits for the client to give up), like a CPU server that takes
	// longer than RequestTimeout over a large batch.
	tooSlow func(n int) bool
	// refuse, when set, says which inputs are answered 400 "the input
	// length exceeds the context length", as Ollama versions after 0.13.4
	// answer a text longer than the context whatever truncate says.
	refuse func(input string) bool
	// context, when not 0, is the context length /api/show reports (with
	// no vocabulary, so the embedder estimates token counts).
	context int
}

type fakeEmbedRequest struct {
	Model     string          `json:"model"`
	Input     []string        `json:"input"`
	Truncate  *bool           `json:"truncate"`
	KeepAlive json.RawMessage `json:"keep_alive"`
}

func newFakeOllama(t testing.TB, dims int, models ...string) *fakeOllama {
	t.Helper()
	if len(models) == 0 {
		models = []string{"nomic-embed-text:latest"}
	}
	f := &fakeOllama{dims: dims, models: models}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/embed", f.embed)
	mux.HandleFunc("GET /api/tags", f.tags)
	mux.HandleFunc("POST /api/show", f.show)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the server's base URL.
func (f *fakeOllama) URL() string { return f.srv.URL }

// setFail installs a failure plan for the requests from now on.
func (f *fakeOllama) setFail(fail func(n int) string) {
	f.mu.Lock()
	f.fail, f.nFail = fail, 0
	f.mu.Unlock()
}

// reset forgets the requests seen so far (such as New's probe).
func (f *fakeOllama) reset() {
	f.mu.Lock()
	f.requests, f.ok, f.maxIn = nil, 0, 0
	f.mu.Unlock()
}

func (f *fakeOllama) seen() []fakeEmbedRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeEmbedRequest(nil), f.requests...)
}

func (f *fakeOllama) answered() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ok
}

// configure changes the server's behaviour under its lock.
func (f *fakeOllama) configure(change func(f *fakeOllama)) {
	f.mu.Lock()
	change(f)
	f.mu.Unlock()
}

func (f *fakeOllama) hasModel(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.models {
		if m == name || m == name+":latest" {
			return true
		}
	}
	return false
}

func (f *fakeOllama) tags(w http.ResponseWriter, r *http.Request) {
	type model struct {
		Name   string `json:"name"`
		Model  string `json:"model"`
		Digest string `json:"digest"`
		Size   int64  `json:"size"`
	}
	var resp struct {
		Models []model `json:"models"`
	}
	resp.Models = []model{}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.models {
		resp.Models = append(resp.Models, model{Name: m, Model: m, Digest: "0a109f422b47", Size: 274302450})
	}
	writeJSON(w, http.StatusOK, resp)
}

func (f *fakeOllama) show(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string `json:"model"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	f.mu.Lock()
	ctx := f.context
	f.mu.Unlock()
	if ctx == 0 || !f.hasModel(req.Model) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("model '%s' not found", req.Model)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"model_info": map[string]any{
		"general.architecture": "bert", "bert.context_length": ctx}})
}

func (f *fakeOllama) embed(w http.ResponseWriter, r *http.Request) {
	var req fakeEmbedRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	mode := ""
	if f.fail != nil {
		f.nFail++
		mode = f.fail(f.nFail)
	}
	f.inFlight++
	f.maxIn = max(f.maxIn, f.inFlight)
	delay, vector, gate, crash, tooSlow, refuse := f.delay, f.vector, f.gate, f.crash, f.tooSlow, f.refuse
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inFlight--
		f.mu.Unlock()
	}()

	if gate != nil {
		gate(r)
	}
	if delay != nil {
		time.Sleep(delay())
	}
	if !f.hasModel(req.Model) {
		writeJSON(w, http.StatusNotFound, map[string]string{
			"error": fmt.Sprintf("model %q not found, try pulling it first", req.Model)})
		return
	}
	if tooSlow != nil && tooSlow(len(req.Input)) {
		<-r.Context().Done()
		return
	}
	for _, in := range req.Input {
		if refuse != nil && refuse(in) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the input length exceeds the context length"})
			return
		}
		if crash != nil && crash(in) {
			// The message Ollama 0.6.5 gives, with its runner's port.
			writeJSON(w, http.StatusInternalServerError, map[string]string{
				"error": `do embedding request: Post "http://127.0.0.1:42789/embedding": EOF`})
			return
		}
	}
	if vector == nil {
		vector = fakeVector
	}
	vecs := make([][]float32, len(req.Input))
	for i, text := range req.Input {
		vecs[i] = vector(text, f.dims)
	}
	if failEmbed(w, r, mode, req.Model, vecs) {
		return
	}
	f.mu.Lock()
	f.ok++
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"model": req.Model, "embeddings": vecs,
		"total_duration": 14143917, "load_duration": 1019500, "prompt_eval_count": 8})
}

// failEmbed answers with failure mode, if any, and reports whether it did.
func failEmbed(w http.ResponseWriter, r *http.Request, mode, model string, vecs [][]float32) bool {
	switch mode {
	case "":
		return false
	case "400", "429", "500", "503":
		var code int
		fmt.Sscan(mode, &code)
		writeJSON(w, code, map[string]string{"error": "injected " + mode})
	case "reset":
		// Close with SO_LINGER 0: the client sees "connection reset by peer".
		conn := hijack(w)
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	case "close-mid-body":
		// Promise 1000 bytes, send a few, hang up: the client sees an
		// unexpected EOF while reading the body.
		conn := hijack(w)
		fmt.Fprint(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 1000\r\n\r\n")
		fmt.Fprintf(conn, `{"model":%q,"embeddings":[[0.1,`, model)
		conn.Close()
	case "truncated-json":
		// A complete HTTP answer whose JSON is cut short.
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, `{"model":%q,"embeddings":[[0.1,0.2`, model)
	case "nan":
		// JSON has no NaN; a server that produced one could only send it
		// as a bare token like this.
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		fmt.Fprintf(w, `{"model":%q,"embeddings":[[NaN,0.5]]}`, model)
	case "dims":
		for i := range vecs {
			vecs[i] = vecs[i][:len(vecs[i])-1]
		}
		writeJSON(w, http.StatusOK, map[string]any{"model": model, "embeddings": vecs})
	case "zero":
		for i := range vecs {
			clear(vecs[i])
		}
		writeJSON(w, http.StatusOK, map[string]any{"model": model, "embeddings": vecs})
	case "count":
		writeJSON(w, http.StatusOK, map[string]any{"model": model, "embeddings": vecs[:len(vecs)-1]})
	case "hang":
		<-r.Context().Done()
	default:
		panic("fakeOllama: unknown failure mode " + mode)
	}
	return true
}

func hijack(w http.ResponseWriter) net.Conn {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	return conn
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// fakeVector is a deterministic, non-unit vector for text: components in
// [-2, 2) from an FNV-1a hash of the text and the component index.
func fakeVector(text string, dims int) []float32 {
	v := make([]float32, dims)
	for j := range v {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d\x00%s", j, text)
		v[j] = float32(h.Sum64()%4096)/1024 - 2
	}
	return v
}

// unitFakeVector is fakeVector scaled to unit length in float64: what the
// embedder should return for text.
func unitFakeVector(text string, dims int) []float32 {
	v := fakeVector(text, dims)
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	n := math.Sqrt(ss)
	for j := range v {
		v[j] = float32(float64(v[j]) / n)
	}
	return v
}

// closedPortURL returns the URL of a port that was just listened on and
// closed, so that connecting to it is refused.
func closedPortURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// always returns a failure plan giving mode to every request.
func always(mode string) func(int) string { return func(int) string { return mode } }

// firstN returns a failure plan giving mode to the first n requests.
func firstN(n int, mode string) func(int) string {
	return func(i int) string {
		if i <= n {
			return mode
		}
		return ""
	}
}

func textsN(n int) []string {
	texts := make([]string, n)
	for i := range texts {
		texts[i] = fmt.Sprintf("abstract %d: %s", i, strings.Repeat("graph ", i%7+1))
	}
	return texts
}

// newHangingServer returns the URL of a server that answers nothing until
// block is closed.
func newHangingServer(t testing.TB, block <-chan struct{}) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
