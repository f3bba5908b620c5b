package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/internal/textsafe"
)

const infoUsage = `Usage: papermap info [flags]

Shows what a store holds: how many papers, which embedder made their
vectors, and the state of its themes (stale when papers were added or
changed since they were computed, or embedded again by reindex or an
automatic refit: "reembedded": true in --json).

Flags:
  --store DIR   store directory (default ./papermap-store, env PAPERMAP_STORE)
  --json        print {"papers": N, "embedder": "...", "model": "...", "dimensions": D,
                "fitted_on": N (lexical: papers the model was fitted on), "themes": {...},
                "sources": ["FILE", ...]} (sources: the input files ingested)

Examples:
  papermap info
  papermap info --store lab-store --json
`

// InfoCommand describes a store.
type InfoCommand struct {
	m *Main
}

type themeState struct {
	K        int       `json:"k"`
	Computed time.Time `json:"computed"`
	Papers   int       `json:"papers"` // papers they were computed from
	Stale    bool      `json:"stale"`
	// Reembedded: stale because the papers were embedded again (reindex).
	Reembedded bool `json:"reembedded,omitempty"`
	New        int  `json:"new"`
	Removed    int  `json:"removed"`
}

// Run implements command.
func (c *InfoCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("info")
	store := c.m.storeFlag(fs)
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parseArgs(fs, args, infoUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", pos[0]), usage: infoUsage}
	}
	cp, err := corpus.Open(ctx, *store, corpus.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer cp.Close()

	out := struct {
		Store      string      `json:"store"`
		Papers     int         `json:"papers"`
		Embedder   string      `json:"embedder"`
		Model      string      `json:"model"`
		Dimensions int         `json:"dimensions"`
		FittedOn   int         `json:"fitted_on,omitempty"`
		Themes     *themeState `json:"themes"`
		Sources    []string    `json:"sources,omitempty"`
	}{Store: cp.Dir(), Papers: cp.Len(), FittedOn: cp.FittedOn()}
	if out.Sources, err = cp.Sources(); err != nil {
		return err
	}
	if e := cp.Embedder(); e != nil {
		info := e.Info()
		out.Embedder, out.Model, out.Dimensions = info.Backend, info.Model, info.Dimensions
		m, err := cp.LoadThemes()
		switch {
		case err == nil:
			st := cp.Staleness(m)
			out.Themes = &themeState{K: m.K, Computed: m.Created, Papers: m.Papers, Stale: st.Stale, New: st.New, Removed: st.Removed, Reembedded: st.Reembedded}
		case !errors.Is(err, corpus.ErrNoThemes):
			return err
		}
	}
	if *asJSON {
		return writeJSON(c.m.Stdout, out)
	}
	w := c.m.Stdout
	fmt.Fprintf(w, "store:      %s\n", out.Store)
	fmt.Fprintf(w, "papers:     %s\n", format.Int(out.Papers))
	if out.Embedder == "" {
		fmt.Fprintln(w, "embedder:   none yet (chosen at the first ingest)")
		return nil
	}
	fmt.Fprintf(w, "embedder:   %s\n", out.Embedder)
	fmt.Fprintf(w, "model:      %s\n", out.Model)
	fmt.Fprintf(w, "dimensions: %d\n", out.Dimensions)
	if out.FittedOn > 0 {
		fmt.Fprintf(w, "fitted on:  %s papers (the lexical model's vocabulary and dimensions)\n", format.Int(out.FittedOn))
	}
	if len(out.Sources) > 0 {
		fmt.Fprintf(w, "sources:    %s\n", textsafe.Line(strings.Join(out.Sources, ", ")))
	}
	switch t := out.Themes; {
	case t == nil:
		fmt.Fprintln(w, "themes:     none yet (run `papermap themes`)")
	case t.Reembedded:
		fmt.Fprintf(w, "themes:     %d, computed %s from %s papers; STALE: the papers were embedded again since (reindex or refit of the lexical model; run `papermap themes` to recompute)\n",
			t.K, t.Computed.Format(time.RFC3339), format.Int(t.Papers))
	case t.Stale:
		fmt.Fprintf(w, "themes:     %d, computed %s from %s papers; STALE: %s added or changed, %s removed since (run `papermap themes` to recompute)\n",
			t.K, t.Computed.Format(time.RFC3339), format.Int(t.Papers), format.Int(t.New), format.Int(t.Removed))
	default:
		fmt.Fprintf(w, "themes:     %d, computed %s, up to date\n", t.K, t.Computed.Format(time.RFC3339))
	}
	return nil
}
