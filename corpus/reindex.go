package corpus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/vectorstore"
)

// DefaultRefitGrowth is IngestOptions.RefitGrowth's default: the lexical
// model is refitted when the store holds twice the papers it was fitted on.
// A refit costs about what ingesting the whole store costs; refitting at
// each doubling keeps the total cost of all refits under twice that of
// ingesting the final store (1 + 1/2 + 1/4 + ...), while the model has
// always seen at least half of the papers it places.
const DefaultRefitGrowth = 2.0

// ReindexOptions tunes Reindex. The zero value refits the lexical model, or
// re-embeds with the store's Ollama model.
type ReindexOptions struct {
	// Model moves an Ollama store to this model; "" keeps the store's.
	// It must be "" for a lexical store.
	Model string
	// Progress, if set, is called as papers are embedded and stored.
	Progress func(Progress)
}

// ReindexStats says what Reindex did.
type ReindexStats struct {
	Papers        int
	Before, After embed.Info
	// FittedOn is how many papers the new lexical model was fitted on
	// (0 for Ollama).
	FittedOn int
}

// Reindex re-embeds every stored paper with a new embedder: the lexical
// model refitted on all of them, or (Ollama) the store's model or
// opts.Model. The new store is built beside the old one and put in its
// place atomically (vectorstore.Store.Replace): a crash leaves the old
// model and vectors or the new ones, never a mix. The theme model is kept
// but marked stale (ThemeModel.Reembedded: its members and names stand,
// its geometry is in the old space); the map layout, computed from the old
// vectors, is dropped; the exact-term index, which depends on the texts
// only, is kept (or rebuilt if it was not up to date). Reindex must not run
// concurrently with the corpus's other methods.
func (c *Corpus) Reindex(ctx context.Context, opts ReindexOptions) (ReindexStats, error) {
	var stats ReindexStats
	if c.opts.ReadOnly {
		return stats, fmt.Errorf("reindex %s: %w", c.store.Dir(), vectorstore.ErrReadOnly)
	}
	if c.emb == nil || c.store.Len() == 0 {
		return stats, ErrEmpty
	}
	local, ok := c.store.(*vectorstore.Store)
	if !ok {
		return stats, fmt.Errorf("reindex %s: reindexing needs a store directory (it replaces the store atomically); a Weaviate collection is reindexed by ingesting into a new collection", c.store.Dir())
	}
	stats.Before = c.emb.Info()
	settings := c.opts.Embedder
	settings.Backend = stats.Before.Backend
	switch stats.Before.Backend {
	case embed.BackendLexical:
		if opts.Model != "" {
			return stats, fmt.Errorf("store %s uses the lexical embedder: --model names an Ollama model", c.store.Dir())
		}
	case embed.BackendOllama:
		settings.Ollama.Model = stats.Before.Model
		if opts.Model != "" {
			settings.Ollama.Model = opts.Model
		}
	}

	ids := c.store.IDs()
	recs := make([]vectorstore.Record, 0, len(ids))
	texts := make([]string, 0, len(ids))
	for _, id := range ids {
		r, ok := c.store.Get(id)
		if !ok {
			continue
		}
		r.Embedding = nil
		recs = append(recs, r)
		texts = append(texts, embedText(r))
	}
	total := len(recs)
	report := func(done int, stage string) {
		if opts.Progress != nil {
			opts.Progress(Progress{Done: done, Total: total, Stage: stage})
		}
	}
	dir := c.store.Dir()
	build := func(next *vectorstore.Store) error {
		if err := carryThemes(local, next); err != nil {
			return err
		}
		emb, vecs, err := backend.Start(ctx, next, texts, settings, func(s string) { report(0, s) })
		if err != nil {
			return err
		}
		chunk := 4096
		if vecs == nil {
			chunk = 256
		}
		for start := 0; start < total; start += chunk {
			if err := ctx.Err(); err != nil {
				return err
			}
			end := min(start+chunk, total)
			var part [][]float32
			if vecs != nil {
				part = vecs[start:end]
			} else if part, err = emb.Embed(ctx, texts[start:end], embed.Document); err != nil {
				return err
			}
			batch := make([]vectorstore.Record, end-start)
			for i := range batch {
				if part[i] == nil {
					// Stored papers have words; a model that cannot
					// place one must not silently drop it.
					return fmt.Errorf("paper %s cannot be placed by the new model; the store is unchanged", recs[start+i].ID)
				}
				batch[i] = recs[start+i]
				batch[i].Embedding = part[i]
			}
			if _, err := next.Add(ctx, batch); err != nil {
				return err
			}
			report(end, "")
		}
		return nil
	}
	// Files derived from the old vectors are not carried over as they are:
	// the theme model and layout would place papers in the wrong space (and
	// their fingerprints of IDs and contents would still match). build has
	// written the theme model marked Reembedded. The exact-term index
	// depends on the texts alone and is kept.
	keep := func(name string) bool {
		switch name {
		case themeModelFile, layoutFile, backend.LexicalModelFile, backend.OllamaHostsFile, backend.LexicalSampleFile:
			return false
		}
		return true
	}
	rerr := local.Replace(ctx, build, keep)
	// Replace closed the store: reopen whichever store is now in dir.
	st, err := vectorstore.Open(context.WithoutCancel(ctx), dir, vectorstore.Options{})
	if err != nil {
		return stats, errors.Join(rerr, err)
	}
	m, _ := st.Manifest()
	resume := c.opts.Embedder
	resume.Backend, resume.Ollama.Model = "", ""
	emb, err := backend.Resume(st, m.Embedder, resume, false)
	if err != nil {
		st.Close()
		return stats, errors.Join(rerr, err)
	}
	c.store, c.emb = st, emb
	c.sparse.mu.Lock()
	c.sparse.idx = nil
	c.sparse.mu.Unlock()
	if rerr != nil {
		return stats, rerr
	}
	// Load the kept exact-term index, or rebuild and save it now rather
	// than at every read-only search until the next ingest.
	if _, err := c.sparseIndex(ctx); err != nil {
		return stats, err
	}
	stats.Papers = st.Len()
	stats.After = emb.Info()
	stats.FittedOn = c.FittedOn()
	return stats, nil
}

