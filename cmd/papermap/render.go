package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/internal/format"
)

// themesFor returns the store's saved themes, computing them (k chosen
// automatically, not saved) when there are none, and says so on notice.
func themesFor(ctx context.Context, cp *corpus.Corpus, notice io.Writer) (*corpus.ThemeModel, error) {
	m, err := cp.LoadThemes()
	if errors.Is(err, corpus.ErrNoThemes) {
		m, err = computeThemes(ctx, cp, corpus.ThemeOptions{}, corpus.NamerOptions{}, notice)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(notice, "no saved themes: computed %d automatically (run `papermap themes` to choose and save them)\n", m.K)
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if m.Reembedded {
		// Computed on the vectors before a reindex: recompute with the
		// same number of themes for this run.
		k := m.K
		if m, err = computeThemes(ctx, cp, corpus.ThemeOptions{K: k, Seed: m.Seed}, corpus.NamerOptions{}, notice); err != nil {
			return nil, err
		}
		fmt.Fprintf(notice, "the saved themes predate the last reindex: computed %d again for this run (run `papermap themes` to save them)\n", k)
		return m, nil
	}
	if st := cp.Staleness(m); st.Stale {
		fmt.Fprintf(notice, "themes are stale: %s papers added or changed since they were computed are placed by their nearest theme (run `papermap themes` to recompute)\n", format.Int(st.New))
	}
	return m, nil
}
