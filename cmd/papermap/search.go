package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed/ollama"
)

var searchUsage = `Usage: papermap search [flags] QUERY...
       papermap search [flags] --queries FILE

Finds the stored papers closest to a free-text query, best first. The words
of QUERY are joined with spaces, so quoting is optional.

By default (--mode hybrid) two rankings are fused: the dense one (cosine of
the embeddings: papers close in meaning, even in other words) and the sparse
one (an exact-term TF-IDF index of titles and abstracts: papers that use the
query's own words, even rare ones and words the embedder never saw). On the
ACM citation benchmark the fusion finds more of the cited papers than either
alone (bench/RESULTS.md). --mode dense or sparse uses one ranking; the score
is then the cosine similarity (dense) or the TF-IDF cosine (sparse), and in
hybrid mode the fused score in [0, 1].

On a Weaviate store (--store weaviate://...) the sparse ranking is Weaviate's
own BM25 over titles and abstracts (no stemming) and hybrid mode is
Weaviate's hybrid search (the same dense weight, scores fused in [0, 1]):
the papers found differ from a local store's (docs/WEAVIATE.md).

With --queries, every non-empty line of FILE (- for standard input) is a
query, or a JSON object {"id": "...", "text": "..."} per line; the answers
are printed as JSON Lines, one object per query in input order:
  {"query": "<id, or the line number>", "results": [{"id", "title", "score"}, ...]}

Flags:
  --store DIR        store directory (default ./papermap-store, env PAPERMAP_STORE)
  -k N               number of results per query (default 10)
  --mode MODE        hybrid (default), dense or sparse
  --json             print {"results": [{"id", "title", "score"}, ...]}
  --queries FILE     answer every query in FILE (batch mode, JSON Lines output)
  --where KEY=VALUE  only papers whose field KEY equals VALUE (repeatable;
                     fields: year, venue, categories, archive, ... as ingested;
                     a field no stored paper has is an error listing those
                     that exist)
  --exact            score every paper for the dense ranking; by default a
                     store of ` + indexThresholdText + ` papers or more is searched through its
                     approximate index (recall@10 0.99 against --exact on
                     113k ACM abstracts, 1 ms instead of 23 ms)
  --ollama-host URLS Ollama server(s) for stores embedded with Ollama (default
                     $` + ollama.HostEnv + `, else the hosts the store was last embedded
                     with, else ` + ollama.DefaultHost + `)

Examples:
  papermap search "control variates for variance reduction"
  papermap search -k 5 --json graph neural networks for molecules
  papermap search --where year=2019 --where venue=sigir "query expansion"
  papermap search --queries questions.txt > answers.jsonl
  papermap search --mode sparse "PERCOLATe"
`

// SearchCommand finds papers by free text.
type SearchCommand struct {
	m *Main
}

