// Package sparse is papermap's exact-term index: an inverted index from the
// words of titles and abstracts to the papers that use them, scored by
// TF-IDF cosine (scikit-learn's TfidfVectorizer(sublinear_tf=True) cosine,
// the default) or BM25, and Fuse, which combines its ranking with the dense
// one of the embeddings.
//
// # Why both
//
// A dense embedding (LSA, or an Ollama model) places papers by meaning and
// finds them in other words, but loses the evidence of a rare exact term: on
// the ACM citation benchmark's development split (bench/citations), the
// lexical LSA-256 ranking finds 30 % of the cited papers in its first ten,
// exact-term TF-IDF cosine over stemmed words 47 %, and their fusion 50 %. The
// index also knows every word of every paper, including the words a lexical
// model fitted on fewer papers never saw.
//
// # Why not bleve
//
// bleve v2.6.3 (github.com/blevesearch/bleve) was measured on the same
// 20,000 papers and development queries (bench/bleve, its own module so
// that papermap does not depend on bleve): with its English analyser
// (Porter stemmer) it finds 44.1 % of the cited papers with its TF-IDF and
// 42.1 % with BM25, against 47.4 % here; it takes 1.2 to 3.4 times as long
// to index, 4.4 times the disk (14.5 MB against 3.3 MB) and answers a
// paragraph query in a median of 136-303 ms against about 0.5 ms (two runs
// on one loaded machine, bench/RESULTS.md). Its scorch segments also have their own
// files and crash behaviour beside the store's log, where this index is
// one checksummed file derived from the log. So papermap keeps its own
// index and takes from bleve's project only the Snowball stemmer.
//
// # Using an index
//
//	x := sparse.New(sparse.Options{})
//	x.Add([]string{"p1", "p2"}, []string{"galaxy redshift survey", "graph neural networks"})
//	hits, _ := x.Search("redshift of galaxies", 10, nil, nil)
//
// Terms are those of the lexical model (lexical.EachTerm): the BERT-uncased
// words without stop words, numbers and one-letter tokens, each reduced to
// its stem by the Snowball English stemmer (StemmedTerms), which raised
// the benchmark's sparse recall by 2.3 points and the hybrid's by 2.3 (query
// paragraphs and abstracts use different forms of the same words). Add replaces a
// document with the same ID; Remove drops documents. Scoring settings
// (Options) change how documents are scored, not what is stored: the
// per-term and per-document weights are derived lazily from the postings,
// so adding documents keeps every weight exact.
//
// # Persistence
//
// WriteTo and Read save and load an index in a checksummed binary format
// (see lazy.go); Read returns an error wrapping ErrCorrupt for any bytes
// that are not such a file, and never panics. Read does not decode the
// file: it checks its checksum and the bounds of its tables and searches
// the bytes where they lie (terms and IDs by binary search in sorted
// tables, the postings of the query's terms only, the TF-IDF norms
// stored), so that a process answering one query does not decode a
// million papers' postings; the first Add, Remove or WriteTo decodes it.
// The index carries a Fingerprint chosen by its owner: papermap's corpus
// stores the hash of the records it indexed, saves the index atomically
// after each ingest, and rebuilds it from the record log when it is
// missing, damaged or stale, so the index is a derived artefact that a
// crash can make stale but never wrong.
//
// # Invariants
//
//   - Search results are ordered by score, ties by increasing ID, and do not
//     depend on the order documents were added in.
//   - Read(WriteTo(x)) scores every query exactly as x does.
package sparse
