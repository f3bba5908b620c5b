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

Groups the stored papers into a hierarchy of themes (spherical k-means on
their vectors), names each theme from its most distinctive words, and saves
the themes in the store for map, report and papers added later. Prints one
row per theme of the chosen level (id, size, stability, label, keywords,
most central paper), then the theme tree: broad themes and their
sub-themes, each level a partition of all papers.

With --k auto (the default) the number of themes is chosen by stability:
for each k in the range, k-means runs on 5 subsamples with different seeds,
and the k whose partitions agree best (adjusted Rand index) beyond what the
same procedure gives on data of the same mean and covariance without
clusters is chosen. Every k tried and its scores are printed on stderr,
with a warning when the choice is at the edge of the range. Each theme's
stability (mean best-match Jaccard index across the subsample fits) is
shown; one below 0.5 is marked unstable: an artefact of one seed rather than
a structure of the papers. Themes of conference front matter ("Session
details: Keynote") or of papers without abstracts are marked boilerplate.
The same papers and --seed always give the same themes and labels, whatever
the order in which they were ingested.

The finest level splits each theme into sub-themes in proportion to its
size (about √(papers/2) themes in all); when the chosen level has more than
20 themes, a broader level groups them. On more than 50,000 papers, auto
looks at a sample of 20,000 of them and the themes come from mini-batch
k-means refined by Lloyd iterations. On more than 100,000 papers, the
themes are fitted on a sample of 100,000 (neighbour smoothing, k, k-means,
sub-themes) and every paper joins the nearest of them. Each stage that lasts more than two seconds is
named on stderr.

With --namer ollama, a local generative model names the themes instead of
their keywords: for each theme, its keywords and the titles and abstracts
of its four most central papers go to the Ollama server (POST
/api/generate; temperature 0 and --seed, so the same model gives the same
names) with a request for a short label of three words at most; broader
themes are named from their sub-themes' names. The answer is cut to one
line of at most six words and 60 characters, without markup or quotes; an
answer with nothing name-like left keeps the keyword label. Names are
cached in the store (theme-names.json) with the model, its digest and the
prompt, and asked again only when a theme or the model changes. If the
server or the model is missing, the themes keep their keyword labels and
one message on stderr says why. No claim is made about the names' quality:
no real model could be tried where papermap is developed.

Flags:
  --store DIR     store directory (default ./papermap-store, env PAPERMAP_STORE)
` + themeFlagsUsage + namerFlagsUsage + `  --ollama-host URLS
                  Ollama server(s) for --namer ollama, comma-separated
                  (default $OLLAMA_HOST or http://127.0.0.1:11434)
  --json          print {"k", "themes": [{"id", "label", "keywords", "size",
                  "members", "representatives", "stability", "coherence",
                  "unstable", "boilerplate"}, ...], "hierarchy": [[{"id", "label",
                  "keywords", "size", "parent", "children", ...}, ...], ...],
                  "chosen_level", "k_scores", "silhouette", "diversity",
                  "coherence", ...}; hierarchy levels go broadest first

Examples:
  papermap themes
  papermap themes --k 18 --seed 1
  papermap themes --json | jq '.themes[] | {label, size, stability}'
  papermap themes --json | jq '.hierarchy[0][] | {label, children}'
  papermap themes --namer ollama --namer-model llama3.2
`

// ThemesCommand computes and prints the themes.
type ThemesCommand struct {
	m *Main
}

// Run implements command.
func (c *ThemesCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("themes")
	store := c.m.storeFlag(fs)
	var opts corpus.ThemeOptions
	bindThemeFlags(fs, &opts)
	asJSON := fs.Bool("json", false, "JSON output")
	var nopts corpus.NamerOptions
	bindNamerFlags(fs, &nopts)
	hosts := fs.String("ollama-host", "", "Ollama `URL[,URL...]` for --namer ollama")
	pos, err := parseArgs(fs, args, themesUsage, c.m.Stdout)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", pos[0]), usage: themesUsage}
	}
	if err := checkThemeFlags(opts, themesUsage); err != nil {
		return err
	}
	if err := checkNamerFlags(nopts, themesUsage); err != nil {
		return err
	}
	nopts.OllamaHosts = hostList(*hosts)
	cp, err := corpus.Open(ctx, *store, corpus.Options{Notice: c.m.Stderr, IndexThreshold: indexThreshold(c.m.Stderr)})
	if err != nil {
		return err
	}
	defer cp.CloseContext(ctx) // SIGINT/SIGTERM stop the index build at Close
	m, err := computeThemes(ctx, cp, opts, nopts, c.m.Stderr)
	if err != nil {
		return err
	}
	reportK(c.m.Stderr, m)
	if *asJSON {
		return writeJSON(c.m.Stdout, themesJSON(m))
	}
	return printThemes(c.m.Stdout, cp, m)
}

// computeThemes computes the themes of cp and names them as nopts says
// (with the themes' seed), naming each stage that lasts more than
// stageDelay on w.
func computeThemes(ctx context.Context, cp *corpus.Corpus, opts corpus.ThemeOptions, nopts corpus.NamerOptions, w io.Writer) (*corpus.ThemeModel, error) {
	nopts.Seed = int(opts.Seed % (1 << 31))
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
		st.stage(fmt.Sprintf("naming the themes with %s", nopts.Model))
	}
	return m, cp.NameThemes(ctx, m, namer)
}

// reportK tells w how k was chosen, the silhouette, and warns when the
// choice sits at the edge of the range tried.
func reportK(w io.Writer, m *corpus.ThemeModel) {
	if m.Auto && len(m.KScores) > 0 {
		fmt.Fprintln(w, kChoice(m))
		lo, hi := m.KScores[0].K, m.KScores[len(m.KScores)-1].K
		switch {
		case m.K == hi && hi > lo:
			fmt.Fprintf(w, "warning: k = %d is the largest k tried: more themes may fit better (try --max-k %d)\n", m.K, 2*hi)
		case m.K == lo && hi > lo && lo > 2:
			fmt.Fprintf(w, "warning: k = %d is the smallest k tried (try --min-k 2)\n", m.K)
		}
	}
	if m.FitSample > 0 {
		fmt.Fprintf(w, "themes fitted on a sample of %s of the %s papers; the others placed by their nearest theme\n", format.Int(m.FitSample), format.Int(len(m.IDs)))
	}
	fmt.Fprintf(w, "silhouette %.3f · keyword diversity %.3f · NPMI coherence %.3f", m.Silhouette, m.Levels[m.Chosen].Diversity, m.Levels[m.Chosen].Coherence)
	sizes := make([]string, len(m.Levels))
	for l, lv := range m.Levels {
		sizes[l] = strconv.Itoa(len(lv.Themes))
	}
	fmt.Fprintf(w, " · levels %s (themes above: level %d)\n", strings.Join(sizes, " > "), m.Chosen+1)
}

// kChoice explains how k was chosen.
func kChoice(m *corpus.ThemeModel) string {
	var b strings.Builder
	fmt.Fprintf(&b, "k = %d chosen by stability beyond a reference without clusters (score = stability − reference, higher is better", m.K)
	if m.KSample > 0 {
		fmt.Fprintf(&b, "; on a sample of %s papers", format.Int(m.KSample))
	}
	b.WriteString("):")
	for _, s := range m.KScores {
		mark := ""
		if s.K == m.K {
			mark = "*"
		}
		fmt.Fprintf(&b, " %d:%.3f%s", s.K, s.Score, mark)
	}
	return b.String()
}

func themesJSON(m *corpus.ThemeModel) any {
	type kscore struct {
		K             int     `json:"k"`
		Stability     float64 `json:"stability"`
		NullStability float64 `json:"null_stability"`
		Score         float64 `json:"score"`
	}
	ks := make([]kscore, 0, len(m.KScores))
	for _, s := range m.KScores {
		ks = append(ks, kscore{s.K, s.Stability, s.NullStability, s.Score})
	}
	lv := m.Levels[m.Chosen]
	return struct {
		K           int                  `json:"k"`
		Themes      []corpus.Theme       `json:"themes"`
		Hierarchy   [][]corpus.TreeTheme `json:"hierarchy"`
		ChosenLevel int                  `json:"chosen_level"`
		Auto        bool                 `json:"auto"`
		KScores     []kscore             `json:"k_scores,omitempty"`
		Seed        uint64               `json:"seed"`
		Silhouette  float64              `json:"silhouette"`
		Diversity   float64              `json:"diversity"`
		Coherence   float64              `json:"coherence"`
		Papers      int                  `json:"papers"`
	}{m.K, m.Themes, m.Hierarchy(), m.Chosen, m.Auto, ks, m.Seed, m.Silhouette, lv.Diversity, lv.Coherence, m.Papers}
}

// themeNote is what the table says of a theme besides its words.
func themeNote(boilerplate, unstable bool) string {
	switch {
	case boilerplate && unstable:
		return " [boilerplate, unstable]"
	case boilerplate:
		return " [boilerplate]"
	case unstable:
		return " [unstable]"
	}
	return ""
}

func printThemes(w io.Writer, cp *corpus.Corpus, m *corpus.ThemeModel) error {
	t := newTable(w, "id", "size", "stability", "label", "keywords", "representative paper")
	for _, th := range m.Themes {
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
		t.add(strconv.Itoa(th.ID), strconv.Itoa(th.Size), stabilityCell(th.Stability), th.Label+themeNote(th.Boilerplate, th.Unstable), strings.Join(kw, ", "), rep)
	}
	if err := t.flush(); err != nil {
		return err
	}
	h := m.Hierarchy()
	if len(h) < 2 {
		return nil
	}
	fmt.Fprintf(w, "\ntheme tree (%d levels, broadest first; size, stability):\n", len(h))
	var walk func(l, id int, indent string)
	walk = func(l, id int, indent string) {
		th := h[l][id]
		fmt.Fprintf(w, "%s%d %s (%s, %s)%s\n", indent, th.ID, oneLineLabel(th.Label), format.Int(th.Size), stabilityCell(th.Stability), themeNote(th.Boilerplate, th.Unstable))
		if l+1 < len(h) {
			for _, c := range th.Children {
				walk(l+1, c, indent+"  ")
			}
		}
	}
	for id := range h[0] {
		walk(0, id, "")
	}
	return nil
}

func stabilityCell(s float64) string {
	if s < 0 {
		return "-"
	}
	return strconv.FormatFloat(s, 'f', 2, 64)
}

func oneLineLabel(s string) string { return strings.Join(strings.Fields(s), " ") }
