package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/vectorstore"
)

// Files of the store directory that belong to the embedder.
const (
	// LexicalModelFile holds the fitted lexical model (lexical.Model.WriteTo).
	LexicalModelFile = "lexical.model"
	// OllamaHostsFile holds the Ollama hosts a store was last embedded
	// with, as JSON: {"hosts": ["http://gpu1:11434", ...]}.
	OllamaHostsFile = "ollama-hosts.json"
	// LexicalSampleFile says that the lexical model was fitted on a
	// sample of a larger first ingest (StartSample), as JSON:
	// {"sample": 50000, "papers": 1000000}.
	LexicalSampleFile = "lexical-sample.json"
)

// DefaultFitSample is how many papers the lexical model of a new store is
// fitted on when its first ingest brings more (see StartSample): the
// papers whose IDs hash lowest, so that the sample does not depend on the
// order of the input. Measured with bench/vmeasure -fit-sample (themes
// against known labels, mean of 3 seeds; bench/RESULTS.md, "Store open and
// streaming ingest"): on 4,000 ACM abstracts of 10 venues, models fitted
// on 1,000 or 2,000 of them score 59.0 and 59.1 against 58.4 for all; on
// the 2,000 arXiv papers, 1,000 score 48.7 against 49.7, 500 47.5 and 250
// 46.3. The loss shrinks as the sample grows; 50,000 is 25 times the
// largest sample measured. What the fit costs at a million papers is in
// the same section.
const DefaultFitSample = 50_000

// Settings says which embedder a store gets and how to reach it. The zero
// value is the documented default of each field.
type Settings struct {
	// Backend is embed.BackendAuto (or "", the same), embed.BackendOllama or
	// embed.BackendLexical. For a store that already has vectors, auto
	// means "whatever made them"; an explicit choice that differs is
	// refused.
	Backend string
	// Ollama configures the Ollama client (model, hosts, batch size,
	// retries). Model "" means ollama.DefaultModel; no Hosts means the
	// environment, then the hosts the store remembers (see the package
	// documentation). Warn, when nil, is set to Notice.
	Ollama ollama.Options
	// Lexical configures the lexical model when it is fitted. For fewer
	// than SmallCorpus texts, MinDF and MaxDF left at zero become 1 (keep
	// every term).
	Lexical lexical.Options
	// Notice, if not nil, receives one-line notices for people, such as
	// which embedder auto chose and why.
	Notice func(msg string)
}

// Check returns an error for a backend name that is not one of auto,
// ollama and lexical.
func (s Settings) Check() error {
	switch s.Backend {
	case "", embed.BackendAuto, embed.BackendOllama, embed.BackendLexical:
		return nil
	}
	return fmt.Errorf("unknown embedder %q: use %s, %s or %s", s.Backend, embed.BackendAuto, embed.BackendOllama, embed.BackendLexical)
}

func (s Settings) backend() string {
	if s.Backend == "" {
		return embed.BackendAuto
	}
	return s.Backend
}

func (s Settings) model() string {
	if s.Ollama.Model == "" {
		return ollama.DefaultModel
	}
	return s.Ollama.Model
}

// Notify sends a notice for people to s.Notice, when set.
func (s Settings) Notify(format string, args ...any) {
	if s.Notice != nil {
		s.Notice(fmt.Sprintf(format, args...))
	}
}

// ollamaOptions returns the Ollama options with Warn wired to Notice.
func (s Settings) ollamaOptions() ollama.Options {
	o := s.Ollama
	if o.Warn == nil && s.Notice != nil {
		o.Warn = s.Notice
	}
	return o
}

// Store is what the life cycle needs of a store; *vectorstore.Store has it.
type Store interface {
	Dir() string
	ReadFile(name string) ([]byte, error)
	WriteFile(name string, data []byte) error
	SetEmbedder(info embed.Info) error
}

var _ Store = (*vectorstore.Store)(nil)

// SmallCorpus is the number of texts under which the lexical model keeps
// every term: with a handful of papers, "in at least two papers and at most
// half of them" would leave almost nothing to compare.
const SmallCorpus = 20

