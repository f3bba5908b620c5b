// Package lexical is the embedder fitted on the corpus itself: TF-IDF
// weighting and latent semantic analysis (LSA), with no server and no
// download. It implements [embed.Embedder].
//
// Fit fits latent semantic analysis on a corpus and returns the
// model with the vectors of the corpus:
//
//	model, vecs, err := lexical.Fit(ctx, abstracts, lexical.Options{})
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
//     new text or a query it is the usual LSA "fold-in". Fit folds
//     in its own rows with the code Embed uses, so embedding a training
//     document again gives exactly its fitted vector.
//
// Terms unknown to the model are ignored when embedding; a text with no
// known term has no direction, and Embed reports it with a
// *NoKnownTermsError (errors.Is(err, ErrNoKnownTerms)) that names it, while
// returning the vectors of the other texts. WriteTo and Read save and
// load a model (a versioned binary format with a CRC-32C checksum; about
// 4·terms·k bytes). A Model is immutable and safe for concurrent use.
//
// Invariants: the same documents in the same order with the same options
// (Seed included) give bit-identical vectors and model bytes on a given
// platform, whatever the number of CPUs: parallel loops give each output row
// to one goroutine, and sums over blocks are added in block order with
// blocks fixed by the data. (Across CPU architectures results agree to
// rounding, not bit for bit.) Every singular vector's sign is fixed so that
// its largest-magnitude entry (the first one, on ties) is positive.
//
// # Unknown words and exact terms
//
// A Model knows only the words of the texts it was fitted on. Fallback wraps
// it so that a text with none of them (a title of stop words, a paper of
// another field) still gets a vector: HashedNgrams, the fastText-style
// hashing of its words and their character 3- to 5-grams, nearly orthogonal
// to the LSA vectors. EachTerm gives the terms of a text as the default model
// sees them, for an exact-term index that must agree with the model on what a
// word is (vectorstore/sparse).
//
// # Tokenisation
//
// Tokenize implements the rules of github.com/sugarme/tokenizer's
// BertNormalizer (clean text, CJK, lower case, strip accents) and
// BertPreTokenizer (split on white space, isolate punctuation), but does
// not call that code: sugarme tracks alignments rune by rune through
// several allocating passes, far too slow for a whole corpus (the figures
// are in bench/RESULTS.md, "Lexical embedder: figures moved out of the
// package documentation"). It also panics on characters whose lower case has another UTF-8
// length ("İ"), duplicates text around zero-width and other non-ASCII
// format characters, leaves precomposed accents ("é") in place, and splits
// only on ASCII spaces. Tokenize is a single pass over the bytes with a
// table for ASCII, the sugarme character classes (normalizer.IsChinese,
// normalizer.IsBertPunctuation) for the rest, NFD decomposition per
// character and NFC recomposition per token. Its tests check that it
// returns exactly the words sugarme returns for the NFD form of the text,
// with sugarme's known bugs worked around: on every abstract of
// testdata/arxiv-2007-04-2000.jsonl without -race (CI runs it so), on every
// 10th under -race (where sugarme is far slower), on the first 200
// with -short, and (with PAPERMAP_LONG_TESTS=1) on all 98,442 ACM
// abstracts.
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
// Accuracy: TF-IDF spectra are flat, so a randomised SVD converges slowly
// in its last components; the vectors are an approximation of the exact
// truncated SVD of the same kind as scikit-learn's TruncatedSVD makes (it
// runs 5 iterations in float64; this package 4 in float32, by default).
// TestLexicalClusterQuality holds a floor on the resulting cluster quality
// (V-measure against the arXiv archives); measured accuracy, speed and
// memory are in bench/RESULTS.md, with their dates.
package lexical
