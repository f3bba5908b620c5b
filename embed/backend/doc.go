// Package backend is the life cycle of a store's embedder: which backend a
// new store gets, how the lexical model is fitted and saved, and how the
// embedder recorded in a store's manifest is brought back when the store
// is opened again. It is the one place that knows both backends
// ([github.com/papermap/papermap/embed/ollama] and
// [github.com/papermap/papermap/embed/lexical]); the corpus package only
// wires a store to it.
//
// One [Settings] value carries a user's choices (from flags, or a library
// caller) unchanged to the backend that uses them: the backend name, the
// [ollama.Options] and the [lexical.Options].
//
// The contract:
//
//   - [Start] decides the embedder of a new store. BackendAuto picks Ollama
//     when [ollama.Probe] finds a server with the model, and the lexical
//     model otherwise, saying which and why through Settings.Notice. For
//     the lexical backend it fits the model on the texts of the first
//     ingest and returns their vectors; the model file is written before
//     the manifest names the backend, so a store whose manifest says
//     lexical always has its model. For Ollama it records the hosts used
//     (file OllamaHostsFile) before the manifest.
//   - [Abandon] undoes Start when the first ingest stored no paper: the
//     store forgets the embedder and the model and hosts files go, so a
//     failed first ingest leaves no half-made model behind.
//   - [Resume] brings back the embedder a store's manifest names. An
//     explicit backend or Ollama model that differs from the manifest's is
//     refused with a *vectorstore.MismatchError. Ollama is not contacted
//     until a text must be embedded, so that commands that only read
//     stored vectors work without a server.
//   - Ollama hosts, in order of precedence: Settings.Ollama.Hosts (the
//     --ollama-host flag), then the environment variable ollama.HostEnv,
//     then the hosts remembered with the store, then ollama.DefaultHost. A
//     writable store remembers the hosts of its last successful connection.
package backend