// Choose decides the backend of a new store: the explicit choice of s, or
// for auto, Ollama when ollama.Probe finds its hosts with the model, the
// lexical model otherwise. The choice made by auto, and why, is sent to
// s.Notice. It returns an error only when ctx ends.
func Choose(ctx context.Context, s Settings) (string, error) {
	if err := s.Check(); err != nil {
		return "", err
	}
	if b := s.backend(); b != embed.BackendAuto {
		return b, nil
	}
	err := ollama.Probe(ctx, s.ollamaOptions())
	if err == nil {
		s.Notify("embedder: ollama (%s at %s)", s.model(), hostList(s.Ollama.Hosts))
		return embed.BackendOllama, nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	s.Notify("embedder: lexical (offline; %s)", whyNotOllama(err, s.model()))
	return embed.BackendLexical, nil
}

// Start chooses the embedder of a new store (see Choose), makes it, and
// records it in st: the lexical model file or the Ollama hosts first, then
// the manifest. For the lexical backend the model is fitted on texts and
// their vectors are returned (nil for a text with no term in the model),
// after stage, when not nil, is told that the fit begins;
// for Ollama the vectors are nil and texts are not embedded.
func Start(ctx context.Context, st Store, texts []string, s Settings, stage func(string)) (embed.Embedder, [][]float32, error) {
	return start(ctx, st, texts, s, stage, fmt.Sprintf("fitting the lexical model on %s papers", format.Int(len(texts))))
}

// StartSample is Start for a first ingest of more papers than it is given
// texts of: the lexical model is fitted on sample, texts of some of the
// papers out of from, and the store records that (LexicalSampleFile) so
// that the model is not refitted as though it had seen only the sample.
// No vectors are returned: every paper, those of the sample too, is
// embedded by the returned embedder.
func StartSample(ctx context.Context, st Store, sample []string, from int, s Settings, stage func(string)) (embed.Embedder, error) {
	emb, _, err := start(ctx, st, sample, s, stage, fmt.Sprintf("fitting the lexical model on a sample of %s of %s papers", format.Int(len(sample)), format.Int(from)))
	if err != nil {
		return nil, err
	}
	if emb.Info().Backend == embed.BackendLexical {
		data, err := json.Marshal(sampleFile{Sample: len(sample), Papers: from})
		if err != nil {
			return nil, fmt.Errorf("record the lexical sample: %w", err)
		}
		if err := st.WriteFile(LexicalSampleFile, append(data, '\n')); err != nil {
			return nil, fmt.Errorf("record the lexical sample: %w", err)
		}
	}
	return emb, nil
}

// sampleFile is the content of LexicalSampleFile.
type sampleFile struct {
	Sample int `json:"sample"` // papers the model was fitted on
	Papers int `json:"papers"` // papers of the ingest they were drawn from
}

// SampledFrom returns how many papers the sample the store's lexical model
// was fitted on was drawn from, or 0 when it was fitted on all the papers
// it was given (or the file cannot be read: the model's own count then
// stands).
func SampledFrom(st Store) int {
	data, err := st.ReadFile(LexicalSampleFile)
	if err != nil {
		return 0
	}
	var f sampleFile
	if json.Unmarshal(data, &f) != nil || f.Papers < 0 {
		return 0
	}
	return f.Papers
}

func start(ctx context.Context, st Store, texts []string, s Settings, stage func(string), label string) (embed.Embedder, [][]float32, error) {
	b, err := Choose(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	if b == embed.BackendOllama {
		o, err := ollama.New(ctx, s.ollamaOptions())
		if err != nil {
			return nil, nil, err
		}
		if err := writeHosts(st, o.Hosts()); err != nil {
			return nil, nil, err
		}
		if err := st.SetEmbedder(o.Info()); err != nil {
			return nil, nil, err
		}
		return o, nil, nil
	}

	if stage != nil {
		stage(label)
	}
	lex, vecs, err := lexical.Fit(ctx, texts, lexicalOptions(s.Lexical, len(texts)))
	if err != nil && !(lex != nil && errors.Is(err, lexical.ErrNoKnownTerms)) {
		return nil, nil, fmt.Errorf("fit the lexical embedder on %d papers: %w", len(texts), err)
	}
	var buf bytes.Buffer
	if _, err := lex.WriteTo(&buf); err != nil {
		return nil, nil, fmt.Errorf("save the lexical model: %w", err)
	}
	// The model is saved before the manifest names it, so a store whose
	// manifest says lexical always has its model.
	if err := st.WriteFile(LexicalModelFile, buf.Bytes()); err != nil {
		return nil, nil, fmt.Errorf("save the lexical model: %w", err)
	}
	if err := st.SetEmbedder(lex.Info()); err != nil {
		return nil, nil, err
	}
	// Texts none of whose words made the vocabulary are placed by their
	// hashed n-grams (lexical.Fallback); only those without a word stay nil.
	fb := lexical.Fallback{Model: lex}
	_ = fb.Fill(texts, vecs)
	return fb, vecs, nil
}

// Abandon undoes Start on a store that has stored no record (the first
// ingest failed before any paper was kept): the store forgets the embedder
// and the files Start wrote (the lexical model, the Ollama hosts) are
// removed, so that the next ingest starts afresh instead of reusing a model
// fitted on papers the store does not hold. The embedder is forgotten
// before the files go, so a store never names a lexical model it lacks.
func Abandon(st AbandonStore) error {
	if err := st.ForgetEmbedder(); err != nil {
		return err
	}
	for _, name := range []string{LexicalModelFile, OllamaHostsFile, LexicalSampleFile} {
		if err := st.RemoveFile(name); err != nil {
			return fmt.Errorf("undo the embedder of %s: %w", st.Dir(), err)
		}
	}
	return nil
}

// AbandonStore is what Abandon needs of a store; *vectorstore.Store has it.
type AbandonStore interface {
	Dir() string
	ForgetEmbedder() error
	RemoveFile(name string) error
}

var _ AbandonStore = (*vectorstore.Store)(nil)

// lexicalOptions fills the document-frequency limits for tiny corpora when
// the caller left them at their defaults.
func lexicalOptions(o lexical.Options, n int) lexical.Options {
	if n < SmallCorpus {
		if o.MinDF == 0 {
			o.MinDF = 1
		}
		if o.MaxDF == 0 {
			o.MaxDF = 1
		}
	}
	return o
}

// Resume returns the embedder that made a store's vectors, as its manifest
// records it (info). The lexical model is read from the store; Ollama is
// connected to at the first Embed call. readOnly says that st must not be
// written (the Ollama hosts are then not remembered).
func Resume(st Store, info embed.Info, s Settings, readOnly bool) (embed.Embedder, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	if b := s.backend(); b != embed.BackendAuto && b != info.Backend {
		return nil, &vectorstore.MismatchError{
			Dir:  st.Dir(),
			Have: info,
			Want: embed.Info{Backend: b, Model: s.Ollama.Model},
		}
	}
	switch info.Backend {
	case embed.BackendLexical:
		data, release, err := readModel(st)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("store %s was built with the lexical embedder but its model file %s is missing: re-ingest into a new store", st.Dir(), LexicalModelFile)
			}
			return nil, err
		}
		docs, err := lexical.Verify(data)
		if err != nil {
			if release != nil {
				release()
			}
			return nil, lexicalDamaged(st.Dir(), err)
		}
		l := &lazyLexical{dir: st.Dir(), info: info, data: data, docs: docs}
		if release != nil {
			// The model reads its basis in data for as long as it is
			// used: the mapping goes with the embedder, not the store.
			runtime.AddCleanup(l, func(release func()) { release() }, release)
		}
		return l, nil
	case embed.BackendOllama:
		if s.Ollama.Model != "" && s.Ollama.Model != info.Model {
			return nil, &vectorstore.MismatchError{
				Dir:  st.Dir(),
				Have: info,
				Want: embed.Info{Backend: embed.BackendOllama, Model: s.Ollama.Model},
			}
		}
		opts := s.ollamaOptions()
		opts.Model = info.Model
		return &lazyOllama{st: st, readOnly: readOnly, opts: opts, info: info}, nil
	}
	return nil, fmt.Errorf("store %s: unknown embedder backend %q in its manifest", st.Dir(), info.Backend)
}

