// Package naming names themes: by their keywords (Keywords, the default),
// or by asking a local generative model through Ollama (Ollama).
//
// A [Namer] is given every theme at once as [ThemeText]s: its keyword
// label, keywords, a few representative documents, its members' IDs and,
// for a theme of a coarser level, the indexes of its sub-themes. It
// returns one [Name] per theme. Namers do not fail on a theme: whatever
// goes wrong, a theme keeps its keyword label.
//
// # Asking a model
//
// Ollama sends each theme to /api/generate (through
// [ollama.Generator], so with the embedder's hosts, retries and errors) in
// the shape of BERTopic's prompt: the first MaxDocs (4) representative
// documents, each cut to DocRunes characters, the first MaxKeywords
// keywords, and a request for "a short topic label, three words at most"
// ([LeafPrompt]). Themes with sub-themes are named after their children,
// from the children's names and their own keywords ([ParentPrompt]), as
// Toponymy names the layers of its hierarchy bottom-up. Requests use
// temperature 0, a fixed seed and at most DefaultNumPredict tokens, so the
// same model gives the same names.
//
// The answer is passed through [Sanitize]: one line, at most MaxWords
// words and MaxRunes characters, no control characters, markup, quotes or
// "Topic:" prefix. An answer with nothing name-like left (papermap's
// random-weight test model answers with random bytes) leaves the theme its
// keyword label. Siblings (the sub-themes of one theme, or the themes of
// the top level) that get the same name are told apart by a keyword in
// parentheses. If the model cannot be asked at all (server down, model
// not pulled) or stops answering, the themes not yet named keep their
// keyword labels and Warn is told once, with what to do.
//
// Nothing is claimed about the quality of the names: no weights of a real
// model can be downloaded where papermap is developed, so the names were
// never judged; the tests check what is sent, the caching, the sanitising
// and the fallback, against a fake server and against Ollama v0.6.5 with a
// random-weight Llama.
//
// # Caching
//
// Names are kept in CacheFile ("theme-names.json") through [Files] (a
// papermap store), keyed by each theme's [Fingerprints] (a hash of its
// sorted members, keywords, documents and children's fingerprints), with
// their provenance: the model, its digest (from /api/tags) and a hash of
// the prompts and sampling options. A name is reused while all four are
// unchanged, so running themes again asks nothing; a changed theme, a new
// version of the model or another prompt asks again. The file keeps only
// the themes of the last run.
package naming
