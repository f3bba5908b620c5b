package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/vectorstore"
)

// Embedder backends accepted by Options.Embedder.
const (
	BackendAuto    = "auto"
	BackendOllama  = "ollama"
	BackendLexical = "lexical"
)

// lexicalModelFile is the store file holding the fitted lexical model.
const lexicalModelFile = "lexical.model"

// Options says how to open a corpus. The zero value opens (or creates) a
// store for writing and picks the embedder automatically.
type Options struct {
	// ReadOnly opens an existing store without the writer lock: it sees the
	// last consistent state even while another process ingests.
	ReadOnly bool

	// Embedder is "auto" (default), "ollama" or "lexical". For a store that
	// already has vectors, auto means "whatever made them"; an explicit
	// choice that differs is refused.
	Embedder string
	// Model is the Ollama model (default nomic-embed-text). Ignored by the
	// lexical embedder.
	Model string
	// OllamaHosts are Ollama base URLs; nil means OLLAMA_HOST or the local
	// default. Batches are spread over all of them.
	OllamaHosts []string
	// BatchSize is the number of texts per Ollama request (default 16).
	BatchSize int
	// Lexical configures the lexical embedder when it is fitted.
	Lexical embed.LexicalOptions

	// Notice receives one-line notices for people, such as which embedder
	// auto chose. Nil discards them.
	Notice io.Writer
}

// Corpus is an opened store and the embedder of its vectors. Its methods are
// safe for concurrent use by one process; only one process may hold a
// writable Corpus on a store at a time.
type Corpus struct {
	store *vectorstore.Store
	opts  Options

	// emb is nil for a new store until the first ingest decides it.
	emb embed.Embedder
	lex *embed.Lexical

	sparse sparseState
}

// ErrEmpty is returned by queries on a store that holds no papers.
var ErrEmpty = errors.New("the store holds no papers: run `papermap ingest FILE` first")

// Open opens the store in dir. A writable open creates the store if needed
// and takes its writer lock. The embedder is resolved from the store's
// manifest when it has one; a new store's embedder is chosen at the first
// Ingest.
func Open(ctx context.Context, dir string, opts Options) (*Corpus, error) {
	switch opts.Embedder {
	case "":
		opts.Embedder = BackendAuto
	case BackendAuto, BackendOllama, BackendLexical:
	default:
		return nil, fmt.Errorf("unknown embedder %q: use auto, ollama or lexical", opts.Embedder)
	}
	st, err := vectorstore.Open(ctx, dir, vectorstore.Options{ReadOnly: opts.ReadOnly})
	if err != nil {
		return nil, err
	}
	c := &Corpus{store: st, opts: opts}
	m, ok := st.Manifest()
	if !ok && st.Len() > 0 {
		// Records are only ever added after the manifest is written: it
		// was deleted or lost, and with it which embedder made them.
		n := st.Len()
		st.Close()
		return nil, &vectorstore.CorruptError{
			File:   filepath.Join(dir, "manifest.json"),
			Offset: -1,
			Reason: fmt.Sprintf("missing, while the store holds %d papers, so which embedder made their vectors is unknown", n),
			Intact: -1,
		}
	}
	if ok {
		if err := c.resumeEmbedder(ctx, m.Embedder); err != nil {
			st.Close()
			return nil, err
		}
	}
	return c, nil
}

// Close releases the store.
func (c *Corpus) Close() error { return c.store.Close() }

// Store returns the underlying vector store.
func (c *Corpus) Store() *vectorstore.Store { return c.store }

// Dir returns the store directory.
func (c *Corpus) Dir() string { return c.store.Dir() }

// Len returns the number of stored papers.
func (c *Corpus) Len() int { return c.store.Len() }

// Embedder returns the corpus embedder, or nil for a new, empty store.
func (c *Corpus) Embedder() embed.Embedder { return c.emb }

func (c *Corpus) notice(format string, args ...any) {
	if c.opts.Notice != nil {
		fmt.Fprintf(c.opts.Notice, format+"\n", args...)
	}
}