// readModel returns the lexical model file of st: mapped (release, when
// not nil, unmaps it) for a store of papermap's own, read otherwise.
func readModel(st Store) (data []byte, release func(), err error) {
	if _, local := st.(*vectorstore.Store); local {
		if data, release, err := mapModel(filepath.Join(st.Dir(), LexicalModelFile)); err == nil {
			return data, release, nil
		}
	}
	data, err = st.ReadFile(LexicalModelFile)
	return data, nil, err
}

func lexicalDamaged(dir string, err error) error {
	return fmt.Errorf("store %s: lexical model %s is damaged (%w): re-ingest into a new store", dir, LexicalModelFile, err)
}

// lazyLexical is a store's lexical model, checked (lexical.Verify) but
// decoded at its first Embed: a command that embeds nothing (info, themes,
// map) does not pay for decoding it (some 40 MB for a vocabulary of
// 40,000 terms).
type lazyLexical struct {
	dir  string
	info embed.Info // the manifest's
	docs int        // papers the model was fitted on

	once sync.Once
	data []byte // the model file, until it is decoded
	fb   lexical.Fallback
	err  error
}

func (l *lazyLexical) Info() embed.Info { return l.info }

// FittedOn returns how many papers the model was fitted on.
func (l *lazyLexical) FittedOn() int { return l.docs }

