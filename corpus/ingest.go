package corpus

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/vectorstore"
)

// IngestOptions tunes Ingest. The zero value is the documented default.
type IngestOptions struct {
	// ChunkSize is how many papers are embedded and stored per step; each
	// step is durable when it ends, so an interruption loses at most one
	// step of work. Default 256 for Ollama, 4096 for the lexical embedder.
	ChunkSize int
	// Progress, if set, is called after each stored step.
	Progress func(Progress)
	// RefitGrowth refits the lexical model (Corpus.Reindex) at the end of
	// the ingest when the store holds RefitGrowth times the papers the
	// model was fitted on, or more; 0 means DefaultRefitGrowth, a
	// negative value never refits.
	RefitGrowth float64
}

// Progress reports how far an ingest has come.
type Progress struct {
	Done  int // papers looked at so far (stored or found unchanged)
	Total int // papers in this ingest after removing duplicates
	// Stage names a step during which Done cannot move, such as fitting
	// the lexical model on every paper of a new store; it is "" once
	// papers are being embedded and stored.
	Stage string
}

// IngestStats says what an ingest did. Added + Updated + Unchanged +
// len(Skipped) equals the number of papers given to Ingest.
type IngestStats struct {
	Added, Updated, Unchanged int
	// Skipped lists papers that were not stored, each with its position and
	// reason: duplicates within the input, texts the embedder could not use.
	Skipped []*paper.RecordError
	// Embedder is what made the vectors.
	Embedder embed.Info
}

// Stored returns how many of the given papers are now in the store.
func (s IngestStats) Stored() int { return s.Added + s.Updated + s.Unchanged }

// Ingest embeds and stores papers. Papers already stored with the same
// content are left alone (and not re-embedded); papers whose content changed
// are re-embedded and replaced. Duplicate IDs within papers are reported in
// Skipped, as paper.Dedupe does.
//
// On a new store, Ingest first decides the embedder (Options.Embedder); the
// lexical embedder is fitted on the papers of this first ingest. A first
// ingest that stores no paper (it failed, or every paper was skipped)
// leaves the store new: no embedder and no model (see backend.Abandon).
//
// If ctx is cancelled, Ingest returns what it stored so far together with
// the context's error; running the same ingest again finishes the job.
func (c *Corpus) Ingest(ctx context.Context, papers []paper.Paper, opts IngestOptions) (stats IngestStats, err error) {
	if c.opts.ReadOnly {
		return stats, fmt.Errorf("ingest into %s: %w", c.store.Dir(), vectorstore.ErrReadOnly)
	}
	kept, dups := paper.Dedupe(papers)
	stats.Skipped = append(stats.Skipped, dups...)

	source := make(map[string]paper.Position, len(kept))
	todo := make([]vectorstore.Record, 0, len(kept))
	spelling := c.storedSpelling()
	for _, p := range kept {
		// A DOI already stored in another case is the same paper: it keeps
		// the spelling stored first.
		if _, ok := c.store.Lookup(p.ID); !ok {
			if id, ok := spelling[paper.IDKey(p.ID)]; ok {
				p.ID = id
			} else if _, ok := c.store.Lookup(paper.IDKey(p.ID)); ok {
				p.ID = paper.IDKey(p.ID) // stored lower-cased by an older papermap
			}
		}
		source[p.ID] = p.Source
		r := record(p)
		if h, ok := c.store.Lookup(r.ID); ok && h == vectorstore.HashRecord(r.Content, r.Metadata) {
			stats.Unchanged++
			continue
		}
		todo = append(todo, r)
	}
	// Sorted by ID so that what is fitted and stored does not depend on the
	// order of the input.
	sort.Slice(todo, func(i, j int) bool { return todo[i].ID < todo[j].ID })
	total := len(kept)
	reportStage := func(stage string) {
		if opts.Progress != nil {
			opts.Progress(Progress{Done: stats.Stored(), Total: total, Stage: stage})
		}
	}
	report := func() { reportStage("") }
	report()

	// The exact-term index follows the records stored by this ingest,
	// whatever way it ends.
	var stored []vectorstore.Record
	if len(todo) > 0 {
		before := c.fingerprint()
		defer func() {
			if serr := c.updateSparse(context.WithoutCancel(ctx), before, stored); serr != nil && err == nil {
				err = serr
			}
		}()
	}

	var fitted [][]float32
	if c.emb == nil {
		if len(todo) == 0 {
			return stats, nil
		}
		var serr error
		fitted, serr = c.startEmbedder(ctx, todo, reportStage)
		if serr != nil {
			return stats, serr
		}
		// A first ingest that stores nothing leaves the store new: no
		// embedder, no model fitted on papers the store does not hold.
		defer func() {
			if c.store.Len() == 0 {
				if aerr := backend.Abandon(c.store); aerr != nil {
					err = errors.Join(err, aerr)
					return
				}
				c.emb = nil
				stats.Embedder = embed.Info{}
			}
		}()
	} else {
		// Checked whatever this ingest adds, so that rerunning an ingest
		// whose refit was interrupted finishes it.
		defer func() {
			if err == nil {
				err = c.maybeRefit(ctx, opts.RefitGrowth, opts.Progress)
				stats.Embedder = c.emb.Info()
			}
		}()
	}
	stats.Embedder = c.emb.Info()

	chunk := opts.ChunkSize
	if chunk <= 0 {
		chunk = 4096
		if c.emb.Info().Backend == embed.BackendOllama {
			chunk = 256
		}
	}
	for start := 0; start < len(todo); start += chunk {
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		end := min(start+chunk, len(todo))
		batch := todo[start:end]
		var vecs [][]float32
		if fitted != nil {
			vecs = fitted[start:end]
			reportUnplaceable(batch, vecs, source, &stats, unplaceable)
		} else {
			var err error
			vecs, err = c.embedDocuments(ctx, batch, source, &stats)
			if err != nil {
				if len(vecs) == len(batch) {
					// The embedder gave up part-way (a server gone,
					// Ctrl-C): keep what it did embed, so that a rerun
					// embeds only the rest. Written even when ctx has
					// ended; the store's own writes are crash-safe.
					if serr := c.storeEmbedded(context.WithoutCancel(ctx), batch, vecs, &stats, &stored); serr != nil {
						return stats, errors.Join(err, serr)
					}
				}
				return stats, err
			}
		}
		if err := c.storeEmbedded(ctx, batch, vecs, &stats, &stored); err != nil {
			return stats, err
		}
		report()
	}
	if c.store.Len() == 0 {
		return stats, nil // nothing stored: no input file to name
	}
	if err := c.addSources(kept); err != nil {
		return stats, fmt.Errorf("record the input files: %w", err)
	}
	return stats, nil
}

