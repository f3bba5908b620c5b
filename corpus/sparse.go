package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"

	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/sparse"
)

// sparseIndexFile is the store file holding the exact-term index. It is
// derived from the record log: the index records a fingerprint of the
// records it was built from, and one that is missing, damaged or stale is
// rebuilt from the log (and saved again by a writer). So a crash between an
// ingest's last write to the log and the index's (atomic) save costs a
// rebuild, never a wrong answer.
const sparseIndexFile = "sparse.index"

// sparseState caches the sparse index of an open corpus.
type sparseState struct {
	mu       sync.Mutex // guards idx and skipFile
	idx      *sparse.Index
	skipFile bool // the saved file is damaged (searchSparse): rebuild
}

// sparseIndex returns the corpus's sparse index, loading it, or rebuilding
// it from the records when the saved one is missing, damaged or stale. A
// writer saves what it rebuilt.
func (c *Corpus) sparseIndex(ctx context.Context) (*sparse.Index, error) {
	c.sparse.mu.Lock()
	defer c.sparse.mu.Unlock()
	if c.sparse.idx != nil {
		// Only Ingest changes the records of an open corpus, and it
		// updates the index it finds here.
		return c.sparse.idx, nil
	}
	fp := c.fingerprint()
	if c.sparse.skipFile {
		// The file was found damaged by a search: rebuilt below.
	} else if idx, ok := c.loadSparse(fp); ok {
		c.sparse.idx = idx
		return idx, nil
	}
	idx, err := c.buildSparse(ctx, fp)
	if err != nil {
		return nil, err
	}
	c.sparse.idx = idx
	if !c.opts.ReadOnly {
		if err := c.saveSparse(idx); err != nil {
			return nil, err
		}
		c.sparse.skipFile = false
	}
	return idx, nil
}

// searchSparse is idx.SearchThen (with opts; also may be nil), done again
// on an index rebuilt from the records when the search finds idx damaged:
// a reader's saved index is checked part by part as searches read it
// (sparse.Read), so damage the load did not see can surface here, and no
// answer is made from it. It returns the index searched.
func (c *Corpus) searchSparse(ctx context.Context, idx *sparse.Index, opts sparse.Options, text string, k int, keep func(string) bool, also func() []string) (*sparse.Index, []sparse.Hit, []float32, error) {
	if also == nil {
		also = func() []string { return nil }
	}
	h, s := idx.SearchThen(text, k, keep, also)
	if !idx.Damaged() {
		return idx, h, s, nil
	}
	c.sparse.mu.Lock()
	if c.sparse.idx == idx {
		c.noticef("search: part of the exact-term index %s is damaged (it fails its checksum); rebuilding it", sparseIndexFile)
		c.sparse.idx, c.sparse.skipFile = nil, true
	}
	c.sparse.mu.Unlock()
	idx, err := c.sparseIndex(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	idx.SetOptions(opts)
	h, s = idx.SearchThen(text, k, keep, also)
	return idx, h, s, nil
}

// loadSparse reads the saved index if it matches fingerprint fp.
func (c *Corpus) loadSparse(fp string) (*sparse.Index, bool) {
	read := c.store.ReadFile
	if m, ok := c.store.(interface{ MapFile(string) ([]byte, error) }); ok && c.opts.ReadOnly {
		// A reader's index is searched where it lies (sparse.Read):
		// mapped, the file (179 MB at a million papers) is not copied
		// first. The mapping lives as long as the store, as
		// c.sparse.idx does. (A writer's ingest decodes the index to
		// change it: it reads the file.)
		read = m.MapFile
	}
	data, err := read(sparseIndexFile)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.noticef("search: cannot read the exact-term index (%v); rebuilding it", err)
		}
		return nil, false
	}
	idx, err := sparse.Read(data, sparse.Options{})
	if err == nil && !c.opts.ReadOnly {
		// A writer changes and saves the index: every part is checked
		// first. (A reader's searches check the parts they read.)
		err = idx.Check()
	}
	if errors.Is(err, sparse.ErrOldFormat) {
		c.noticef("search: the exact-term index was saved by an earlier papermap; rebuilding it (the next ingest or reindex saves it)")
		return nil, false
	}
	if err != nil {
		c.noticef("search: the exact-term index %s is damaged (%v); rebuilding it", sparseIndexFile, err)
		return nil, false
	}
	return idx, idx.Fingerprint == fp
}

