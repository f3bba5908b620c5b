package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"time"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/internal/safefile"
	"github.com/papermap/papermap/internal/textsafe"
	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/vectorstore"
	"github.com/papermap/papermap/vectorstore/weaviate"
)

const ingestUsage = `Usage: papermap ingest [flags] FILE...

Reads papers from FILEs (- for standard input), embeds them and stores them
in the store. Formats: seed text pages (.txt: a title line, then an abstract
line), JSON Lines and JSON arrays (.jsonl, .json: arXiv field names work),
CSV and TSV with a header row (Zotero's and Scopus's CSV exports included),
BibTeX (.bib), RIS (.ris: Zotero, Mendeley, EndNote, Scopus, Web of Science,
PubMed), Web of Science plain text and tab-delimited exports (savedrecs.txt)
and PubMed MEDLINE (.nbib); gzip-compressed files are read as they are. The
format is taken from the extension, then the content (a .txt file holding
a Web of Science or PubMed export is read as one); --format overrides both.

chromem-go data is read too: a database export (DB.ExportToFile; FILE ends in
.gob, .gob.gz or either with .enc, or --format chromem), such as 'papermap
export' writes, or the directory of a persistent database
(chromem.NewPersistentDB). It is ingested on its own, one per run. Its
vectors are kept when its collection names the store's embedder
(papermap.embedder and papermap.dimensions in the collection's metadata, as
'papermap export' writes them); otherwise the documents are embedded again
from their Content, and a notice says so. A document's Content is its text,
its metadata its fields ("title", "year", "authors"... as papermap stores
them).

A record that cannot be used (no title and no abstract, a malformed line, an
unbalanced BibTeX entry, a record over 16 MiB) is skipped and reported as
FILE:LINE: reason; the run ends with a summary. A CSV without an abstract
column is read with titles alone and one "FILE:LINE: warning: ..." line.
With --strict any skipped record rejects the whole input and nothing is
written.

Files are read twice, and never held whole: a first pass checks them and
decides what to store, a second embeds and stores the papers 4,096 at a
time, so memory does not grow with the input. The lexical model of a new
store is fitted on all the papers of its first ingest, or, when it brings
more than 50,000, on the 50,000 whose IDs hash lowest (every paper is still
stored). Standard input (-) is read once, into memory.

Running the same ingest again is safe and cheap: papers already stored with
the same content are skipped, changed papers are updated. An interrupted
ingest (Ctrl-C, a crash) keeps everything stored so far; run it again to
finish. Ctrl-C (or SIGTERM) during the approximate index's build at the end
(minutes at a million papers) stops the build within seconds: the papers
are stored, and the next write builds the index. One process at a time writes to a store: an ingest into a store
that another ingest (or themes, or repair) is using stops at once, saying
which process holds it; search, similar and info may run meanwhile.

The embedder is chosen at a store's first ingest: Ollama when a server is
reachable and has the model, otherwise the built-in lexical model (offline,
fitted on the papers of that first ingest, and fitted again on all the
stored papers, with a notice, by the ingest that brings the store to twice
the papers it was fitted on; see 'papermap reindex'). A store never mixes
embedders.

Flags:
  --store DIR           store directory (default ./papermap-store, env PAPERMAP_STORE)
  --embedder NAME       ` + embed.BackendAuto + ` (default), ` + embed.BackendOllama + ` or ` + embed.BackendLexical + `
  --model NAME          Ollama model (default ` + ollama.DefaultModel + `)
  --ollama-host URLS    Ollama server(s), comma-separated; work is spread over
                        all of them (default $` + ollama.HostEnv + `, or for an existing
                        store the hosts it was last embedded with, or
                        ` + ollama.DefaultHost + `)
  --batch-size N        texts per Ollama request (default 16)
  --format NAME         auto (default), txt, jsonl, json, csv, tsv, bib, ris,
                        wos, medline or chromem
  --collection NAME     the chromem-go collection to read (default: the only one)
  --encryption-key-file F  key of an encrypted chromem-go export (32 bytes; env
                        PAPERMAP_CHROMEM_KEY gives the key itself)
  --strict              reject the whole input if any record is bad
  --json                print the summary as JSON
  --skipped-log FILE    write every skipped record to FILE (FILE:LINE: reason)
  --quiet               no progress output

Examples:
  papermap ingest testdata/seed-abstracts.txt
  papermap ingest --store lab-store --embedder lexical arxiv.jsonl refs.bib
  zcat papers.jsonl.gz | papermap ingest --format jsonl -
  papermap ingest --store rag-map --collection docs ./chromem-db
  papermap ingest --embedder ollama --ollama-host http://gpu1:11434,http://gpu2:11434 papers.csv
`