// resumeEmbedder rebuilds the embedder recorded in a store's manifest.
func (c *Corpus) resumeEmbedder(ctx context.Context, info embed.Info) error {
	if c.opts.Embedder != BackendAuto && c.opts.Embedder != info.Backend {
		return &vectorstore.MismatchError{
			Dir:  c.store.Dir(),
			Have: info,
			Want: embed.Info{Backend: c.opts.Embedder, Model: c.opts.Model},
		}
	}
	switch info.Backend {
	case BackendLexical:
		data, err := c.store.ReadFile(lexicalModelFile)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("store %s was built with the lexical embedder but its model file %s is missing: re-ingest into a new store", c.store.Dir(), lexicalModelFile)
			}
			return err
		}
		lex, err := embed.ReadLexical(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("store %s: lexical model %s is damaged (%w): re-ingest into a new store", c.store.Dir(), lexicalModelFile, err)
		}
		c.lex, c.emb = lex, embed.Fallback{Lexical: lex}
		return nil
	case BackendOllama:
		if c.opts.Model != "" && c.opts.Model != info.Model {
			return &vectorstore.MismatchError{
				Dir:  c.store.Dir(),
				Have: info,
				Want: embed.Info{Backend: BackendOllama, Model: c.opts.Model},
			}
		}
		// Connecting is deferred until a text must be embedded, so that
		// info, themes and similar work without a server.
		c.emb = &lazyOllama{opts: c.ollamaOptions(info.Model), info: info}
		return nil
	}
	return fmt.Errorf("store %s: unknown embedder backend %q in its manifest", c.store.Dir(), info.Backend)
}

func (c *Corpus) ollamaOptions(model string) embed.OllamaOptions {
	o := embed.OllamaOptions{
		Hosts:     c.opts.OllamaHosts,
		Model:     model,
		BatchSize: c.opts.BatchSize,
	}
	if c.opts.Notice != nil {
		o.Warn = func(msg string) { c.notice("ollama: %s", msg) }
	}
	return o
}

// chooseBackend decides the embedder of a new store.
func (c *Corpus) chooseBackend(ctx context.Context) (string, error) {
	switch c.opts.Embedder {
	case BackendLexical, BackendOllama:
		return c.opts.Embedder, nil
	}
	o := c.ollamaOptions(c.opts.Model)
	err := embed.Probe(ctx, o)
	if err == nil {
		c.notice("embedder: ollama (%s at %s)", modelName(c.opts.Model), hostList(c.opts.OllamaHosts))
		return BackendOllama, nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	c.notice("embedder: lexical (offline; %s)", whyNotOllama(err, modelName(c.opts.Model)))
	return BackendLexical, nil
}

// lazyOllama connects to Ollama at the first Embed call.
type lazyOllama struct {
	opts embed.OllamaOptions
	info embed.Info

	mu sync.Mutex // guards o
	o  *embed.Ollama
}

func (l *lazyOllama) Info() embed.Info { return l.info }

func (l *lazyOllama) Embed(ctx context.Context, texts []string, task embed.Task) ([][]float32, error) {
	o, err := l.client(ctx)
	if err != nil {
		return nil, err
	}
	return o.Embed(ctx, texts, task)
}

func (l *lazyOllama) client(ctx context.Context) (*embed.Ollama, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.o != nil {
		return l.o, nil
	}
	o, err := embed.NewOllama(ctx, l.opts)
	if err != nil {
		return nil, err
	}
	if got := o.Info(); got.Dimensions != l.info.Dimensions {
		return nil, fmt.Errorf("ollama model %s now makes %d-dimensional vectors but the store holds %d: was the model replaced? use a new store", got.Model, got.Dimensions, l.info.Dimensions)
	}
	l.o = o
	return o, nil
}

func modelName(m string) string {
	if m == "" {
		return "nomic-embed-text"
	}
	return m
}

func hostList(h []string) string {
	if len(h) == 0 {
		return "OLLAMA_HOST or http://127.0.0.1:11434"
	}
	return strings.Join(h, ",")
}

// whyNotOllama says in a few words why auto did not choose Ollama.
func whyNotOllama(err error, model string) string {
	var ue *embed.UnreachableError
	var me *embed.ModelNotFoundError
	switch {
	case errors.As(err, &ue):
		return "no Ollama server at " + ue.Host
	case errors.As(err, &me):
		return fmt.Sprintf("Ollama at %s does not have %s; `ollama pull %s` to use it", me.Host, model, model)
	}
	return "Ollama not used: " + firstLine(err)
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
