package corpus

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"sort"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/sparse"
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
	// FitSample is, for IngestStream, the number of papers above which
	// the input is not held in memory and the lexical model of a new
	// store is fitted on a sample of that many papers; 0 means
	// backend.DefaultFitSample, a negative value always holds the input
	// and fits on all of it.
	FitSample int
	// Strict makes IngestStream return a *StrictError, before writing
	// anything, when the input has a record that cannot be stored (one the
	// reader skipped, a duplicate ID). Ingest ignores it.
	Strict bool
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
		defer c.afterIngest(ctx, true, opts, &stats, &err)
	} else {
		defer c.afterIngest(ctx, false, opts, &stats, &err)
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

// Stream is an input that can be read more than once, as IngestStream
// does: each call reads it from the start and calls yield, in order, with
// each paper (skip nil) or each record the reader could not use (skip
// set). It returns the first error of yield, or a fatal read error.
type Stream func(ctx context.Context, yield func(p paper.Paper, skip *paper.RecordError) error) error

// StrictError is returned by IngestStream with IngestOptions.Strict when
// the input has records that cannot be stored; nothing was written.
type StrictError struct {
	Skipped []*paper.RecordError
}

func (e *StrictError) Error() string {
	n := 0
	for _, s := range e.Skipped {
		if !s.Warning {
			n++
		}
	}
	return fmt.Sprintf("%d bad record(s) in the input; nothing was written", n)
}

// fitSample returns the sample size of IngestOptions.FitSample; 0 when
// the model is never fitted on a sample.
func (o IngestOptions) fitSample() int {
	switch {
	case o.FitSample < 0:
		return 0
	case o.FitSample == 0:
		return backend.DefaultFitSample
	}
	return o.FitSample
}

// IngestStream ingests the papers of in as Ingest does, with a memory
// bounded by design rather than by the size of the input when it holds
// more than IngestOptions.FitSample papers: in is read twice. The first
// pass validates the input (with Strict, a bad record or a duplicate ID
// makes IngestStream return a *StrictError before anything is written),
// decides which copy of a duplicated ID is kept, and, for a new store,
// keeps the texts of the FitSample papers whose IDs hash lowest; the
// lexical model is fitted on them (backend.StartSample). The second pass
// embeds and stores the papers in steps of ChunkSize. Every paper is
// stored, those of the sample like the others.
//
// An input of at most FitSample papers is read into memory by the second
// pass and given to Ingest: its model is fitted on all of it.
//
// Stats.Skipped lists the records the reader could not use, then the
// duplicates, then the papers that could not be placed.
func (c *Corpus) IngestStream(ctx context.Context, in Stream, opts IngestOptions) (IngestStats, error) {
	if c.opts.ReadOnly {
		return IngestStats{}, fmt.Errorf("ingest into %s: %w", c.store.Dir(), vectorstore.ErrReadOnly)
	}
	sc, err := ScanStream(ctx, in, opts)
	if err != nil {
		return IngestStats{}, err
	}
	if opts.Strict && sc.Bad() > 0 {
		return IngestStats{Skipped: sc.Skipped}, &StrictError{Skipped: sc.Skipped}
	}
	return c.IngestScanned(ctx, in, sc, opts)
}

// Scan is what the first reading of a Stream learns (ScanStream): what
// IngestScanned needs to store it, and what a caller checks before a
// store is touched.
type Scan struct {
	// Skipped lists the records the reader could not use, then the
	// duplicate IDs (as paper.Dedupe reports them).
	Skipped []*paper.RecordError
	// Papers is the number of papers read, Kept the number that will be
	// stored (the first copy of each ID).
	Papers, Kept int

	p1 *firstPass
}

// Bad returns the number of Skipped records that are not mere warnings.
func (sc *Scan) Bad() int {
	n := 0
	for _, e := range sc.Skipped {
		if !e.Warning {
			n++
		}
	}
	return n
}

// ScanStream reads in once, as the first pass of IngestStream: nothing is
// kept of the papers but which copies are kept, a hash of their IDs and,
// when the input has more than IngestOptions.FitSample papers, the texts of
// the sample a new store's lexical model would be fitted on.
func ScanStream(ctx context.Context, in Stream, opts IngestOptions) (*Scan, error) {
	p1, err := scanFirst(ctx, in, opts.fitSample())
	if err != nil {
		return nil, err
	}
	return &Scan{Skipped: p1.skipped, Papers: p1.papers, Kept: p1.kept, p1: p1}, nil
}

// IngestScanned stores the papers of in, which ScanStream scanned into
// sc (see IngestStream). Stats.Skipped starts with sc.Skipped.
func (c *Corpus) IngestScanned(ctx context.Context, in Stream, sc *Scan, opts IngestOptions) (stats IngestStats, err error) {
	if c.opts.ReadOnly {
		return stats, fmt.Errorf("ingest into %s: %w", c.store.Dir(), vectorstore.ErrReadOnly)
	}
	p1 := sc.p1
	stats.Skipped = slices.Clone(sc.Skipped)
	if p1.kept == 0 {
		return stats, nil
	}
	limit := opts.fitSample()
	if limit == 0 || p1.kept <= limit {
		// Small enough to hold: the papers go to Ingest.
		papers := make([]paper.Paper, 0, p1.kept)
		err := p1.secondPass(ctx, in, func(p paper.Paper) error {
			papers = append(papers, p)
			return nil
		})
		if err != nil {
			return stats, err
		}
		st, err := c.Ingest(ctx, papers, opts)
		st.Skipped = append(stats.Skipped, st.Skipped...)
		return st, err
	}
	return c.ingestLarge(ctx, in, p1, opts, stats)
}

// firstPass is what the first reading of a Stream learns.
type firstPass struct {
	papers  int      // papers read (not counting the records the reader skipped)
	kept    int      // papers kept: the first copy of each ID
	keep    []uint64 // bit i: the i-th paper is kept
	idHash  []uint64 // hash of the i-th paper's ID, to check the second pass
	skipped []*paper.RecordError
	sample  sampleHeap // texts to fit the model on, when asked for
}

// sampleSeed seeds the hash that chooses the sample.
const sampleSeed = "papermap/fit-sample/v1\n"

func idHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(sampleSeed))
	h.Write([]byte(paper.IDKey(id)))
	return h.Sum64()
}