// IngestCommand reads papers from files and stores their embeddings.
type IngestCommand struct {
	m *Main
}

// ingestFlags are shared by ingest and analyze.
type ingestFlags struct {
	store      *string
	emb        embedFlags
	format     string
	strict     bool
	quiet      bool
	skippedLog string
	collection string // chromem-go input
	keyFile    string // chromem-go input
}

func (f *ingestFlags) bind(m *Main, fs *flag.FlagSet) {
	f.store = m.storeFlag(fs)
	f.emb.register(fs)
	fs.StringVar(&f.format, "format", string(paper.FormatAuto), "input format")
	fs.BoolVar(&f.strict, "strict", false, "reject the whole input if any record is bad")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress output")
	fs.StringVar(&f.skippedLog, "skipped-log", "", "write skipped records to FILE")
	fs.StringVar(&f.collection, "collection", "", "chromem-go collection NAME")
	fs.StringVar(&f.keyFile, "encryption-key-file", "", "key file of an encrypted chromem-go export")
}

// Run implements command.
func (c *IngestCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("ingest")
	var f ingestFlags
	f.bind(c.m, fs)
	asJSON := fs.Bool("json", false, "JSON summary")
	files, err := parseArgs(fs, args, ingestUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return &usageError{msg: "no input files (use - for standard input)", usage: ingestUsage}
	}
	res, err := c.m.ingest(ctx, &f, files)
	if res != nil {
		if *asJSON {
			if jerr := writeJSON(c.m.Stdout, res.json()); jerr != nil && err == nil {
				err = jerr
			}
		} else if res.done {
			fmt.Fprintln(c.m.Stdout, res.summary())
		}
	}
	return err
}

// ingestResult is what an ingest did, for the summary.
type ingestResult struct {
	store   string
	stats   corpus.IngestStats
	read    int
	skipped []*paper.RecordError
	elapsed time.Duration
	done    bool // the ingest got to the end
}

func (r *ingestResult) summary() string {
	s := r.stats
	return fmt.Sprintf("ingested %s, skipped %s (%s added, %s updated, %s unchanged) into %s [%s %s, %d dims] in %s",
		format.Int(s.Stored()), format.Int(countSkipped(r.skipped)),
		format.Int(s.Added), format.Int(s.Updated), format.Int(s.Unchanged),
		r.store, s.Embedder.Backend, s.Embedder.Model, s.Embedder.Dimensions, r.elapsed.Round(100*time.Millisecond))
}

type skippedJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	ID      string `json:"id,omitempty"`
	Reason  string `json:"reason"`
	Warning bool   `json:"warning,omitempty"` // nothing skipped: a note on the input
}

// countSkipped counts the records skipped, leaving out warnings (which
// skip nothing).
func countSkipped(skipped []*paper.RecordError) int {
	n := 0
	for _, e := range skipped {
		if !e.Warning {
			n++
		}
	}
	return n
}

func (r *ingestResult) json() any {
	sk := make([]skippedJSON, 0, len(r.skipped))
	for _, e := range r.skipped {
		sk = append(sk, skippedJSON{File: e.Pos.File, Line: e.Pos.Line, ID: e.ID, Reason: e.Reason, Warning: e.Warning})
	}
	return struct {
		Store     string        `json:"store"`
		Complete  bool          `json:"complete"`
		Read      int           `json:"read"`
		Ingested  int           `json:"ingested"`
		Added     int           `json:"added"`
		Updated   int           `json:"updated"`
		Unchanged int           `json:"unchanged"`
		Skipped   []skippedJSON `json:"skipped"`
		Embedder  string        `json:"embedder"`
		Model     string        `json:"model"`
		Dims      int           `json:"dimensions"`
		Seconds   float64       `json:"seconds"`
	}{r.store, r.done, r.read, r.stats.Stored(), r.stats.Added, r.stats.Updated, r.stats.Unchanged, sk,
		r.stats.Embedder.Backend, r.stats.Embedder.Model, r.stats.Embedder.Dimensions, r.elapsed.Seconds()}
}

