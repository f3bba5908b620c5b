package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/internal/format"
)

const themesUsage = `Usage: papermap themes [flags]

Groups the stored papers into themes (spherical k-means on their vectors),
names each theme from its most distinctive words, and saves the themes in
the store for map, report and papers added later. Prints one row per theme:
id, size, label, keywords and its most central paper.

With --k auto (the default) the number of themes is chosen by the silhouette
score over a range of k; every k tried and its score are printed on stderr.
The same papers and --seed always give the same themes, whatever the order
in which they were ingested.

On more than 50,000 papers, auto tries each k on a sample of 20,000 of them,
and the themes come from mini-batch k-means over all papers (within about
0.1% of full k-means, many times faster). Each stage that lasts more than
two seconds is named on stderr.

With --namer ollama, a local generative model names the themes instead of
their keywords: for each theme, its keywords and the titles and abstracts
of its four most central papers go to the Ollama server (POST
/api/generate; temperature 0 and --seed, so the same model gives the same
names) with a request for a short label of three words at most. The answer
is cut to one line of at most six words and 60 characters, without markup
or quotes; an answer with nothing name-like left keeps the keyword label.
Names are cached in the store (theme-names.json) with the model, its digest
and the prompt, and asked again only when a theme or the model changes. If
the server or the model is missing, the themes keep their keyword labels
and one message on stderr says why. No claim is made about the names'
quality: no real model could be tried where papermap is developed.

Flags:
  --store DIR     store directory (default ./papermap-store, env PAPERMAP_STORE)
  --k N|auto      number of themes (default auto)
  --min-k N       smallest k tried by auto (default 2)
  --max-k N       largest k tried by auto (default: grows with the corpus, at most 30)
  --seed N        random seed (default 0)
  --neighbors N   average each paper's vector with its N nearest neighbours
                  before clustering, which tightens themes of short abstracts
                  (default 10, fewer for small corpora; -1 turns it off)
  --namer NAME    keywords (default) or ollama
  --namer-model M the Ollama generative model for --namer ollama (` + "`ollama list`" + `)
  --ollama-host URLS
                  Ollama server(s) for --namer ollama, comma-separated
                  (default $OLLAMA_HOST or http://127.0.0.1:11434)
  --json          print {"k": N, "themes": [{"id", "label", "keywords", "size", "members"}, ...]}

Examples:
  papermap themes
  papermap themes --k 18 --seed 1
  papermap themes --json | jq '.themes[] | {label, size}'
  papermap themes --namer ollama --namer-model llama3.2
`

// ThemesCommand computes and prints the themes.
type ThemesCommand struct {
	m *Main
}

// themeFlags are shared by themes and analyze.
type themeFlags struct {
	k          string
	minK, maxK int
	seed       uint64
	neighbors  int
}

func (f *themeFlags) options(usage string) (corpus.ThemeOptions, error) {
	o := corpus.ThemeOptions{MinK: f.minK, MaxK: f.maxK, Seed: f.seed, Neighbors: f.neighbors}
	if f.k != "auto" && f.k != "" {
		k, err := strconv.Atoi(f.k)
		if err != nil || k <= 0 {
			return o, &usageError{msg: fmt.Sprintf("--k must be a positive number or auto, not %q", f.k), usage: usage}
		}
		o.K = k
	}
	if f.minK < 0 || f.maxK < 0 || (f.maxK > 0 && f.minK > f.maxK) {
		return o, &usageError{msg: fmt.Sprintf("bad range --min-k %d --max-k %d", f.minK, f.maxK), usage: usage}
	}
	return o, nil
}

