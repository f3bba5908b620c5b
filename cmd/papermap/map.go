package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/topicmap"
)

const mapUsage = `Usage: papermap map [flags] -o FILE

Draws the topic map of the stored papers: each paper a point, placed so that
papers with similar abstracts sit together (t-SNE, or UMAP up to 100 and
above 100,000 papers), coloured by theme, with
the theme names on their regions. The kind of map follows FILE's extension:

  .html  one self-contained interactive page (no network needed to view it):
         pan and zoom, hover for titles, a search box, click a paper for its
         nearest neighbours, colour by theme, year or a metadata field
         (venue, archive, ...); stays smooth with 100,000 papers
  .svg   a vector image with a legend, for papers and slides
  .png   the same as a picture
  .json  the layout for scripts:
           {"title", "layout", "theme_level",
            "papers": [{"id", "x", "y", "theme", "themes", "title", "year",
                        "fields"}...],
            "themes": [{"id", "label", "keywords", "size", "x", "y",
                        "level", "parent", "color"}...]}
         "themes" lists every level of the theme hierarchy (level 0 the
         broadest; IDs number each level's themes); a paper's "theme" is its
         theme ID at level "theme_level", the level 'papermap themes' chose
         (null for none), and "themes" its theme IDs from the broadest level
         down; a theme's (x, y) is where its label goes, "parent" the ID of
         its broader theme in the level above (null at level 0)

The interactive map labels the broad themes at the overview and their
sub-themes as you zoom in; the SVG and PNG maps label the broad themes on
the map and list every level in the legend. A sub-theme is drawn in a shade
of its broad theme's colour. The SVG and PNG maps frame the bulk of the
papers: a small island far from the rest (front matter, say) and stray
papers lie beyond the frame, which the map says, with the island's label
at the frame's edge.

The layout is saved in the store (by map, unless another papermap
process is writing to the store at that moment, and by analyze); later maps
reuse it, placing papers added since beside their nearest neighbours.
Without a saved layout, map computes it: by t-SNE from 101 to 100,000
papers (seconds for thousands of papers, 2-3 minutes for 100,000 on two
cores), by UMAP up to 100 papers (on samples of 60 and 90 papers it kept
more of each paper's neighbours and of their labels than t-SNE) and above
100,000 (it lays out a sample of 100,000, places the others
beside their neighbours and refines the whole map; the layout alone took
6.4 minutes and 3.2 GB for a million papers on two cores).

The saved themes are used (run 'papermap themes' first to choose them);
without saved themes, they are computed with k chosen automatically.

Flags:
  --store DIR   store directory (default ./papermap-store, env PAPERMAP_STORE)
  -o FILE       output file (.html, .svg, .png or .json)
  --title TEXT  title shown on the map (default: the store name)
  --layout L    auto (default: tsne from 101 to 100,000 papers, umap
                otherwise), tsne
                (Barnes-Hut t-SNE: neighbours stay neighbours and groups
                stand apart), umap (the same aim, in time linear in the
                papers) or pca (the first two principal components, the map
                of papermap 0.x); the JSON map's "layout" names the one used

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
	lay := fs.String("layout", corpus.Layouts[0], "map layout")
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
	if !slices.Contains(corpus.Layouts, *lay) {
		return &usageError{msg: fmt.Sprintf("--layout %q: use one of %s", *lay, strings.Join(corpus.Layouts, ", ")), usage: mapUsage}
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
	if err := writeMapWith(ctx, cp, m, *out, corpus.MapOptions{Title: mapTitle(*title, *store), Layout: *lay}); err != nil {
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

// writeMap writes the map with the default layout.
func writeMap(ctx context.Context, cp *corpus.Corpus, m *corpus.ThemeModel, path, title string) error {
	return writeMapWith(ctx, cp, m, path, corpus.MapOptions{Title: title})
}

func writeMapWith(ctx context.Context, cp *corpus.Corpus, m *corpus.ThemeModel, path string, opts corpus.MapOptions) error {
	tm, err := cp.Map(ctx, m, opts)
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