// ingest reads every file, then stores the papers. Nothing is written
// before all input is read, so --strict can reject it whole and a typo in
// a file name costs nothing.
//
// A store that already exists is opened, and its writer lock taken, before
// the input is read: a second ingest into a store in use then fails at
// once, instead of after reading all of its input (minutes for a large
// file, forever for a pipe that is still being filled).
func (m *Main) ingest(ctx context.Context, f *ingestFlags, files []string) (*ingestResult, error) {
	start := time.Now()
	if chromemIn, err := chromemInput(f.format, files); err != nil || chromemIn != "" {
		if err != nil {
			return nil, err
		}
		return m.ingestChromem(ctx, f, chromemIn, start)
	}
	inFormat, err := paper.ParseFormat(f.format)
	if err != nil {
		return nil, &usageError{msg: err.Error(), usage: ingestUsage}
	}
	stdinUsed := false
	for _, name := range files {
		if name == "-" {
			if stdinUsed {
				return nil, &usageError{msg: "standard input (-) given twice", usage: ingestUsage}
			}
			stdinUsed = true
			continue
		}
		if _, err := os.Stat(name); err != nil {
			return nil, err
		}
	}

	// Notices go through the progress display, so that none lands on the
	// bar's line.
	prog := newProgress(m.Stderr, "ingest", f.quiet)
	opts := f.emb.options(prog.notices())
	var c *corpus.Corpus
	defer func() {
		if c != nil {
			c.CloseContext(ctx) // SIGINT/SIGTERM stop the index build at Close
		}
	}()
	if storeExists(*f.store) {
		if c, err = corpus.Open(ctx, *f.store, opts); err != nil {
			return nil, m.openError(ctx, err, *f.store)
		}
	}

	// Files are read twice and never held whole (corpus.IngestStream):
	// a first pass checks them (--strict) and decides what to store.
	// Standard input cannot be read twice: it is held in memory.
	var skipped []*paper.RecordError
	var read, nkept, ndups int
	var store func(c *corpus.Corpus) (corpus.IngestStats, error)
	if stdinUsed {
		var papers []paper.Paper
		for _, name := range files {
			var ps []paper.Paper
			var sk []*paper.RecordError
			if name == "-" {
				ps, sk, err = paper.ReadAll(m.Stdin, paper.Options{Format: inFormat, Name: "stdin"})
			} else {
				ps, sk, err = paper.ReadFile(name, paper.Options{Format: inFormat})
			}
			if err != nil {
				return nil, err
			}
			papers = append(papers, ps...)
			skipped = append(skipped, sk...)
		}
		kept, dups := paper.Dedupe(papers)
		skipped = append(skipped, dups...)
		read, nkept, ndups = len(papers), len(kept), len(dups)
		store = func(c *corpus.Corpus) (corpus.IngestStats, error) {
			stats, err := c.Ingest(ctx, kept, corpus.IngestOptions{Progress: prog.update})
			stats.Skipped = append(skipped, stats.Skipped...)
			return stats, err
		}
	} else {
		in := fileStream(files, inFormat)
		sc, err := corpus.ScanStream(ctx, in, corpus.IngestOptions{})
		if err != nil {
			return nil, err
		}
		skipped = sc.Skipped
		read, nkept, ndups = sc.Papers, sc.Kept, sc.Papers-sc.Kept
		if sc.Kept > backend.DefaultFitSample && os.Getenv("GOGC") == "" {
			// A large ingest holds the row table and the exact-term
			// index (about a gigabyte at a million papers) until its end:
			// the garbage collector runs when the heap has grown by 25%
			// instead of doubled, so that garbage does not double them
			// (bench/RESULTS.md: at 300,000 papers 0.88 GB instead of
			// 1.24 GB at the peak, for 8% more CPU).
			debug.SetGCPercent(25)
		}
		store = func(c *corpus.Corpus) (corpus.IngestStats, error) {
			return c.IngestScanned(ctx, in, sc, corpus.IngestOptions{Progress: prog.update})
		}
	}
	if n := countSkipped(skipped); f.strict && n > 0 {
		m.reportSkipped(skipped, f.skippedLog)
		return nil, fmt.Errorf("--strict: %d bad record(s) in the input; nothing was written (fix them, or drop --strict to skip them)", n)
	}
	if nkept == 0 {
		m.reportSkipped(skipped, f.skippedLog)
		return nil, fmt.Errorf("no usable papers in %s", joinNames(files))
	}

	if c == nil {
		if err := ctx.Err(); err != nil {
			// Interrupted while reading, before a store was made.
			m.interrupted(0, nkept, *f.store)
			return nil, err
		}
		if c, err = corpus.Open(ctx, *f.store, opts); err != nil {
			return nil, m.openError(ctx, err, *f.store)
		}
	}

	// An interrupted context still goes through Ingest, which then only
	// counts the papers already stored, for the message below.
	stats, err := store(c)
	if errors.Is(err, lexical.ErrEmptyVocabulary) {
		err = fmt.Errorf("%s: %w", joinNames(files), err)
	}
	prog.finish()
	skipped = stats.Skipped
	res := &ingestResult{store: *f.store, stats: stats, read: read + ndups, skipped: skipped, elapsed: time.Since(start)}
	m.reportSkipped(skipped, f.skippedLog)
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			m.interrupted(stats.Stored(), nkept, *f.store)
		} else if stats.Embedder.Backend != "" {
			// The embedder or the store failed part-way; what was
			// embedded before is stored (corpus.Ingest keeps it).
			fmt.Fprintf(m.Stderr, "stopped: %s of %s papers are stored in %s; once the cause below is fixed, run the same command again to store the rest (stored papers are not redone)\n",
				format.Int(stats.Stored()), format.Int(nkept), *f.store)
		}
		return res, err
	}
	res.done = true
	return res, nil
}