// storeEmbedded adds the records of batch whose vector is not nil (a nil
// one was reported as skipped, or not embedded before a failure).
func (c *Corpus) storeEmbedded(ctx context.Context, batch []vectorstore.Record, vecs [][]float32, stats *IngestStats, stored *[]vectorstore.Record) error {
	keep := batch[:0:0]
	for i := range batch {
		if vecs[i] == nil {
			continue
		}
		batch[i].Embedding = vecs[i]
		keep = append(keep, batch[i])
	}
	if len(keep) == 0 {
		return nil
	}
	as, err := c.store.Add(ctx, keep)
	if as.Added+as.Updated > 0 {
		// Without vectors: the index needs only the texts.
		for _, r := range keep {
			r.Embedding = nil
			*stored = append(*stored, r)
		}
	}
	stats.Added += as.Added
	stats.Updated += as.Updated
	stats.Unchanged += as.Unchanged
	return err
}

// startEmbedder chooses and records the embedder of a new store. For the
// lexical embedder it fits the model on recs and returns their vectors,
// naming that stage to stage first.
func (c *Corpus) startEmbedder(ctx context.Context, recs []vectorstore.Record, stage func(string)) ([][]float32, error) {
	texts := make([]string, len(recs))
	for i, r := range recs {
		texts[i] = embedText(r)
	}
	emb, vecs, err := backend.Start(ctx, c.store, texts, c.opts.Embedder, stage)
	if err != nil {
		return nil, err
	}
	c.emb = emb
	return vecs, nil
}

// embedDocuments embeds a batch of records. A text the embedder cannot use
// (the lexical model knows none of its words) is reported in stats.Skipped
// and gets a nil vector; any other failure is returned, with the vectors
// embedded before it when the embedder gives them (see [embed.Embedder]).
func (c *Corpus) embedDocuments(ctx context.Context, batch []vectorstore.Record, source map[string]paper.Position, stats *IngestStats) ([][]float32, error) {
	texts := make([]string, len(batch))
	for i, r := range batch {
		texts[i] = embedText(r)
	}
	vecs, err := c.emb.Embed(ctx, texts, embed.Document)
	if err == nil {
		return vecs, nil
	}
	if !errors.Is(err, lexical.ErrNoKnownTerms) || len(vecs) != len(batch) {
		return vecs, err // with one entry per text, those embedded before the failure
	}
	// The lexical model returns the other vectors and nil for texts that
	// share no word with its vocabulary.
	reportUnplaceable(batch, vecs, source, stats, unplaceable)
	return vecs, nil
}

// unplaceable is why a paper gets no vector from the lexical embedder: its
// title and abstract have no word at all (only numbers and punctuation).
const unplaceable = "its title and abstract have no word to place it by; it cannot be placed"

// reportUnplaceable reports in stats.Skipped, with reason, every record of
// batch whose vector is nil.
func reportUnplaceable(batch []vectorstore.Record, vecs [][]float32, source map[string]paper.Position, stats *IngestStats, reason string) {
	for i, v := range vecs {
		if v == nil {
			stats.Skipped = append(stats.Skipped, &paper.RecordError{Pos: source[batch[i].ID], ID: batch[i].ID, Reason: reason})
		}
	}
}
