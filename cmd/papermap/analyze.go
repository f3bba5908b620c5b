package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/ollama"
)

const analyzeUsage = `Usage: papermap analyze [flags] -o OUTDIR FILE...

The main job in one go: ingests FILEs into the store (as 'papermap ingest'),
groups the papers into themes with the number of themes chosen automatically
(as 'papermap themes'), prints the themes, and writes into OUTDIR:

  map.html     the interactive topic map (open it in a browser; works offline)
  map.svg      the same map as an image
  report.html  the research report, with the map inside
  report.md    the report in Markdown, linking map.html

Running it again on the same files reuses the stored papers and gives the
same themes. Afterwards the store answers 'papermap search' and
'papermap similar'.

Flags:
  -o OUTDIR             where to write the map and the report (created if missing)
  --store DIR           store directory (default ./papermap-store, env PAPERMAP_STORE)
  --embedder NAME       ` + embed.BackendAuto + ` (default), ` + embed.BackendOllama + ` or ` + embed.BackendLexical + `
  --model NAME          Ollama model (default ` + ollama.DefaultModel + `)
  --ollama-host URLS    Ollama server(s), comma-separated (default $` + ollama.HostEnv + `,
                        the store's, or ` + ollama.DefaultHost + `; also for --namer ollama)
  --format NAME         input format (default auto)
  --strict              reject the whole input if any record is bad
  --quiet               no progress output
` + themeFlagsUsage + namerFlagsUsage + `
Examples:
  papermap analyze -o papermap-out testdata/seed-abstracts.txt
  papermap analyze --store lab-store --k 12 -o lab-report papers.jsonl refs.bib
`

// AnalyzeCommand runs ingest, themes, map and report in one go.
type AnalyzeCommand struct {
	m *Main
}

// Run implements command.
func (c *AnalyzeCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("analyze")
	var f ingestFlags
	f.bind(c.m, fs)
	outDir := fs.String("o", "", "output directory")
	var topts corpus.ThemeOptions
	bindThemeFlags(fs, &topts)
	var nopts corpus.NamerOptions
	bindNamerFlags(fs, &nopts)
	files, err := parseArgs(fs, args, analyzeUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	if *outDir == "" {
		return &usageError{msg: "-o OUTDIR is required", usage: analyzeUsage}
	}
	if len(files) == 0 {
		return &usageError{msg: "no input files (use - for standard input)", usage: analyzeUsage}
	}
	if err := checkThemeFlags(topts, analyzeUsage); err != nil {
		return err
	}
	if err := checkNamerFlags(nopts, analyzeUsage); err != nil {
		return err
	}
	nopts.OllamaHosts = hostList(f.emb.hosts)
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}

	res, err := c.m.ingest(ctx, &f, files)
	if err != nil {
		return err
	}
	w := c.m.Stdout
	fmt.Fprintln(w, res.summary())

	cp, err := corpus.Open(ctx, *f.store, corpus.Options{Notice: c.m.Stderr, IndexThreshold: indexThreshold(c.m.Stderr)})
	if err != nil {
		return err
	}
	defer cp.CloseContext(ctx) // SIGINT/SIGTERM stop the index build at Close
	m, err := computeThemes(ctx, cp, topts, nopts, c.m.Stderr)
	if err != nil {
		return err
	}

	// The files are written before the themes are printed: a reader who
	// pipes the table into head (which closes the pipe, and a write to it
	// ends the process) still gets the map and the report.
	title := mapTitle("", *f.store)
	mapHTML := filepath.Join(*outDir, "map.html")
	mapSVG := filepath.Join(*outDir, "map.svg")
	for _, p := range []string{mapHTML, mapSVG} {
		if err := writeMap(ctx, cp, m, p, title); err != nil {
			return err
		}
	}
	r, err := buildReport(ctx, cp, m, reportTitle("", *f.store), 0.95)
	if err != nil {
		return err
	}
	reportMD := filepath.Join(*outDir, "report.md")
	r.MapHTML = "map.html"
	if err := writeReport(ctx, cp, m, r, reportMD); err != nil {
		return err
	}
	r.MapHTML = ""
	reportHTML := filepath.Join(*outDir, "report.html")
	if err := writeReport(ctx, cp, m, r, reportHTML); err != nil {
		return err
	}
	reportK(c.m.Stderr, m)
	fmt.Fprintln(w)
	if err := printThemes(w, cp, m); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwrote %s, %s, %s and %s\n", mapHTML, mapSVG, reportHTML, reportMD)
	fmt.Fprintf(w, "next: open %s in a browser, or try: papermap search --store %s \"your question\"\n", mapHTML, *f.store)
	return nil
}