// scanFirst reads in once. With limit > 0 it keeps the texts of the
// limit papers whose IDs hash lowest.
func scanFirst(ctx context.Context, in Stream, limit int) (*firstPass, error) {
	type first struct {
		pos  paper.Position
		hash string
	}
	p1 := &firstPass{}
	seen := make(map[string]first)
	err := in(ctx, func(p paper.Paper, skip *paper.RecordError) error {
		if skip != nil {
			p1.skipped = append(p1.skipped, skip)
			return nil
		}
		if p1.papers%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		i := p1.papers
		p1.papers++
		h := idHash(p.ID)
		p1.idHash = append(p1.idHash, h)
		if i%64 == 0 {
			p1.keep = append(p1.keep, 0)
		}
		key := paper.IDKey(p.ID)
		hash := p.ContentHash()
		if f, dup := seen[key]; dup {
			// The reasons of paper.Dedupe.
			reason := fmt.Sprintf("duplicate of %s (identical)", f.pos)
			if hash != f.hash {
				reason = fmt.Sprintf("duplicate id %q with different content (first at %s)", p.ID, f.pos)
			}
			p1.skipped = append(p1.skipped, &paper.RecordError{Pos: p.Source, ID: p.ID, Reason: reason})
			return nil
		}
		seen[key] = first{p.Source, hash}
		p1.keep[i/64] |= 1 << (i % 64)
		p1.kept++
		if limit > 0 && p1.sample.wants(h, limit) {
			p1.sample.offer(h, embedText(record(p)), limit)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p1, nil
}

// secondPass reads in again and calls fn with each kept paper. It fails if
// the input is not what the first pass read.
func (p1 *firstPass) secondPass(ctx context.Context, in Stream, fn func(p paper.Paper) error) error {
	i := 0
	err := in(ctx, func(p paper.Paper, skip *paper.RecordError) error {
		if skip != nil {
			return nil
		}
		if i >= p1.papers || idHash(p.ID) != p1.idHash[i] {
			return fmt.Errorf("%s: the input changed while it was being ingested (read again, it does not hold the same papers): run the ingest again", p.Source)
		}
		kept := p1.keep[i/64]&(1<<(i%64)) != 0
		i++
		if !kept {
			return nil
		}
		return fn(p)
	})
	if err == nil && i != p1.papers {
		err = fmt.Errorf("the input changed while it was being ingested (read again, it holds %d papers instead of %d): run the ingest again", i, p1.papers)
	}
	return err
}

// ingestLarge is the second pass of IngestStream for an input of more than
// FitSample papers: papers are embedded and stored a chunk at a time.
func (c *Corpus) ingestLarge(ctx context.Context, in Stream, p1 *firstPass, opts IngestOptions, start IngestStats) (stats IngestStats, err error) {
	stats = start
	total := p1.kept
	reportStage := func(stage string) {
		if opts.Progress != nil {
			opts.Progress(Progress{Done: stats.Stored(), Total: total, Stage: stage})
		}
	}
	report := func() { reportStage("") }
	report()

	stored := 0
	if c.emb == nil {
		emb, serr := backend.StartSample(ctx, c.store, p1.sample.texts(), total, c.opts.Embedder, reportStage)
		if serr != nil {
			return stats, serr
		}
		c.emb = emb
		defer c.afterIngest(ctx, true, opts, &stats, &err)
	} else {
		defer c.afterIngest(ctx, false, opts, &stats, &err)
	}
	// The exact-term index follows each stored step (the texts of a
	// million papers are not kept until the end) when it matched the
	// store before this ingest; otherwise it is built again from the
	// store at the end. Either way it is saved and then dropped: its
	// postings need not stay in memory while the store closes. Deferred
	// after afterIngest, so that it runs first.
	sp := c.sparseToUpdate()
	defer func() {
		if stored == 0 {
			return
		}
		var serr error
		if sp != nil {
			sp.Fingerprint = c.fingerprint()
			serr = c.saveSparse(sp)
		} else {
			serr = c.rebuildSparse(context.WithoutCancel(ctx))
		}
		c.sparse.mu.Lock()
		c.sparse.idx = nil
		c.sparse.mu.Unlock()
		if serr != nil && err == nil {
			err = serr
		}
	}()
	stats.Embedder = c.emb.Info()
	p1.sample = sampleHeap{} // fitted, or not needed

	chunk := opts.ChunkSize
	if chunk <= 0 {
		chunk = 4096
		if c.emb.Info().Backend == embed.BackendOllama {
			chunk = 256
		}
	}
	spelling := c.storedSpelling()
	files := make(map[string]bool)
	var batch []vectorstore.Record
	source := make(map[string]paper.Position)
	var done []vectorstore.Record // stored by a step, for the exact-term index
	index := func() {
		if sp != nil && len(done) > 0 {
			ids := make([]string, len(done))
			texts := make([]string, len(done))
			for i, r := range done {
				ids[i], texts[i] = r.ID, embedText(r)
			}
			sp.Add(ids, texts)
		}
		done = done[:0]
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		before := stats.Added + stats.Updated
		vecs, err := c.embedDocuments(ctx, batch, source, &stats)
		if err != nil {
			if len(vecs) == len(batch) {
				// Keep what was embedded, as Ingest does.
				if serr := c.storeEmbedded(context.WithoutCancel(ctx), batch, vecs, &stats, &done); serr != nil {
					err = errors.Join(err, serr)
				}
			}
			stored += stats.Added + stats.Updated - before
			index()
			return err
		}
		err = c.storeEmbedded(ctx, batch, vecs, &stats, &done)
		stored += stats.Added + stats.Updated - before
		index()
		batch = batch[:0]
		clear(source)
		report()
		return err
	}
	err = p1.secondPass(ctx, in, func(p paper.Paper) error {
		if _, ok := c.store.Lookup(p.ID); !ok {
			if id, ok := spelling[paper.IDKey(p.ID)]; ok {
				p.ID = id
			} else if _, ok := c.store.Lookup(paper.IDKey(p.ID)); ok {
				p.ID = paper.IDKey(p.ID)
			}
		}
		if p.Source.File != "" {
			files[p.Source.File] = true
		}
		r := record(p)
		if h, ok := c.store.Lookup(r.ID); ok && h == vectorstore.HashRecord(r.Content, r.Metadata) {
			stats.Unchanged++
			return nil
		}
		source[r.ID] = p.Source
		batch = append(batch, r)
		if len(batch) >= chunk {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return stats, err
	}
	if c.store.Len() == 0 {
		return stats, nil
	}
	names := make([]paper.Paper, 0, len(files))
	for _, f := range slices.Sorted(maps.Keys(files)) {
		names = append(names, paper.Paper{Source: paper.Position{File: f}})
	}
	if err := c.addSources(names); err != nil {
		return stats, fmt.Errorf("record the input files: %w", err)
	}
	return stats, nil
}

// sampleHeap keeps the texts of the papers with the lowest ID hashes: a
// max-heap on the hash, of at most limit entries.
type sampleHeap struct {
	h    []uint64
	text []string
}

// wants reports whether offer would keep a paper of hash h.
func (s *sampleHeap) wants(h uint64, limit int) bool {
	return len(s.h) < limit || h < s.h[0]
}

func (s *sampleHeap) offer(h uint64, text string, limit int) {
	if len(s.h) < limit {
		s.h = append(s.h, h)
		s.text = append(s.text, text)
		for i := len(s.h) - 1; i > 0; {
			p := (i - 1) / 2
			if s.h[p] >= s.h[i] {
				break
			}
			s.swap(i, p)
			i = p
		}
		return
	}
	if h >= s.h[0] {
		return
	}
	s.h[0], s.text[0] = h, text
	for i := 0; ; {
		m, l, r := i, 2*i+1, 2*i+2
		if l < len(s.h) && s.h[l] > s.h[m] {
			m = l
		}
		if r < len(s.h) && s.h[r] > s.h[m] {
			m = r
		}
		if m == i {
			return
		}
		s.swap(i, m)
		i = m
	}
}

func (s *sampleHeap) swap(i, j int) {
	s.h[i], s.h[j] = s.h[j], s.h[i]
	s.text[i], s.text[j] = s.text[j], s.text[i]
}

// texts returns the sample's texts ordered by hash, so that the fit does
// not depend on the order they were offered in.
func (s *sampleHeap) texts() []string {
	idx := make([]int, len(s.h))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(s.h[a], s.h[b]) })
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = s.text[i]
	}
	return out
}

// sparseToUpdate returns the exact-term index that an ingest can update
// as it stores papers: a new one for an empty store, the saved one when it
// matches the store. It returns nil when the index must be built again
// from the store (rebuildSparse).
func (c *Corpus) sparseToUpdate() *sparse.Index {
	if c.store.Len() == 0 {
		return sparse.New(sparse.Options{})
	}
	c.sparse.mu.Lock()
	defer c.sparse.mu.Unlock()
	fp := c.fingerprint()
	if idx := c.sparse.idx; idx != nil && idx.Fingerprint == fp {
		return idx
	}
	if idx, ok := c.loadSparse(fp); ok {
		return idx
	}
	return nil
}

// rebuildSparse builds the exact-term index again from the store and
// saves it.
func (c *Corpus) rebuildSparse(ctx context.Context) error {
	if _, ok := c.textStore(); ok {
		return nil // Weaviate indexes the text itself
	}
	c.sparse.mu.Lock()
	c.sparse.idx = nil
	c.sparse.mu.Unlock()
	_, err := c.sparseIndex(ctx)
	return err
}

// afterIngest is deferred by both ingest paths once the embedder is known.
// A first ingest (first) that stored nothing leaves the store new: no
// embedder, no model fitted on papers the store does not hold. Any other
// successful ingest checks whether the store has outgrown its lexical
// model, whatever it added, so that rerunning an ingest whose refit was
// interrupted finishes it.
func (c *Corpus) afterIngest(ctx context.Context, first bool, opts IngestOptions, stats *IngestStats, err *error) {
	if first {
		if c.store.Len() == 0 {
			if aerr := backend.Abandon(c.store); aerr != nil {
				*err = errors.Join(*err, aerr)
				return
			}
			c.emb = nil
			stats.Embedder = embed.Info{}
		}
		return
	}
	if *err == nil {
		*err = c.maybeRefit(ctx, opts.RefitGrowth, opts.Progress)
		stats.Embedder = c.emb.Info()
	}
}
