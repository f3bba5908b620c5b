package main

import (
	"context"
	"fmt"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/internal/format"
)

const reindexUsage = `Usage: papermap reindex [flags]

Re-embeds every stored paper. For a lexical store the model (vocabulary and
dimensions) is fitted again on all the stored papers, so a library that grew
from a small first ingest gets a model of everything it holds; ingest does
this by itself when the store reaches twice the papers the model was fitted
on ('papermap info' shows "fitted on N papers"). For an Ollama store the
papers are embedded again with its model, or with --model NAME to move the
store to another model.

The new store is built beside the old one and put in its place in one
atomic step: an interrupted reindex (Ctrl-C, a crash) leaves the old model
and vectors, or the new ones, never a mix; run it again to finish. The
saved themes are kept but stale ('papermap info' says so) until 'papermap
themes' computes them again; map, report and analyze compute them again
(same number of themes) for their run, and the map layout too. Reindex holds the store like ingest does: other writers
wait, search and info may run meanwhile (until the switch, they see the old
vectors).

Flags:
  --store DIR         store directory (default ./papermap-store, env PAPERMAP_STORE)
  --model NAME        Ollama stores: the model to move to (default: the store's)
  --ollama-host URLS  Ollama server(s), comma-separated (default as for ingest)
  --batch-size N      texts per Ollama request (default 16)
  --json              print {"papers": N, "before": {...}, "after": {...},
                      "fitted_on": N} (embedders as info prints them)
  --quiet             no progress output

Examples:
  papermap reindex --store lab-store
  papermap reindex --store rag-map --model mxbai-embed-large
`

// ReindexCommand re-embeds every stored paper.
type ReindexCommand struct {
	m *Main
}

// reindexJSON is the --json output of reindex.
type reindexJSON struct {
	Papers   int        `json:"papers"`
	Before   embed.Info `json:"before"`
	After    embed.Info `json:"after"`
	FittedOn int        `json:"fitted_on,omitempty"`
}

// Run implements command.
func (c *ReindexCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("reindex")
	store := c.m.storeFlag(fs)
	var ef embedFlags
	fs.StringVar(&ef.model, "model", "", "Ollama `MODEL` to move to")
	fs.StringVar(&ef.hosts, "ollama-host", "", "Ollama `URL[,URL...]`")
	fs.IntVar(&ef.batch, "batch-size", 0, "texts per Ollama request")
	asJSON := fs.Bool("json", false, "JSON summary")
	quiet := fs.Bool("quiet", false, "no progress output")
	pos, err := parseArgs(fs, args, reindexUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: "reindex takes no arguments", usage: reindexUsage}
	}
	model := ef.model
	ef.model = "" // the store is opened with its own model
	opts := ef.options(c.m.Stderr)
	cp, err := corpus.Open(ctx, *store, opts)
	if err != nil {
		return err
	}
	defer cp.CloseContext(ctx) // SIGINT/SIGTERM stop the index build at Close
	var ro corpus.ReindexOptions
	ro.Model = model
	if !*quiet {
		ro.Progress = func(p corpus.Progress) {
			if p.Stage != "" {
				fmt.Fprintf(c.m.Stderr, "reindex: %s\n", p.Stage)
			} else if p.Done == p.Total {
				fmt.Fprintf(c.m.Stderr, "reindex: %s papers embedded\n", format.Int(p.Done))
			}
		}
	}
	st, err := cp.Reindex(ctx, ro)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c.m.Stdout, reindexJSON{Papers: st.Papers, Before: st.Before, After: st.After, FittedOn: st.FittedOn})
	}
	fmt.Fprintf(c.m.Stdout, "reindexed %s papers: %s %s, %d dimensions (was %s %s, %d)\n",
		format.Int(st.Papers), st.After.Backend, st.After.Model, st.After.Dimensions,
		st.Before.Backend, st.Before.Model, st.Before.Dimensions)
	if st.FittedOn > 0 {
		fmt.Fprintf(c.m.Stdout, "the lexical model is fitted on %s papers; run 'papermap themes' to compute the themes again\n", format.Int(st.FittedOn))
	}
	return nil
}