// interrupted tells how to resume an interrupted ingest.
func (m *Main) interrupted(stored, total int, store string) {
	fmt.Fprintf(m.Stderr, "interrupted: %s of %s papers are stored in %s; run the same command again to store the rest (stored papers are not redone)\n",
		format.Int(stored), format.Int(total), store)
}

// openError adds the way to resume when opening the store was interrupted.
func (m *Main) openError(ctx context.Context, err error, store string) error {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		fmt.Fprintf(m.Stderr, "interrupted while opening %s: nothing was written; run the same command again\n", store)
	}
	return err
}

// storeExists reports whether dir exists and holds something: a store, or
// something that corpus.Open will refuse to turn into one.
func storeExists(dir string) bool {
	if weaviate.IsAddress(dir) {
		return true // corpus.Open creates the collection; it checks the server first
	}
	d, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer d.Close()
	names, _ := d.Readdirnames(1)
	return len(names) > 0
}

// maxSkippedShown bounds the skipped records printed on stderr; the rest go
// to --skipped-log.
const maxSkippedShown = 50

func (m *Main) reportSkipped(skipped []*paper.RecordError, logPath string) {
	// In input order, whichever stage found them.
	sort.SliceStable(skipped, func(i, j int) bool {
		a, b := skipped[i].Pos, skipped[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	for i, e := range skipped {
		if i == maxSkippedShown {
			fmt.Fprintf(m.Stderr, "... and %s more skipped records", format.Int(len(skipped)-i))
			if logPath == "" {
				fmt.Fprint(m.Stderr, " (list them all with --skipped-log FILE)")
			}
			fmt.Fprintln(m.Stderr)
			break
		}
		fmt.Fprintln(m.Stderr, textsafe.Line(e.Error()))
	}
	if logPath == "" {
		return
	}
	if err := writeSkippedLog(logPath, skipped); err != nil {
		fmt.Fprintf(m.Stderr, "papermap: cannot write %s: %v\n", logPath, err)
	}
}

// writeSkippedLog replaces path (never through a symbolic link) with the
// skipped records, mode 0600.
func writeSkippedLog(path string, skipped []*paper.RecordError) error {
	return safefile.Write(path, 0o600, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for _, e := range skipped {
			bw.WriteString(e.Error() + "\n")
		}
		return bw.Flush()
	})
}

// chromemInput returns the input when it is chromem-go data (by --format,
// by its name, or a directory of chromem-go's), "" when none is.
func chromemInput(formatName string, files []string) (string, error) {
	var found []string
	for _, name := range files {
		if formatName == "chromem" || vectorstore.IsChromemExport(name) {
			found = append(found, name)
		} else if fi, err := os.Stat(name); err == nil && fi.IsDir() && vectorstore.IsChromemDir(name) {
			found = append(found, name)
		}
	}
	switch {
	case len(found) == 0:
		return "", nil
	case len(files) > 1:
		return "", &usageError{msg: fmt.Sprintf("%s is chromem-go data: ingest it in a run of its own", found[0]), usage: ingestUsage}
	case files[0] == "-":
		return "", &usageError{msg: "chromem-go data is read from a file or directory, not standard input", usage: ingestUsage}
	}
	return found[0], nil
}

// ingestChromem stores a collection of chromem-go data.
func (m *Main) ingestChromem(ctx context.Context, f *ingestFlags, path string, start time.Time) (*ingestResult, error) {
	if f.strict {
		return nil, &usageError{msg: "--strict applies to paper files, not to chromem-go data", usage: ingestUsage}
	}
	key, err := m.chromemKey(f.keyFile)
	if err != nil {
		return nil, err
	}
	opts := f.emb.options(m.Stderr)
	var c *corpus.Corpus
	defer func() {
		if c != nil {
			c.CloseContext(ctx) // SIGINT/SIGTERM stop the index build at Close
		}
	}()
	if storeExists(*f.store) { // take the lock before the long read, as ingest does
		if c, err = corpus.Open(ctx, *f.store, opts); err != nil {
			return nil, m.openError(ctx, err, *f.store)
		}
	}
	coll, err := vectorstore.ReadChromem(path, vectorstore.ReadChromemOptions{Collection: f.collection, EncryptionKey: key})
	if err != nil {
		return nil, err
	}
	if c == nil {
		if c, err = corpus.Open(ctx, *f.store, opts); err != nil {
			return nil, m.openError(ctx, err, *f.store)
		}
	}
	prog := newProgress(m.Stderr, "ingest", f.quiet)
	stats, err := c.IngestChromem(ctx, coll, path, corpus.IngestOptions{Progress: prog.update})
	prog.finish()
	res := &ingestResult{store: *f.store, stats: stats, read: len(coll.Documents), skipped: stats.Skipped, elapsed: time.Since(start)}
	m.reportSkipped(stats.Skipped, f.skippedLog)
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			m.interrupted(stats.Stored(), len(coll.Documents), *f.store)
		}
		return res, err
	}
	res.done = true
	return res, nil
}

func joinNames(files []string) string {
	if len(files) == 1 {
		return files[0]
	}
	return fmt.Sprintf("%d files", len(files))
}

// fileStream reads the papers of files (not standard input), from the
// start at each call, for corpus.IngestStream.
func fileStream(files []string, inFormat paper.Format) corpus.Stream {
	return func(ctx context.Context, yield func(paper.Paper, *paper.RecordError) error) error {
		for _, name := range files {
			if err := readFileInto(ctx, name, inFormat, yield); err != nil {
				return err
			}
		}
		return nil
	}
}

func readFileInto(ctx context.Context, name string, inFormat paper.Format, yield func(paper.Paper, *paper.RecordError) error) error {
	fh, err := os.Open(name)
	if err != nil {
		return err
	}
	defer fh.Close()
	d, err := paper.NewDecoder(fh, paper.Options{Format: inFormat, Name: name})
	if err != nil {
		return err
	}
	for n := 0; ; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		p, err := d.Next()
		if err == io.EOF {
			return nil
		}
		var re *paper.RecordError
		if errors.As(err, &re) {
			if err := yield(paper.Paper{}, re); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		if err := yield(p, nil); err != nil {
			return err
		}
	}
}
