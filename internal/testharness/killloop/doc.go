// Package killloop checks from outside that `papermap ingest` never loses a
// paper and never keeps a half-written one, however it is stopped: it runs
// a built papermap binary on an input file, kills it with SIGKILL at seeded
// random moments, and checks the store after every kill and at the end.
//
// It is shared by the crash test of cmd/papermap (a few thousand arXiv
// papers, in CI) and by scripts/kill-loop (20,000 ACM abstracts, run by
// hand), so that both check exactly the same things.
//
// # What a run does
//
//	rep, err := killloop.Run(ctx, killloop.Config{
//		Binary: "/tmp/papermap", Input: "papers.jsonl", Dir: t.TempDir(),
//		Args: []string{"--embedder", "lexical"}, Kills: 21, Seed: 1,
//	})
//
// First a reference ingest runs undisturbed into a store of its own, while
// the store directory is watched to learn how long the run reads its input
// (until the record log appears), fits the lexical model (until
// lexical.model appears) and writes (model, manifest, records). Every
// stored record is checked against the input, and every input paper must
// be stored or reported as skipped.
//
// Then, store after store, ingest runs are started and killed. On a new
// store the kill aims at one of the three phases in turn: it comes a delay
// drawn uniformly within the reference's length of the phase after the
// phase begins in this run (the start; the moment the run's pid appears in
// the store's LOCK; the moment it saves lexical.model), so that the kills
// follow the run however loaded the machine is. On a store an earlier kill
// left part-done ("resume"), the delay is drawn within the length of a
// resumed run, learnt from one that finished (at first, that of a whole
// run). After every kill, `papermap info --json` must open the store (or
// say there is no store yet, when the kill came before the record log was
// made) and count no more papers than the reference. A store takes at most
// MaxChain kills, fewer when a run finishes before its kill or a kill
// leaves every record stored.
//
// Each store is then finished by a rerun that must complete, and is checked
// through the library (corpus.Open read-only, Store().Get): exactly the
// reference's IDs, each with its input title and abstract, the hash of
// that content, and a finite unit vector of the store's dimension equal to
// the reference's.
//
// # Invariants checked
//
//   - No kill leaves a store that info cannot open or reports as corrupt,
//     and no run prints a panic.
//   - The final count of every store is exactly the reference count, with
//     no duplicate, no missing and no extra ID.
//   - No stored record differs from its input (a half-written paper would).
//   - Every paper of the input is stored or reported as skipped.
package killloop