func (l *lazyLexical) Embed(ctx context.Context, texts []string, task embed.Task) ([][]float32, error) {
	l.once.Do(func() {
		// The model keeps the file's bytes and reads its basis there
		// (DecodeShared): a search embeds one query, a few rows of it.
		lex, err := lexical.DecodeShared(l.data)
		l.data = nil
		switch {
		case err != nil:
			l.err = lexicalDamaged(l.dir, err)
		case lex.Info() != l.info:
			l.err = fmt.Errorf("store %s: lexical model %s makes %+v vectors but the manifest says %+v: re-ingest into a new store", l.dir, LexicalModelFile, lex.Info(), l.info)
		default:
			l.fb = lexical.Fallback{Model: lex}
		}
	})
	if l.err != nil {
		return nil, l.err
	}
	return l.fb.Embed(ctx, texts, task)
}

// lazyOllama connects to Ollama at the first Embed call.
type lazyOllama struct {
	st       Store
	readOnly bool
	opts     ollama.Options
	info     embed.Info

	mu sync.Mutex // guards o
	o  *ollama.Client
}

func (l *lazyOllama) Info() embed.Info { return l.info }

func (l *lazyOllama) Embed(ctx context.Context, texts []string, task embed.Task) ([][]float32, error) {
	o, err := l.client(ctx)
	if err != nil {
		return nil, err
	}
	return o.Embed(ctx, texts, task)
}

func (l *lazyOllama) client(ctx context.Context) (*ollama.Client, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.o != nil {
		return l.o, nil
	}
	opts := l.opts
	var remembered []string
	if len(opts.Hosts) == 0 && os.Getenv(ollama.HostEnv) == "" {
		var err error
		if remembered, err = readHosts(l.st); err != nil {
			return nil, err
		}
		opts.Hosts = remembered
	}
	o, err := ollama.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	if got := o.Info(); got.Dimensions != l.info.Dimensions {
		return nil, fmt.Errorf("ollama model %s now makes %d-dimensional vectors but the store holds %d: was the model replaced? use a new store", got.Model, got.Dimensions, l.info.Dimensions)
	}
	if !l.readOnly && !slices.Equal(o.Hosts(), remembered) {
		if err := writeHosts(l.st, o.Hosts()); err != nil {
			return nil, err
		}
	}
	l.o = o
	return o, nil
}

// hostsFile is the content of OllamaHostsFile.
type hostsFile struct {
	Hosts []string `json:"hosts"`
}

func writeHosts(st Store, hosts []string) error {
	data, err := json.Marshal(hostsFile{Hosts: hosts})
	if err != nil {
		return fmt.Errorf("remember the Ollama hosts: %w", err)
	}
	if err := st.WriteFile(OllamaHostsFile, append(data, '\n')); err != nil {
		return fmt.Errorf("remember the Ollama hosts: %w", err)
	}
	return nil
}

// readHosts returns the hosts a store remembers, or nil when it has none
// (a store made before hosts were remembered).
func readHosts(st Store) ([]string, error) {
	data, err := st.ReadFile(OllamaHostsFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f hostsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("store %s: %s is damaged (%v): give --ollama-host, or delete the file to use %s", st.Dir(), OllamaHostsFile, err, ollama.DefaultHost)
	}
	return f.Hosts, nil
}

// hostList names the hosts for a notice.
func hostList(h []string) string {
	if len(h) == 0 {
		return ollama.HostEnv + " or " + ollama.DefaultHost
	}
	return strings.Join(h, ",")
}

// whyNotOllama says in a few words why auto did not choose Ollama.
func whyNotOllama(err error, model string) string {
	var ue *ollama.UnreachableError
	var me *ollama.ModelNotFoundError
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
