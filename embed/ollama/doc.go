// Package ollama is the embedder that asks one or more Ollama servers,
// each running a neural embedding model. It implements [embed.Embedder].
//
// New uses the /api/embed endpoint of one or more Ollama servers.
// Hosts are read like OLLAMA_HOST ("host", "host:port", "http://host:port";
// default http://127.0.0.1:11434); each must answer, have the model and
// embed one probe text, which also gives Info().Dimensions:
//
//	o, err := ollama.New(ctx, ollama.Options{Model: "nomic-embed-text"})
//	vecs, err := o.Embed(ctx, abstracts, embed.Document)
//
// Probe is the cheap check for choosing a backend: GET /api/tags within
// 2 s. Texts are sent BatchSize (16) at a time, with truncate on and the
// model's task prefix (PrefixesFor: "search_document: ", "search_query: ",
// "clustering: " for nomic-embed-text). Blank texts are refused with
// ErrEmptyText before anything is sent. Every vector is checked (length,
// finite, not zero) and normalised here: an unusable answer is retried
// twice and then reported as a *BadResponseError, never returned.
//
// Concurrency workers per host (default 1, as a server embeds one request
// at a time) pull batches from one queue, so a faster host takes more;
// results keep the order of the input. The retry policy: a 4xx answer
// (such as a missing model) is final and cancels the whole call, naming the
// texts; 5xx, 429, resets, EOF mid-body and timeouts put the batch back in
// the queue for any host, while that host backs off (RetryDelay doubling up
// to MaxRetryDelay, jittered from Seed). A batch fails the call after
// MaxRetries such failures; a host that fails more than MaxRetries times in
// a row (a refused connection counts against the host only) is dropped for
// the rest of the call and the other hosts take its batches; the call fails
// when no host is left. A batch that gets no answer within RequestTimeout
// is split in two. Cancelling ctx stops every request at once.
//
// Texts longer than the model's context are cut before they are sent,
// because the server cannot be trusted to: Ollama 0.6.5's runner crashes
// (500 "do embedding request: ... EOF") on a
// BERT text of ctx-1 tokens or more even with truncate on, as it counts
// tokens without [CLS] and [SEP] (docs/OLLAMA-TESTING.md,
// ollama/ollama#7288), and later versions refuse such a text (400 "the
// input length exceeds the context length"). New asks each host for
// the model (POST /api/show, verbose): the context is the smaller of
// model_info's "<architecture>.context_length" and a num_ctx parameter of
// the model, the tightest over the hosts; for a WordPiece ("bert")
// vocabulary, which the answer lists, tokens are counted exactly as
// llama.cpp's tokenizer makes them (checked against the server's
// prompt_eval_count), otherwise estimated at one token per three
// characters of a word and one per punctuation mark. Each text, with its
// prefix, is cut at the end of its last word that fits in ctx-2 tokens
// (inside a single over-long word if need be); the cut depends on the text
// alone, so a text gets the same vector from any host and in any batch.
// One Options.Warn message per Embed call names the texts cut. If a
// server does not say its context, or the count is wrong, the old
// fallback still works: a batch that crashes the runner (or is refused) is
// split to find the text, which is cut in half until it goes through, and
// one Warn message per call names those texts. Errors are meant to be shown as they are:
// *UnreachableError ("cannot reach Ollama at ...: is `ollama serve`
// running?"), *ModelNotFoundError ("run `ollama pull ...`"), found with
// errors.As through the wrapping.
//
// # Generating text
//
// NewGenerator asks the same hosts for text from a generative model,
// through /api/generate, with the same errors and a like retry policy
// (see [Generator]); Sampling sets temperature, seed and the answer's
// length, and Digest names the model version the hosts serve:
//
//	g, err := ollama.NewGenerator(ollama.Options{Model: "llama3.2"})
//	answer, err := g.Generate(ctx, prompt, ollama.Sampling{Seed: 1, NumPredict: 24})
package ollama