// Run implements command.
func (c *SearchCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("search")
	store := c.m.storeFlag(fs)
	k := fs.Int("k", corpus.DefaultK, "number of results")
	asJSON := fs.Bool("json", false, "JSON output")
	queries := fs.String("queries", "", "file of queries")
	mode := fs.String("mode", corpus.ModeHybrid, "hybrid, dense or sparse")
	exact := fs.Bool("exact", false, "score every paper (no approximate index)")
	var where whereFlag
	fs.Var(&where, "where", "KEY=VALUE filter")
	var emb embedFlags
	emb.register(fs)
	words, err := parseArgs(fs, args, searchUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	if *k <= 0 {
		return &usageError{msg: fmt.Sprintf("-k must be positive, not %d", *k), usage: searchUsage}
	}
	switch *mode {
	case corpus.ModeHybrid, corpus.ModeDense, corpus.ModeSparse:
	default:
		return &usageError{msg: fmt.Sprintf("--mode must be hybrid, dense or sparse, not %q", *mode), usage: searchUsage}
	}
	if *queries != "" && len(words) > 0 {
		return &usageError{msg: "give either a QUERY or --queries FILE, not both", usage: searchUsage}
	}
	if *queries == "" && len(words) == 0 {
		return &usageError{msg: "no query", usage: searchUsage}
	}
	var batch []batchQuery
	if *queries != "" {
		batch, err = c.readQueries(*queries)
		if err != nil {
			return err
		}
	}

	opts := emb.options(c.m.Stderr)
	opts.ReadOnly = true
	cp, err := corpus.Open(ctx, *store, opts)
	if err != nil {
		return err
	}
	defer cp.Close()
	if err := where.check(cp); err != nil {
		return err
	}
	so := corpus.SearchOptions{Where: where.filter, Mode: *mode, Exact: *exact}

	if *queries != "" {
		return c.runBatch(ctx, cp, batch, *k, so)
	}
	res, err := cp.Search(ctx, strings.Join(words, " "), *k, so)
	if err != nil {
		return err
	}
	return printResults(c.m.Stdout, res, *asJSON)
}

// batchQuery is one query of a --queries file.
type batchQuery struct {
	id   string
	text string
}

// batchChunk is how many queries are embedded and answered at once.
const batchChunk = 256

func (c *SearchCommand) runBatch(ctx context.Context, cp *corpus.Corpus, qs []batchQuery, k int, so corpus.SearchOptions) error {
	for start := 0; start < len(qs); start += batchChunk {
		part := qs[start:min(start+batchChunk, len(qs))]
		texts := make([]string, len(part))
		for i, q := range part {
			texts[i] = q.text
		}
		res, err := cp.SearchMany(ctx, texts, k, so)
		if err != nil {
			return fmt.Errorf("queries %s to %s: %w", part[0].id, part[len(part)-1].id, err)
		}
		for i, q := range part {
			out := struct {
				Query   string          `json:"query"`
				Results []corpus.Result `json:"results"`
			}{q.id, nonNil(res[i])}
			if err := writeJSON(c.m.Stdout, out); err != nil {
				return err
			}
		}
	}
	return nil
}

// readQueries reads a --queries file: plain lines, or JSON objects with id
// and text. Blank lines are skipped; line numbers count every line.
func (c *SearchCommand) readQueries(path string) ([]batchQuery, error) {
	var r io.Reader
	name := path
	if path == "-" {
		r, name = c.m.Stdin, "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	var out []batchQuery
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if s == "" {
			continue
		}
		q := batchQuery{id: strconv.Itoa(line), text: s}
		if strings.HasPrefix(s, "{") {
			var obj struct {
				ID   json.RawMessage `json:"id"`
				Text string          `json:"text"`
			}
			if err := json.Unmarshal([]byte(s), &obj); err != nil {
				return nil, fmt.Errorf("%s:%d: not a JSON query object: %v", name, line, err)
			}
			if strings.TrimSpace(obj.Text) == "" {
				return nil, fmt.Errorf("%s:%d: query object has no \"text\"", name, line)
			}
			q.text = obj.Text
			if len(obj.ID) > 0 && string(obj.ID) != "null" {
				var sid string
				if json.Unmarshal(obj.ID, &sid) != nil {
					sid = string(obj.ID) // a number: keep its JSON spelling
				}
				q.id = sid
			}
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no queries in it", name)
	}
	return out, nil
}

func nonNil(r []corpus.Result) []corpus.Result {
	if r == nil {
		return []corpus.Result{}
	}
	return r
}

// printResults writes search or similar results as JSON or a table.
func printResults(w io.Writer, res []corpus.Result, asJSON bool) error {
	if asJSON {
		return writeJSON(w, struct {
			Results []corpus.Result `json:"results"`
		}{nonNil(res)})
	}
	t := newTable(w, "rank", "score", "id", "title")
	for i, r := range res {
		t.add(strconv.Itoa(i+1), fmt.Sprintf("%.3f", r.Score), r.ID, r.Title)
	}
	if len(res) == 0 && isTerminal(w) {
		fmt.Fprintln(w, "no papers match")
		return nil
	}
	return t.flush()
}
