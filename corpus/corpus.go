package corpus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime/debug"
	"sync"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/weaviate"
)

// Options says how to open a corpus. The zero value opens (or creates) a
// store for writing and picks the embedder automatically.
type Options struct {
	// ReadOnly opens an existing store without the writer lock: it sees the
	// last consistent state even while another process ingests.
	ReadOnly bool

	// Embedder chooses the embedder of a new store and says how to reach
	// an existing store's (see package embed/backend); the zero value
	// picks automatically. Its Notice, when nil, writes to Notice.
	Embedder backend.Settings

	// Notice receives one-line notices for people, such as which embedder
	// auto chose. Nil discards them.
	Notice io.Writer

	// IndexThreshold is vectorstore.Options.IndexThreshold: the number of
	// papers from which searches use the approximate index (0: the
	// default, vectorstore.DefaultIndexThreshold; negative: never).
	IndexThreshold int
}

// Corpus is an opened store and the embedder of its vectors. Its methods are
// safe for concurrent use by one process; only one process may hold a
// writable Corpus on a store at a time.
type Corpus struct {
	store vectorstore.Backend
	opts  Options

	// emb is nil for a new store until the first ingest decides it.
	emb embed.Embedder

	sparse sparseState

	// fp is the last fingerprint taken and the log stamp it is for.
	fp struct {
		mu           sync.Mutex
		stamp, value string
	}
}

// ErrEmpty is returned by queries on a store that holds no papers.
var ErrEmpty = errors.New("the store holds no papers: run `papermap ingest FILE` first")

// Open opens the store in dir. A writable open creates the store if needed
// and takes its writer lock. The embedder is resolved from the store's
// manifest when it has one; a new store's embedder is chosen at the first
// Ingest.
func Open(ctx context.Context, dir string, opts Options) (*Corpus, error) {
	if err := opts.Embedder.Check(); err != nil {
		return nil, err
	}
	if opts.Embedder.Notice == nil && opts.Notice != nil {
		w := opts.Notice
		opts.Embedder.Notice = func(msg string) { fmt.Fprintln(w, msg) }
	}
	st, err := openStore(ctx, dir, vectorstore.Options{ReadOnly: opts.ReadOnly, Notice: opts.Embedder.Notice, IndexThreshold: opts.IndexThreshold})
	if err != nil {
		return nil, err
	}
	c := &Corpus{store: st, opts: opts}
	m, ok := st.Manifest()
	if _, local := st.(*vectorstore.Store); local && !ok && st.Len() > 0 {
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
		emb, err := backend.Resume(st, m.Embedder, opts.Embedder, opts.ReadOnly)
		if err != nil {
			st.Close()
			return nil, err
		}
		c.emb = emb
	}
	return c, nil
}

// Close releases the store. A writer first leaves the fingerprint of the
// records for readers when the store has none for them (keepFingerprint).
func (c *Corpus) Close() error {
	c.keepFingerprint()
	c.releaseSparse()
	return c.store.Close()
}

// CloseContext releases the store like Close; cancelling ctx stops the
// approximate index's build that a writer's Close may run (minutes at a
// million papers): the papers are saved, and the next write builds the
// index (vectorstore.Store.CloseContext). Stores without such a build
// (Weaviate) just close.
func (c *Corpus) CloseContext(ctx context.Context) error {
	c.keepFingerprint()
	c.releaseSparse()
	if s, ok := c.store.(interface{ CloseContext(context.Context) error }); ok {
		return s.CloseContext(ctx)
	}
	return c.store.Close()
}

// releaseSparse drops a writer's exact-term index before the store
// closes, and gives the memory of the ingest's garbage back to the system
// (one collection: some 0.1 s at a million papers): the store's Close may
// then load, update and save the approximate index, and at a million
// papers the exact-term index an ingest decoded (1.1 GB of heap), or the
// bytes of the one it saved, would add to that peak (a one-paper ingest
// into the 1M store peaked at 4.5 GB, bench/RESULTS.md, "Cold search at
// 1M: the index files read whole"). A reader's index is mapped, not
// decoded: it stays.
func (c *Corpus) releaseSparse() {
	if c.opts.ReadOnly {
		return
	}
	c.sparse.mu.Lock()
	c.sparse.idx = nil
	c.sparse.mu.Unlock()
	debug.FreeOSMemory()
}

// openStore opens the store at dir: a Weaviate collection when dir is a
// weaviate:// address (see package vectorstore/weaviate), papermap's own
// store in a directory otherwise.
func openStore(ctx context.Context, dir string, opts vectorstore.Options) (vectorstore.Backend, error) {
	if weaviate.IsAddress(dir) {
		return weaviate.Open(ctx, dir, weaviate.Options{ReadOnly: opts.ReadOnly})
	}
	return vectorstore.Open(ctx, dir, opts)
}

// Store returns the underlying vector store: a *vectorstore.Store, or a
// *weaviate.Store for a weaviate:// address.
func (c *Corpus) Store() vectorstore.Backend { return c.store }

// Dir returns the store directory, or the Weaviate address.
func (c *Corpus) Dir() string { return c.store.Dir() }

// Len returns the number of stored papers.
func (c *Corpus) Len() int { return c.store.Len() }

// Embedder returns the corpus embedder, or nil for a new, empty store.
func (c *Corpus) Embedder() embed.Embedder { return c.emb }