// buildSparse indexes every stored record.
func (c *Corpus) buildSparse(ctx context.Context, fp string) (*sparse.Index, error) {
	idx := sparse.New(sparse.Options{})
	ids := c.store.IDs()
	const step = 4096
	for start := 0; start < len(ids); start += step {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		part := ids[start:min(start+step, len(ids))]
		texts := make([]string, 0, len(part))
		got := part[:0:0]
		for _, id := range part {
			if r, ok := c.store.Get(id); ok {
				got = append(got, id)
				texts = append(texts, embedText(r))
			}
		}
		idx.Add(got, texts)
	}
	idx.Fingerprint = fp
	return idx, nil
}

func (c *Corpus) saveSparse(idx *sparse.Index) error {
	var buf bytes.Buffer
	if _, err := idx.WriteTo(&buf); err != nil {
		return fmt.Errorf("save the exact-term index: %w", err)
	}
	if err := c.store.WriteFile(sparseIndexFile, buf.Bytes()); err != nil {
		return fmt.Errorf("save the exact-term index: %w", err)
	}
	return nil
}

// updateSparse brings the saved index up to date after an ingest stored
// recs (with before the fingerprint of the store before it): the index is
// updated in place when it matched the store before the ingest, and
// rebuilt otherwise.
func (c *Corpus) updateSparse(ctx context.Context, before string, recs []vectorstore.Record) error {
	if _, ok := c.textStore(); len(recs) == 0 || ok {
		return nil // Weaviate indexes the text itself
	}
	c.sparse.mu.Lock()
	idx := c.sparse.idx
	if idx == nil || idx.Fingerprint != before {
		var ok bool
		if idx, ok = c.loadSparse(before); !ok {
			idx = nil
		}
	}
	if idx != nil {
		ids := make([]string, len(recs))
		texts := make([]string, len(recs))
		for i, r := range recs {
			ids[i], texts[i] = r.ID, embedText(r)
		}
		// New papers only (the usual ingest): the saved index is
		// copied with them added, not decoded (1.1 GB of heap at a
		// million papers), straight into the file; the next search
		// reads the file.
		fp := c.fingerprint()
		added, err := c.writeAdded(idx, fp, ids, texts)
		if added && err == nil {
			c.sparse.idx = nil
			c.sparse.mu.Unlock()
			return nil
		}
		if err != nil && errors.Is(err, sparse.ErrCorrupt) {
			// Tables out of bounds though their chunks are intact: a
			// file written wrongly, rebuilt from the records.
			c.noticef("search: the exact-term index %s is damaged (%v); rebuilding it", sparseIndexFile, err)
			c.sparse.idx = nil
			c.sparse.mu.Unlock()
			_, err := c.sparseIndex(ctx)
			return err
		}
		if err != nil {
			c.sparse.mu.Unlock()
			return fmt.Errorf("save the exact-term index: %w", err)
		}
		idx.Add(ids, texts)
		idx.Fingerprint = fp
		c.sparse.idx = idx
		c.sparse.mu.Unlock()
		return c.saveSparse(idx)
	}
	c.sparse.idx = nil
	c.sparse.mu.Unlock()
	_, err := c.sparseIndex(ctx)
	return err
}

// writeAdded saves idx with the documents added (sparse.Index.WriteAdded),
// streamed into the file when the store can (a buffer of the file's size
// otherwise). It reports false, having changed nothing, when WriteAdded
// declines them.
func (c *Corpus) writeAdded(idx *sparse.Index, fp string, ids, texts []string) (bool, error) {
	if ws, ok := c.store.(interface {
		WriteFileFrom(string, func(io.Writer) error) error
	}); ok {
		declined := errors.New("declined")
		err := ws.WriteFileFrom(sparseIndexFile, func(w io.Writer) error {
			_, ok, err := idx.WriteAdded(w, fp, ids, texts)
			if err == nil && !ok {
				return declined
			}
			return err
		})
		if errors.Is(err, declined) {
			return false, nil
		}
		return err == nil, err
	}
	var buf bytes.Buffer
	_, ok, err := idx.WriteAdded(&buf, fp, ids, texts)
	if !ok || err != nil {
		return false, err
	}
	return true, c.store.WriteFile(sparseIndexFile, buf.Bytes())
}

// FittedOn returns how many papers the lexical model was fitted on, or 0
// for a store embedded by Ollama or not embedded yet.
func (c *Corpus) FittedOn() int {
	if f, ok := c.emb.(interface{ FittedOn() int }); ok {
		return f.FittedOn()
	}
	return 0
}

func (c *Corpus) noticef(format string, args ...any) {
	if c.opts.Notice != nil {
		fmt.Fprintf(c.opts.Notice, format+"\n", args...)
	}
}
