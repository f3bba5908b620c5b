package backend

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/vectorstore"
)

// memStore is a Store in memory that records the order of its writes.
type memStore struct {
	mu       sync.Mutex
	files    map[string][]byte
	info     *embed.Info
	writes   []string // file names, and "manifest" for SetEmbedder
	readOnly bool
}

func newMemStore() *memStore { return &memStore{files: map[string][]byte{}} }

func (s *memStore) Dir() string { return "/mem/store" }

func (s *memStore) ReadFile(name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.files[name]
	if !ok {
		return nil, fs.ErrNotExist
	}
	return b, nil
}

func (s *memStore) WriteFile(name string, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readOnly {
		return vectorstore.ErrReadOnly
	}
	s.files[name] = slices.Clone(data)
	s.writes = append(s.writes, name)
	return nil
}

func (s *memStore) SetEmbedder(info embed.Info) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.info = &info
	s.writes = append(s.writes, "manifest")
	return nil
}

func (s *memStore) hosts(t *testing.T) []string {
	t.Helper()
	h, err := readHosts(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// fakeServer is an Ollama server with the default model that embeds any
// text as an 8-dimensional vector derived from its hash, and counts the
// embed requests it answers.
type fakeServer struct {
	*httptest.Server
	mu     sync.Mutex
	embeds int
}

func newFakeServer(t *testing.T) *fakeServer {
	f := &fakeServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/tags", func(w http.ResponseWriter, r *http.Request) {
		m := ollama.DefaultModel + ":latest"
		json.NewEncoder(w).Encode(map[string]any{"models": []map[string]any{{"name": m, "model": m}}})
	})
	mux.HandleFunc("/api/show", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(map[string]string{"error": "not here"})
	})
	mux.HandleFunc("/api/embed", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.embeds++
		f.mu.Unlock()
		vecs := make([][]float32, len(req.Input))
		for i, s := range req.Input {
			h := fnv.New64a()
			h.Write([]byte(s))
			x := h.Sum64()
			v := make([]float32, 8)
			for j := range v {
				v[j] = float32(int64(x>>(8*j))&0xff) + 1
			}
			vecs[i] = v
		}
		json.NewEncoder(w).Encode(map[string]any{"model": ollama.DefaultModel, "embeddings": vecs})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.embeds
}

