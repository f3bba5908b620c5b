package corpus

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/vectorstore"
	"github.com/philippgille/chromem-go"
)

// ExportChromem writes the corpus to w as a chromem-go database export
// (see vectorstore.Store.ExportChromem): one document per paper, whose
// Content is the text that was embedded (title and abstract), Metadata
// the paper's other fields and Embedding its stored vector.
func (c *Corpus) ExportChromem(ctx context.Context, w io.Writer, opts vectorstore.ChromemOptions) error {
	opts.Content = embedText
	st, ok := c.store.(*vectorstore.Store)
	if !ok {
		return fmt.Errorf("export %s: exporting to chromem-go needs a store directory, not a Weaviate collection", c.store.Dir())
	}
	return st.ExportChromem(ctx, w, opts)
}

// IngestChromem stores the documents of a chromem-go collection (read by
// vectorstore.ReadChromem from source, which names it in messages).
//
// The documents' vectors are kept when the collection's metadata names
// the store's embedder (backend, model and dimensions), as papermap's
// exports do; a new store takes an Ollama collection's embedder, unless
// Options asked for another. Otherwise the documents are embedded again
// from their Content, and a notice says so. A document's Content is taken
// as the text that was embedded: the title (metadata "title") at its
// start, as ExportChromem writes it, is not stored twice.
func (c *Corpus) IngestChromem(ctx context.Context, coll *vectorstore.ChromemCollection, source string, opts IngestOptions) (IngestStats, error) {
	var stats IngestStats
	if c.opts.ReadOnly {
		return stats, fmt.Errorf("ingest into %s: %w", c.store.Dir(), vectorstore.ErrReadOnly)
	}
	recs := make([]vectorstore.Record, 0, len(coll.Documents))
	pos := make(map[string]paper.Position, len(coll.Documents))
	for _, d := range coll.Documents {
		p := paper.Position{File: fmt.Sprintf("%s: collection %q, document %q", source, coll.Name, d.ID)}
		r := docRecord(d)
		if r.Content == "" && r.Metadata[keyTitle] == "" {
			stats.Skipped = append(stats.Skipped, &paper.RecordError{Pos: p, ID: d.ID, Reason: "no content and no title"})
			continue
		}
		pos[r.ID] = p
		recs = append(recs, r)
	}

	have, known := coll.Embedder()
	keep := false
	switch {
	case c.emb != nil:
		keep = known && have == c.emb.Info()
	case known && have.Backend == embed.BackendOllama && c.opts.Embedder.Backend != embed.BackendLexical &&
		(c.opts.Embedder.Ollama.Model == "" || c.opts.Embedder.Ollama.Model == have.Model):
		// A new store takes the collection's Ollama embedder; the manifest
		// is written with the first record stored.
		if err := c.store.SetEmbedder(have); err != nil {
			return stats, err
		}
		emb, err := backend.Resume(c.store, have, c.opts.Embedder, false)
		if err != nil {
			return stats, err
		}
		c.emb = emb
		keep = true
	}
	if keep {
		c.opts.Embedder.Notify("%s: keeping the vectors of collection %q (%s %s, %d dims)", source, coll.Name, have.Backend, have.Model, have.Dimensions)
		return c.storeVectors(ctx, recs, pos, stats, opts)
	}

	why := "its metadata does not say which embedder made its vectors (" + vectorstore.ChromemKeyEmbedder + ")"
	switch {
	case known && c.emb != nil:
		why = fmt.Sprintf("its vectors were made by %s %s (%d dims), the store's by %s %s (%d dims)",
			have.Backend, have.Model, have.Dimensions, c.emb.Info().Backend, c.emb.Info().Model, c.emb.Info().Dimensions)
	case known && have.Backend == embed.BackendLexical:
		why = "its vectors were made by a lexical model that the export does not hold"
	case known:
		why = fmt.Sprintf("its vectors were made by %s %s, and this run asks for another embedder", have.Backend, have.Model)
	}
	c.opts.Embedder.Notify("%s: re-embedding the %s documents of collection %q from their content: %s", source, format.Int(len(recs)), coll.Name, why)
	papers := make([]paper.Paper, len(recs))
	for i, r := range recs {
		papers[i] = paperOf(r)
		papers[i].Source = pos[r.ID]
	}
	st, err := c.Ingest(ctx, papers, opts)
	st.Skipped = append(stats.Skipped, st.Skipped...)
	return st, err
}

// storeVectors stores records with the vectors they came with.
func (c *Corpus) storeVectors(ctx context.Context, recs []vectorstore.Record, pos map[string]paper.Position, stats IngestStats, opts IngestOptions) (IngestStats, error) {
	stats.Embedder = c.emb.Info()
	dim := stats.Embedder.Dimensions
	todo := recs[:0:0]
	for _, r := range recs {
		switch {
		case len(r.Embedding) != dim:
			stats.Skipped = append(stats.Skipped, &paper.RecordError{Pos: pos[r.ID], ID: r.ID,
				Reason: fmt.Sprintf("its vector has %d dimensions, the collection's embedder %d", len(r.Embedding), dim)})
		default:
			todo = append(todo, r)
		}
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i].ID < todo[j].ID })
	total := len(todo)
	chunk := opts.ChunkSize
	if chunk <= 0 {
		chunk = 4096
	}
	for start := 0; start < len(todo); start += chunk {
		if opts.Progress != nil {
			opts.Progress(Progress{Done: stats.Stored(), Total: total})
		}
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		as, err := c.store.Add(ctx, todo[start:min(start+chunk, len(todo))])
		stats.Added += as.Added
		stats.Updated += as.Updated
		stats.Unchanged += as.Unchanged
		if err != nil {
			return stats, err
		}
	}
	if opts.Progress != nil {
		opts.Progress(Progress{Done: stats.Stored(), Total: total})
	}
	return stats, nil
}

// docRecord converts a chromem-go document to a stored record. Its Content
// is the embedded text: a leading title, as embedText writes it, is cut.
func docRecord(d chromem.Document) vectorstore.Record {
	meta := make(map[string]string, len(d.Metadata))
	for k, v := range d.Metadata {
		if v != "" {
			meta[k] = v
		}
	}
	content := d.Content
	if title := meta[keyTitle]; title != "" {
		full := paper.Paper{Title: title, Abstract: "x"}.Text()
		prefix := strings.TrimSuffix(full, "x")
		switch {
		case content == title:
			content = ""
		case strings.HasPrefix(content, prefix):
			content = content[len(prefix):]
		}
	}
	if len(meta) == 0 {
		meta = nil
	}
	return vectorstore.Record{ID: d.ID, Content: content, Metadata: meta, Embedding: d.Embedding}
}
