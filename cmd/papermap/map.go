package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/topicmap"
)

const mapUsage = `Usage: papermap map [flags] -o FILE

Draws the topic map of the stored papers: each paper a point at its place on
the first two principal components of the vectors, coloured by theme, with
the theme names at their centres. The kind of map follows FILE's extension:

  .html  one self-contained interactive page (no network needed to view it):
         pan and zoom, hover for titles, a search box, click a paper for its
         nearest neighbours; stays smooth with 100,000 papers
  .svg   a vector image with a legend, for papers and slides
  .png   the same as a picture

The saved themes are used (run 'papermap themes' first to choose them);
without saved themes, they are computed with k chosen automatically.

Flags:
  --store DIR   store directory (default ./papermap-store, env PAPERMAP_STORE)
  -o FILE       output file (.html, .svg or .png)
  --title TEXT  title shown on the map (default: the store name)

Examples:
  papermap map -o map.html
  papermap map --store lab-store -o figures/themes.svg
`

// MapCommand draws the topic map.
type MapCommand struct {
	m *Main
}

// Run implements command.
func (c *MapCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("map")
	store := c.m.storeFlag(fs)
	out := fs.String("o", "", "output FILE")
	title := fs.String("title", "", "map title")
	pos, err := parseArgs(fs, args, mapUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q (the output file goes after -o)", pos[0]), usage: mapUsage}
	}
	if *out == "" {
		return &usageError{msg: "-o FILE is required", usage: mapUsage}
	}
	if err := checkExt(*out, topicmap.Formats...); err != nil {
		return &usageError{msg: err.Error(), usage: mapUsage}
	}
	cp, err := corpus.Open(ctx, *store, corpus.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer cp.Close()
	m, err := themesFor(ctx, cp, c.m.Stderr)
	if err != nil {
		return err
	}
	if err := writeMap(ctx, cp, m, *out, mapTitle(*title, *store)); err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "wrote %s (%s papers, %d themes)\n", *out, format.Int(cp.Len()), m.K)
	return nil
}

func mapTitle(title, store string) string {
	if title != "" {
		return title
	}
	return "papermap: " + filepath.Base(filepath.Clean(store))
}

func writeMap(ctx context.Context, cp *corpus.Corpus, m *corpus.ThemeModel, path, title string) error {
	tm, err := cp.Map(ctx, m, title)
	if err != nil {
		return err
	}
	return topicmap.WriteFile(path, tm)
}

// checkExt reports an error unless path ends in one of exts.
func checkExt(path string, exts ...string) error {
	ext := strings.ToLower(filepath.Ext(path))
	for _, e := range exts {
		if ext == e {
			return nil
		}
	}
	return fmt.Errorf("cannot tell what to write from %q: the file name must end in %s", path, strings.Join(exts, ", "))
}
