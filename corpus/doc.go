// Package corpus ties papermap's parts together: a Corpus is a store
// directory (package vectorstore) opened with the embedder that made its
// vectors (package embed), and it answers the questions a researcher asks of a
// pile of papers: ingest these files, search for this text, which papers are
// like this one, what are the themes, draw the map, write the report.
//
// The command-line tool (cmd/papermap) and the notebooks are thin layers over
// this package; everything they can do, a Go program can do with it:
//
//	c, err := corpus.Open(ctx, "papermap-store", corpus.Options{})
//	if err != nil { ... }
//	defer c.Close()
//	papers, skipped, err := paper.ReadFile("abstracts.jsonl", paper.Options{})
//	stats, err := c.Ingest(ctx, papers, corpus.IngestOptions{})
//	hits, err := c.Search(ctx, "control variates", 10, corpus.SearchOptions{})
//	themes, err := c.ComputeThemes(ctx, corpus.ThemeOptions{K: 0}) // 0 = choose k
//
// # Invariants
//
//   - A store holds vectors of exactly one embedder (backend, model,
//     dimensions); Open refuses an explicit embedder that differs.
//   - The lexical embedder is fitted on the papers of the first ingest
//     (sorted by ID, so the input order does not matter), saved in the store,
//     and used to fold in what is added later, until the store holds
//     IngestOptions.RefitGrowth (default 2) times the papers it was fitted
//     on: Ingest then refits it on every stored paper (Reindex, also called
//     on demand), so the vectors always come from a model fitted on all the
//     papers of some earlier state of the store, in ID order.
//   - Reindex replaces the model and every vector at once: a crash leaves
//     the old model and vectors or the new ones, never a mix. The map
//     layout of the old vectors is dropped; the theme model is kept,
//     marked Reembedded: stale, and refused by Map and Report, until
//     themes are computed again.
//   - Ingest is idempotent: a paper whose ID and content are already stored
//     is neither re-embedded nor rewritten, so an interrupted ingest is
//     resumed by running it again.
//   - Themes are computed from the stored vectors in ID order with a fixed
//     seed: the same papers and seed give the same themes whatever the order
//     of the input files. The theme model is saved in the store; papers added
//     later get the theme of their nearest saved centroid, and the model
//     reports itself stale until themes are computed again.
package corpus
