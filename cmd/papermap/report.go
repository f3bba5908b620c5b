package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/internal/safefile"
	"github.com/papermap/papermap/topicmap"
)

const reportUsage = `Usage: papermap report [flags] -o FILE

Writes the research report of the stored papers: a summary of the corpus,
how the themes were made, each theme with its label, size, keywords and most
central papers, themes over time (each theme's share of each year's or
period's papers, with counts; when years are known), outlier papers (far
from every theme) and near-duplicate pairs. The format follows FILE's
extension:

  .md    Markdown, for a repository or a wiki; links the map given by --map
         and shows the map as a picture written beside it (FILE's name with
         .map.svg, e.g. report.map.svg; replaced if it exists)
  .html  one self-contained page with the interactive map inside

Flags:
  --store DIR        store directory (default ./papermap-store, env PAPERMAP_STORE)
  -o FILE            output file (.md or .html)
  --map PATH         map to link from a Markdown report (e.g. one made by 'papermap map')
  --duplicates COS   cosine above which two papers count as near-duplicates (default 0.95)
  --title TEXT       report title

Examples:
  papermap report -o report.html
  papermap map -o map.svg && papermap report -o report.md --map map.svg
`

// ReportCommand writes the research report.
type ReportCommand struct {
	m *Main
}

// Run implements command.
func (c *ReportCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("report")
	store := c.m.storeFlag(fs)
	out := fs.String("o", "", "output FILE")
	mapPath := fs.String("map", "", "map to link")
	dup := fs.Float64("duplicates", 0.95, "near-duplicate cosine")
	title := fs.String("title", "", "report title")
	pos, err := parseArgs(fs, args, reportUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q (the output file goes after -o)", pos[0]), usage: reportUsage}
	}
	if *out == "" {
		return &usageError{msg: "-o FILE is required", usage: reportUsage}
	}
	if err := checkExt(*out, ".md", ".markdown", ".html", ".htm"); err != nil {
		return &usageError{msg: err.Error(), usage: reportUsage}
	}
	if *dup <= 0 || *dup > 1 {
		return &usageError{msg: fmt.Sprintf("--duplicates must be in (0, 1], not %g", *dup), usage: reportUsage}
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
	r, err := buildReport(ctx, cp, m, reportTitle(*title, *store), *dup)
	if err != nil {
		return err
	}
	if *mapPath != "" {
		r.MapHTML = relLink(*out, *mapPath)
	}
	if err := writeReport(ctx, cp, m, r, *out); err != nil {
		return err
	}
	fmt.Fprintf(c.m.Stdout, "wrote %s (%s papers, %d themes)\n", *out, format.Int(cp.Len()), m.K)
	return nil
}

func reportTitle(title, store string) string {
	if title != "" {
		return title
	}
	return "papermap report: " + filepath.Base(filepath.Clean(store))
}

func buildReport(ctx context.Context, cp *corpus.Corpus, m *corpus.ThemeModel, title string, dup float64) (*topicmap.Report, error) {
	r, err := cp.Report(ctx, m, corpus.ReportOptions{DuplicateCosine: dup})
	if err != nil {
		return nil, err
	}
	r.Title = title
	r.Generated = time.Now().UTC().Truncate(time.Second)
	return r, nil
}

// writeReport writes r by the extension of path; an HTML report carries the
// interactive map inside.
func writeReport(ctx context.Context, cp *corpus.Corpus, m *corpus.ThemeModel, r *topicmap.Report, path string) error {
	ext := strings.ToLower(filepath.Ext(path))
	if ext == ".html" || ext == ".htm" {
		tm, err := cp.Map(ctx, m, corpus.MapOptions{Title: r.Title})
		if err != nil {
			return err
		}
		r.EmbedMap = tm
		return atomicWrite(path, func(w io.Writer) error { return topicmap.WriteReportHTML(w, r) })
	}
	// The Markdown report shows the map as an SVG picture beside it
	// (REPORT.map.svg) unless the caller names one (r.MapImage):
	// Markdown viewers draw images, not pages.
	if r.MapImage == "" {
		tm, err := cp.Map(ctx, m, corpus.MapOptions{Title: r.Title})
		if err != nil {
			return err
		}
		pic := strings.TrimSuffix(path, filepath.Ext(path)) + ".map.svg"
		if err := topicmap.WriteFile(pic, tm); err != nil {
			return err
		}
		r.MapImage = filepath.Base(pic)
	}
	return atomicWrite(path, func(w io.Writer) error { return topicmap.WriteMarkdown(w, r) })
}

// relLink expresses target relative to the directory of from, for links.
func relLink(from, target string) string {
	rel, err := filepath.Rel(filepath.Dir(from), target)
	if err != nil {
		return filepath.ToSlash(target)
	}
	return filepath.ToSlash(rel)
}

// atomicWrite replaces path (never through a symbolic link) with what
// write writes, mode 0644, so a failed write leaves no half file.
func atomicWrite(path string, write func(io.Writer) error) error {
	if err := safefile.Write(path, 0o644, write); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
