package corpus

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/paper"
)

// acmFile is the ACM DL corpus, read from the shared data next to the
// checkout (its abstracts are copyrighted: never copied into the repo).
const acmFile = "../../shared/data/acm-cr/acm-dl-docs.jsonl.gz"

// texWords are TeX commands and HTML/JATS debris that a keyword made of
// markup would show.
var texWords = map[string]bool{
	"bar": true, "frac": true, "mathrm": true, "mathbf": true, "mathcal": true, "textit": true, "textbf": true,
	"emph": true, "cdot": true, "ldots": true, "cite": true, "jats": true, "amp": true, "quot": true, "nbsp": true,
	"http": true, "https": true, "www": true, "rm": true, "cal": true,
}

// labelWord is what a label may hold: letters, digits, and the joiners
// of words and phrases.
var labelWord = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}'’.\-]*$`)

// checkLabels checks every label of every level: no word form twice, no
// markup, distinct among siblings.
func checkLabels(t *testing.T, name string, m *ThemeModel) {
	t.Helper()
	for l, level := range m.Hierarchy() {
		siblings := map[[2]any]bool{}
		for _, th := range level {
			key := [2]any{th.Parent, th.Label}
			if siblings[key] {
				t.Errorf("%s level %d: two sibling themes labelled %q", name, l, th.Label)
			}
			siblings[key] = true
			forms := map[string]bool{}
			for _, phrase := range strings.Split(th.Label, " / ") {
				for _, w := range strings.Fields(phrase) {
					if !labelWord.MatchString(w) || texWords[w] {
						t.Errorf("%s level %d: label %q holds markup %q", name, l, th.Label, w)
					}
					if f := cluster.WordForm(w); forms[f] {
						t.Errorf("%s level %d: label %q repeats the word form %q", name, l, th.Label, f)
					} else {
						forms[f] = true
					}
				}
			}
			for _, k := range th.Keywords {
				for _, w := range strings.Fields(k) {
					if texWords[w] || strings.ContainsAny(w, `\$^_{}<>&`) {
						t.Errorf("%s level %d: theme %q has a markup keyword %q", name, l, th.Label, k)
					}
				}
			}
		}
	}
}

func TestThemeLabels(t *testing.T) {
	t.Run("seed", func(t *testing.T) {
		papers, _, err := paper.ReadFile("../testdata/seed-abstracts.txt", paper.Options{})
		if err != nil {
			t.Fatal(err)
		}
		c := ingestPapers(t, papers)
		m, err := c.ComputeThemes(t.Context(), ThemeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkLabels(t, "seed", m)
	})
	t.Run("arxiv", func(t *testing.T) {
		c := ingestArxiv(t, nil)
		m, err := c.ComputeThemes(t.Context(), ThemeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkLabels(t, "arxiv", m)
		checkPartitions(t, m, 2000)
	})
	t.Run("acm", func(t *testing.T) {
		// Every 20th record of the ACM DL (about 5,700 papers, some 190
		// of them conference front matter, "Session details: ...", and
		// others without abstract, as editorials): the labels pass, the
		// front matter is a theme flagged as boilerplate, and a flagged
		// theme is mostly such papers.
		if _, err := os.Stat(acmFile); err != nil {
			t.Skipf("ACM data not here (%v)", err)
		}
		all, _, err := paper.ReadFile(acmFile, paper.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var papers []paper.Paper
		front := map[string]bool{}
		for i, p := range all {
			if i%20 == 0 {
				papers = append(papers, p)
				if strings.HasPrefix(strings.ToLower(p.Title), "session details") || strings.TrimSpace(p.Abstract) == "" {
					front[p.ID] = true
				}
			}
		}
		all = nil
		c := ingestPapers(t, papers)
		m, err := c.ComputeThemes(t.Context(), ThemeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkLabels(t, "acm", m)
		flagged := 0
		for _, th := range m.Themes {
			n := 0
			for _, id := range th.Members {
				if front[strings.ToLower(id)] || front[id] {
					n++
				}
			}
			t.Logf("theme %d %q: %d papers, %d front matter, boilerplate %v", th.ID, th.Label, th.Size, n, th.Boilerplate)
			if 2*n >= th.Size && !th.Boilerplate {
				t.Errorf("theme %q is %d of %d front matter but not flagged", th.Label, n, th.Size)
			}
			if th.Boilerplate {
				flagged++
				if 2*n < th.Size {
					t.Errorf("theme %q is flagged boilerplate with %d of %d front matter", th.Label, n, th.Size)
				}
			}
		}
		if flagged == 0 {
			t.Errorf("no theme flagged boilerplate among %d (%d front-matter papers)", len(m.Themes), len(front))
		}
	})
}

// ingestPapers stores papers with the lexical embedder in a new store.
func ingestPapers(t *testing.T, papers []paper.Paper) *Corpus {
	t.Helper()
	c, err := Open(t.Context(), filepath.Join(t.TempDir(), "store"), Options{Embedder: BackendLexical})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Ingest(t.Context(), papers, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	return c
}