// TestOllamaHostsRemembered is the defect of issue 13 §6: a store built
// with --ollama-host was later searched at the default address unless the
// host was given again.
func TestOllamaHostsRemembered(t *testing.T) {
	t.Setenv(ollama.HostEnv, "")
	ctx := t.Context()
	built, other, env := newFakeServer(t), newFakeServer(t), newFakeServer(t)

	st := newMemStore()
	emb, vecs, err := Start(ctx, st, []string{"a text"}, Settings{
		Backend: embed.BackendOllama,
		Ollama:  ollama.Options{Hosts: []string{built.URL}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if vecs != nil || emb.Info().Backend != embed.BackendOllama || emb.Info().Dimensions != 8 {
		t.Fatalf("Start: %+v with %d vectors, want ollama, 8 dimensions, no vectors", emb.Info(), len(vecs))
	}
	if want := []string{OllamaHostsFile, "manifest"}; !slices.Equal(st.writes, want) {
		t.Errorf("writes %v, want %v (the hosts before the manifest)", st.writes, want)
	}
	if got := st.hosts(t); !slices.Equal(got, []string{built.URL}) {
		t.Fatalf("remembered %v, want [%s]", got, built.URL)
	}
	info := *st.info

	embedOnce := func(t *testing.T, s Settings, readOnly bool) {
		t.Helper()
		e, err := Resume(st, info, s, readOnly)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Embed(ctx, []string{"query"}, embed.Query); err != nil {
			t.Fatal(err)
		}
	}
	check := func(t *testing.T, f *fakeServer, before int) {
		t.Helper()
		// One probe when connecting, then the query.
		if got := f.count(); got != before+2 {
			t.Errorf("%s answered %d embed requests, want %d", f.URL, got, before+2)
		}
	}

	t.Run("no host given: the remembered one", func(t *testing.T) {
		n := built.count()
		embedOnce(t, Settings{}, true)
		check(t, built, n)
	})
	t.Run("read-only with --ollama-host: used, not remembered", func(t *testing.T) {
		n := other.count()
		embedOnce(t, Settings{Ollama: ollama.Options{Hosts: []string{other.URL}}}, true)
		check(t, other, n)
		if got := st.hosts(t); !slices.Equal(got, []string{built.URL}) {
			t.Errorf("remembered %v after a read-only open, want [%s]", got, built.URL)
		}
	})
	t.Run("OLLAMA_HOST overrides the remembered host", func(t *testing.T) {
		t.Setenv(ollama.HostEnv, env.URL)
		n := env.count()
		embedOnce(t, Settings{}, true)
		check(t, env, n)
	})
	t.Run("writable with --ollama-host: remembered", func(t *testing.T) {
		n := other.count()
		embedOnce(t, Settings{Ollama: ollama.Options{Hosts: []string{other.URL}}}, false)
		check(t, other, n)
		if got := st.hosts(t); !slices.Equal(got, []string{other.URL}) {
			t.Errorf("remembered %v, want [%s]", got, other.URL)
		}
		n = other.count()
		embedOnce(t, Settings{}, true)
		check(t, other, n)
	})
	t.Run("damaged hosts file", func(t *testing.T) {
		st.files[OllamaHostsFile] = []byte("{not json")
		e, err := Resume(st, info, Settings{}, true)
		if err != nil {
			t.Fatal(err) // nothing is read before a text must be embedded
		}
		_, err = e.Embed(ctx, []string{"query"}, embed.Query)
		if err == nil || !strings.Contains(err.Error(), OllamaHostsFile) || !strings.Contains(err.Error(), "--ollama-host") {
			t.Errorf("Embed with a damaged %s: %v, want an error naming it and --ollama-host", OllamaHostsFile, err)
		}
	})
	t.Run("store made before hosts were remembered", func(t *testing.T) {
		delete(st.files, OllamaHostsFile)
		t.Setenv(ollama.HostEnv, env.URL) // not to depend on a server at the default address
		n := env.count()
		embedOnce(t, Settings{}, true)
		check(t, env, n)
	})
}

func TestResumeRefusesAnotherEmbedder(t *testing.T) {
	st := newMemStore()
	have := embed.Info{Backend: embed.BackendOllama, Model: "m", Dimensions: 8}
	for _, s := range []Settings{
		{Backend: embed.BackendLexical},
		{Backend: embed.BackendOllama, Ollama: ollama.Options{Model: "other"}},
	} {
		_, err := Resume(st, have, s, true)
		var me *vectorstore.MismatchError
		if !errors.As(err, &me) || me.Have != have {
			t.Errorf("Resume(%+v) on an ollama/m store: %v, want a *vectorstore.MismatchError", s, err)
		}
	}
	if _, err := Resume(st, have, Settings{Backend: "bert"}, true); err == nil || !strings.Contains(err.Error(), `unknown embedder "bert"`) {
		t.Errorf("Resume with backend bert: %v, want unknown embedder", err)
	}
	if _, err := Resume(st, embed.Info{Backend: "word2vec"}, Settings{}, true); err == nil || !strings.Contains(err.Error(), `"word2vec"`) {
		t.Errorf("Resume of a word2vec manifest: %v, want an error naming it", err)
	}
	if _, err := Resume(st, embed.Info{Backend: embed.BackendLexical}, Settings{}, true); err == nil || !strings.Contains(err.Error(), LexicalModelFile+" is missing") {
		t.Errorf("Resume of a lexical store without its model: %v, want %s is missing", err, LexicalModelFile)
	}
}

// TestLexicalStartResume checks that the model is saved before the manifest
// names it, that a small corpus keeps every term (MinDF and MaxDF 1), and
// that the resumed model gives the fitted vectors again.
func TestLexicalStartResume(t *testing.T) {
	texts := []string{
		"graph neural networks for molecules",
		"variance reduction with control variates",
		"galaxy surveys and redshift",
	}
	var notices, stages []string
	st := newMemStore()
	emb, vecs, err := Start(context.Background(), st, texts, Settings{Backend: embed.BackendLexical, Notice: func(m string) { notices = append(notices, m) }},
		func(s string) { stages = append(stages, s) })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fitting the lexical model on 3 papers"}; !slices.Equal(stages, want) {
		t.Errorf("stages %q, want %q", stages, want)
	}
	if want := []string{LexicalModelFile, "manifest"}; !slices.Equal(st.writes, want) {
		t.Errorf("writes %v, want %v", st.writes, want)
	}
	if len(notices) != 0 {
		t.Errorf("notices %q for an explicit choice, want none", notices)
	}
	// Every word is in one text only: with the default MinDF of 2 there
	// would be no vocabulary at all.
	if n := len(emb.(lexical.Fallback).Vocabulary()); n != 11 {
		t.Errorf("vocabulary of %d terms, want the 11 words of the three texts that are not stop words", n)
	}
	back, err := Resume(st, *st.info, Settings{}, true)
	if err != nil {
		t.Fatal(err)
	}
	again, err := back.Embed(context.Background(), texts, embed.Document)
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if !slices.Equal(again[i], vecs[i]) {
			t.Errorf("text %d: resumed model gives %v, fitted %v", i, again[i], vecs[i])
		}
	}
	// Resume checks the model (it is decoded at the first Embed): what
	// it was fitted on is known at once, and a damaged model is refused.
	if f, ok := back.(interface{ FittedOn() int }); !ok || f.FittedOn() != len(texts) {
		t.Errorf("resumed embedder %T does not say it was fitted on %d papers", back, len(texts))
	}
	good := st.files[LexicalModelFile]
	for _, bad := range [][]byte{good[:len(good)-9], append(slices.Clone(good[:100]), append([]byte{good[100] ^ 1}, good[101:]...)...)} {
		st.files[LexicalModelFile] = bad
		if _, err := Resume(st, *st.info, Settings{}, true); err == nil || !strings.Contains(err.Error(), LexicalModelFile+" is damaged") {
			t.Errorf("Resume with a damaged model: %v, want an error saying it is damaged", err)
		}
	}
	st.files[LexicalModelFile] = good
}

// TestChooseAuto checks what auto chooses, and the notice saying why.
func TestChooseAuto(t *testing.T) {
	t.Setenv(ollama.HostEnv, "")
	f := newFakeServer(t)
	var notice string
	s := Settings{Ollama: ollama.Options{Hosts: []string{f.URL}}, Notice: func(m string) { notice = m }}
	if b, err := Choose(t.Context(), s); err != nil || b != embed.BackendOllama {
		t.Errorf("Choose with a server that has the model: %q, %v; want ollama", b, err)
	}
	if want := "embedder: ollama (" + ollama.DefaultModel + " at " + f.URL + ")"; notice != want {
		t.Errorf("notice %q, want %q", notice, want)
	}
	s.Ollama.Model = "papermap-no-such-model"
	if b, err := Choose(t.Context(), s); err != nil || b != embed.BackendLexical {
		t.Errorf("Choose with a server without the model: %q, %v; want lexical", b, err)
	}
	if !strings.Contains(notice, "`ollama pull papermap-no-such-model`") {
		t.Errorf("notice %q does not say how to get the model", notice)
	}
	f.Close()
	if b, err := Choose(t.Context(), s); err != nil || b != embed.BackendLexical {
		t.Errorf("Choose with no server: %q, %v; want lexical", b, err)
	}
	if !strings.Contains(notice, "no Ollama server at "+f.URL) {
		t.Errorf("notice %q does not name the missing server", notice)
	}
}

// TestLexicalResumeMapped resumes the lexical model of a store on disk
// (read in place where files can be mapped): it embeds as the fitted
// model did, still after the store is closed (the mapping belongs to the
// embedder), and a model damaged on disk is refused.
func TestLexicalResumeMapped(t *testing.T) {
	ctx := context.Background()
	texts := []string{"graph neural networks for molecules", "variance reduction with control variates", "galaxy surveys and redshift"}
	dir := t.TempDir()
	st, err := vectorstore.Open(ctx, dir, vectorstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	emb, vecs, err := Start(ctx, st, texts, Settings{Backend: embed.BackendLexical}, nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Resume(st, emb.Info(), Settings{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for round := range 2 { // the second round after a collection
		again, err := back.Embed(ctx, texts, embed.Document)
		if err != nil {
			t.Fatal(err)
		}
		for i := range texts {
			if !slices.Equal(again[i], vecs[i]) {
				t.Errorf("round %d, text %d: resumed model gives %v, fitted %v", round, i, again[i], vecs[i])
			}
		}
		runtime.GC()
	}
	path := filepath.Join(dir, LexicalModelFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, good[:len(good)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := vectorstore.Open(ctx, dir, vectorstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := Resume(r, emb.Info(), Settings{}, true); err == nil || !strings.Contains(err.Error(), LexicalModelFile+" is damaged") {
		t.Errorf("Resume of a model cut in half on disk: %v, want an error saying it is damaged", err)
	}
}
