// Package embed turns texts into unit-length vectors, so that the cosine
// of two vectors (their dot product) says how alike two papers are.
//
// An Embedder has two methods: Embed(ctx, texts, task) returns one vector
// per text, in order, each of length Info().Dimensions and of norm 1 within
// NormTolerance; Info() names the backend, model and dimension, which a
// vector store records so that it never mixes vectors from different
// embedders. Two backends implement it: Ollama (a local server running a
// neural embedding model) and Lexical (a model fitted on the corpus
// itself, with no server and no download).
//
// # Lexical backend: TF-IDF and LSA
//
// FitLexical fits latent semantic analysis on a corpus and returns the
// model with the vectors of the corpus:
//
//	model, vecs, err := embed.FitLexical(ctx, abstracts, embed.LexicalOptions{})
//	q, err := model.Embed(ctx, []string{"graph neural networks"}, embed.Query)
//	// cosine(q[0], vecs[i]) ranks the abstracts for the query.
//
// The pipeline is that of scikit-learn's
// TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2,
// max_df=0.5) followed by TruncatedSVD(256) and a final normalisation, so
// that results can be compared with it:
//
//  1. Tokenize each text: BERT "uncased" normalisation and splitting
//     (lower case, accents stripped, punctuation split off, CJK ideographs
//     one by one). Stop words (scikit-learn's English list by default),
//     numbers and one-character tokens are dropped.
//  2. Keep the terms found in at least MinDF and at most MaxDF·n of the n
//     documents; the vocabulary is sorted.
//  3. Weigh term t of a document by (1 + ln count) · idf(t), with the smooth
//     idf(t) = ln((1+n)/(1+df(t))) + 1, and scale each document's row to
//     unit length: the TF-IDF matrix X (n × terms).
//  4. Compute the k leading right singular vectors V_k of X (the truncated
//     SVD; k = Dimensions, 256 by default).
//  5. A text's vector is its TF-IDF row x times V_k, scaled to unit length.
//     For a training document this is row i of U_kΣ_k, normalised; for a
//     new text or a query it is the usual LSA "fold-in". FitLexical folds
//     in its own rows with the code Embed uses, so embedding a training
//     document again gives exactly its fitted vector.
//
// Terms unknown to the model are ignored when embedding; a text with no
// known term has no direction, and Embed reports it with a
// *NoKnownTermsError (errors.Is(err, ErrNoKnownTerms)) that names it, while
// returning the vectors of the other texts. WriteTo and ReadLexical save and
// load a model (a versioned binary format with a CRC-32C checksum; about
// 4·terms·k bytes, 47 MB for the 98k ACM abstracts at 256 dimensions). A
// Lexical is immutable and safe for concurrent use.
//
// Invariants: the same documents in the same order with the same options
// (Seed included) give bit-identical vectors and model bytes on a given
// platform, whatever the number of CPUs: parallel loops give each output row
// to one goroutine, and sums over blocks are added in block order with
// blocks fixed by the data. (Across CPU architectures results agree to
// rounding, not bit for bit.) Every singular vector's sign is fixed so that
// its largest-magnitude entry (the first one, on ties) is positive.
//
// # Tokenisation
//
// Tokenize implements the rules of github.com/sugarme/tokenizer's
// BertNormalizer (clean text, CJK, lower case, strip accents) and
// BertPreTokenizer (split on white space, isolate punctuation), but does
// not call that code. Measured on the arXiv testdata, sugarme costs about
// 5 ms per abstract (0.17 MB/s; ten minutes of one core for the 107 MB of
// the ACM abstracts, against a target of under a minute for the whole fit),
// because it tracks alignments rune by rune through several allocating
// passes. It also panics on characters whose lower case has another UTF-8
// length ("İ"), duplicates text around zero-width and other non-ASCII
// format characters, leaves precomposed accents ("é") in place, and splits
// only on ASCII spaces. Tokenize is a single pass over the bytes with a
// table for ASCII, the sugarme character classes (normalizer.IsChinese,
// normalizer.IsBertPunctuation) for the rest, NFD decomposition per
// character and NFC recomposition per token; it runs at about 100 MB/s on
// one core, 350 times as fast. Its tests check that it returns exactly the
// words sugarme returns for the NFD form of the text, with sugarme's known
// bugs worked around, on every abstract of testdata/arxiv-2007-04-2000.jsonl
// and (with PAPERMAP_LONG_TESTS=1) on all 98,442 ACM abstracts.
//
// # Truncated SVD
//
// gonum has no sparse matrix type and no randomised SVD, so this package
// has its own compressed-sparse-row matrix and a randomised subspace
// iteration (Halko, Martinsson and Tropp, 2011): Z is a seeded Gaussian
// sketch of k + Oversampling columns, iterated PowerIters times as
// Z ← orth(Xᵀ(X Z)), and finished by Rayleigh–Ritz: the symmetric
// eigen-decomposition (gonum mat.EigenSym) of Zᵀ XᵀX Z gives the singular
// values and V_k = Z·E. This stands in for "QR of X Z, then mat.SVD of
// the small projected matrix": it yields the same subspace and values
// without ever orthonormalising a documents × (k + oversampling) matrix.
// Every matrix that is orthonormalised is terms × (k + oversampling), and
// orthonormalisation is Cholesky-QR (gonum's Cholesky and Dtrsm; repeated
// when ill-conditioned, with an eigen-decomposition fallback that drops
// null directions). The sparse products of the iterations run in float32
// with gonum's SIMD axpy over all cores, visiting the dense operand in
// cache-sized chunks; the Rayleigh–Ritz step is float64. Singular values
// below 1e-6 of the largest are dropped, so a small corpus yields fewer
// dimensions than asked for; Info().Dimensions tells what was kept.
//
// Accuracy: TF-IDF spectra are flat (σ₁/σ₂₅₆ ≈ 7 on ACM abstracts), so a
// randomised SVD converges slowly in its last components. With the default
// 4 iterations and 16 extra columns, the 256 singular values of 20k ACM
// abstracts are within 2% on average (7% for the last one) of a
// 12-iteration, 100-column reference, and cosines between documents move
// by 0.016 on average; scikit-learn's TruncatedSVD (5 iterations, 10
// extra columns) makes approximations of the same kind. Cluster quality is
// unaffected: see bench/sklearn_vmeasure.py.
//
// Cost (two cores, 98,442 ACM abstracts, 45,293 terms, 256 dimensions):
// 16-26 s (depending on the machine's load) and 0.85 GB peak for the
// whole fit, under a third of the time and 63% of the memory of
// scikit-learn's TfidfVectorizer + TruncatedSVD in the same run
// (bench/lexical/compare.sh); embedding a query takes about 15 µs.
//
// # Ollama backend
//
// NewOllama uses the /api/embed endpoint of one or more Ollama servers.
// Hosts are read like OLLAMA_HOST ("host", "host:port", "http://host:port";
// default http://127.0.0.1:11434); each must answer, have the model and
// embed one probe text, which also gives Info().Dimensions:
//
//	o, err := embed.NewOllama(ctx, embed.OllamaOptions{Model: "nomic-embed-text"})
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
// (500 "do embedding request: ... EOF", five seconds or more each) on a
// BERT text of ctx-1 tokens or more even with truncate on, as it counts
// tokens without [CLS] and [SEP] (docs/OLLAMA-TESTING.md,
// ollama/ollama#7288), and later versions refuse such a text (400 "the
// input length exceeds the context length"). NewOllama asks each host for
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
// One OllamaOptions.Warn message per Embed call names the texts cut. If a
// server does not say its context, or the count is wrong, the old
// fallback still works: a batch that crashes the runner (or is refused) is
// split to find the text, which is cut in half until it goes through, and
// one Warn message per call names those texts. Errors are meant to be shown as they are:
// *UnreachableError ("cannot reach Ollama at ...: is `ollama serve`
// running?"), *ModelNotFoundError ("run `ollama pull ...`"), found with
// errors.As through the wrapping.
package embed