// Run implements command.
func (c *ThemesCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("themes")
	store := c.m.storeFlag(fs)
	var tf themeFlags
	fs.StringVar(&tf.k, "k", "auto", "number of themes or auto")
	fs.IntVar(&tf.minK, "min-k", 0, "smallest k for auto")
	fs.IntVar(&tf.maxK, "max-k", 0, "largest k for auto")
	fs.Uint64Var(&tf.seed, "seed", 0, "random seed")
	fs.IntVar(&tf.neighbors, "neighbors", 0, "neighbours averaged before clustering (-1: none)")
	asJSON := fs.Bool("json", false, "JSON output")
	var nf namerFlags
	nf.bind(fs)
	hosts := fs.String("ollama-host", "", "Ollama `URL[,URL...]` for --namer ollama")
	pos, err := parseArgs(fs, args, themesUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", pos[0]), usage: themesUsage}
	}
	opts, err := tf.options(themesUsage)
	if err != nil {
		return err
	}
	nopts, err := nf.options(*hosts, tf.seed, themesUsage)
	if err != nil {
		return err
	}
	cp, err := corpus.Open(ctx, *store, corpus.Options{Notice: c.m.Stderr})
	if err != nil {
		return err
	}
	defer cp.Close()
	m, err := computeThemes(ctx, cp, opts, nopts, c.m.Stderr)
	if err != nil {
		return err
	}
	if m.Auto {
		fmt.Fprintln(c.m.Stderr, kChoice(m))
	}
	if *asJSON {
		return writeJSON(c.m.Stdout, themesJSON(m))
	}
	return printThemes(c.m.Stdout, cp, m.Themes)
}

// computeThemes computes the themes of cp and names them as nopts says,
// naming each stage that lasts more than stageDelay on w.
func computeThemes(ctx context.Context, cp *corpus.Corpus, opts corpus.ThemeOptions, nopts corpus.NamerOptions, w io.Writer) (*corpus.ThemeModel, error) {
	namer, err := cp.Namer(nopts)
	if err != nil {
		return nil, err
	}
	st := newStages(w, "themes")
	defer st.done()
	opts.Progress = st.stage
	m, err := cp.ComputeThemes(ctx, opts)
	if err != nil {
		return nil, err
	}
	if nopts.Namer == corpus.NamerOllama {
		st.stage(fmt.Sprintf("naming %d themes with %s", len(m.Themes), nopts.Model))
	}
	return m, cp.NameThemes(ctx, m, namer)
}

// kChoice explains how k was chosen.
func kChoice(m *corpus.ThemeModel) string {
	var b strings.Builder
	fmt.Fprintf(&b, "k = %d chosen by silhouette (higher is better", m.K)
	if m.KSample > 0 {
		fmt.Fprintf(&b, "; k-means on a sample of %s papers for each k", format.Int(m.KSample))
	}
	b.WriteString("):")
	for _, s := range m.KScores {
		mark := ""
		if s.K == m.K {
			mark = "*"
		}
		fmt.Fprintf(&b, " %d:%.3f%s", s.K, s.Silhouette, mark)
	}
	return b.String()
}

func themesJSON(m *corpus.ThemeModel) any {
	type kscore struct {
		K          int     `json:"k"`
		Silhouette float64 `json:"silhouette"`
	}
	ks := make([]kscore, 0, len(m.KScores))
	for _, s := range m.KScores {
		ks = append(ks, kscore{s.K, s.Silhouette})
	}
	return struct {
		K          int            `json:"k"`
		Themes     []corpus.Theme `json:"themes"`
		Auto       bool           `json:"auto"`
		KScores    []kscore       `json:"k_scores,omitempty"`
		Seed       uint64         `json:"seed"`
		Silhouette float64        `json:"silhouette"`
		Papers     int            `json:"papers"`
	}{m.K, m.Themes, m.Auto, ks, m.Seed, m.Silhouette, m.Papers}
}

func printThemes(w io.Writer, cp *corpus.Corpus, themes []corpus.Theme) error {
	t := newTable(w, "id", "size", "label", "keywords", "representative paper")
	for _, th := range themes {
		rep := ""
		if len(th.Representatives) > 0 {
			if p, ok := cp.Paper(th.Representatives[0]); ok {
				rep = p.Title
			}
		}
		kw := th.Keywords
		if len(kw) > 5 {
			kw = kw[:5]
		}
		t.add(strconv.Itoa(th.ID), strconv.Itoa(th.Size), th.Label, strings.Join(kw, ", "), rep)
	}
	return t.flush()
}