// carryThemes writes the theme model of old into next marked Reembedded,
// if old has one that can be read; a missing or unreadable one is left
// behind (`papermap themes` computes a new one either way).
func carryThemes(old, next *vectorstore.Store) error {
	data, err := old.ReadFile(themeModelFile)
	if err != nil {
		return nil
	}
	var m ThemeModel
	if json.Unmarshal(data, &m) != nil || m.Version != themeModelVersion {
		return nil
	}
	m.Reembedded = true
	if data, err = json.Marshal(&m); err != nil {
		return fmt.Errorf("carry the theme model over: %w", err)
	}
	if err := next.WriteFile(themeModelFile, data); err != nil {
		return fmt.Errorf("carry the theme model over: %w", err)
	}
	return nil
}

// maybeRefit refits the lexical model when the store has grown to growth
// times the papers it was fitted on (growth < 0: never), saying so.
func (c *Corpus) maybeRefit(ctx context.Context, growth float64, progress func(Progress)) error {
	if growth == 0 {
		growth = DefaultRefitGrowth
	}
	// A model fitted on a sample of a large first ingest stands for the
	// papers the sample was drawn from.
	fitted := max(c.FittedOn(), backend.SampledFrom(c.store))
	if growth < 0 || fitted == 0 || float64(c.store.Len()) < growth*float64(fitted) {
		return nil
	}
	if _, local := c.store.(*vectorstore.Store); !local {
		c.noticef("the lexical model was fitted on %s papers and the store now holds %s; it is not refitted on a Weaviate collection (ingest into a new collection to refit)",
			format.Int(fitted), format.Int(c.store.Len()))
		return nil
	}
	c.noticef("refitting the lexical model: it was fitted on %s papers and the store now holds %s",
		format.Int(fitted), format.Int(c.store.Len()))
	st, err := c.Reindex(ctx, ReindexOptions{Progress: progress})
	if err != nil {
		return fmt.Errorf("refit the lexical model: %w", err)
	}
	c.noticef("refitted the lexical model on %s papers (%d dimensions, was %d); the themes are stale until `papermap themes` computes them again",
		format.Int(st.FittedOn), st.After.Dimensions, st.Before.Dimensions)
	return nil
}
