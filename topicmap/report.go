package topicmap

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/papermap/papermap/internal/format"
)

// Report is everything a research report says about a corpus and its
// themes. The lead's CLI fills it from the store and the theme model;
// WriteMarkdown and WriteReportHTML render it.
type Report struct {
	// Title heads the report; empty means "papermap report".
	Title string
	// Generated is when the report was made; the zero time leaves it out
	// (tests use that for byte-identical output).
	Generated time.Time
	Corpus    CorpusInfo
	// Method is one paragraph on how the themes were made (k, how k was
	// chosen, the seed).
	Method string
	// KScores are the scores of each k tried by --k auto; may be empty.
	// The row whose K equals len(Themes) is marked as chosen.
	KScores []KScore
	// Quality holds the figures of the themes as a whole.
	Quality Quality
	Themes  []ReportTheme
	// Tree is the theme hierarchy, broadest level first (may be empty);
	// Themes is its level ChosenLevel.
	Tree        [][]TreeNode
	ChosenLevel int
	// Outliers are papers far from their theme's centroid (Score: cosine
	// to it), most atypical first.
	Outliers []PaperRef
	// NearDuplicates are pairs of papers whose vectors nearly coincide.
	NearDuplicates []DuplicatePair
	// MapHTML is the interactive map's path relative to the report (or an
	// http(s) URL); both formats link it. Other schemes are not linked.
	MapHTML string
	// EmbedMap, when set, is inlined into the HTML report as an
	// interactive map; Markdown ignores it.
	EmbedMap *Map
	// MapImage is a picture of the map (an SVG or PNG path relative to
	// the report, or an http(s) URL) that the Markdown report shows under
	// its summary; HTML ignores it (it embeds the interactive map).
	MapImage string
}

// CorpusInfo describes the corpus the report is about.
type CorpusInfo struct {
	Papers           int
	Embedder, Model  string
	Dimensions       int
	YearMin, YearMax int // 0 when unknown
	Sources          []string
}

// KScore is how stable the partitions into K themes are (cluster.KScore):
// Stability across subsamples, NullStability the same for data without
// clusters, Score what the choice of k maximises.
type KScore struct {
	K                               int
	Stability, NullStability, Score float64
}

// Quality are the figures of the themes of the chosen level: the mean
// cosine silhouette of the papers' vectors, and the topic diversity and
// mean NPMI coherence of the themes' top 10 keywords.
type Quality struct {
	Silhouette, Diversity, Coherence float64
}

// TreeNode is one theme of one level of the theme hierarchy.
type TreeNode struct {
	ID       int
	Label    string
	Keywords []string
	Size     int
	// Children are the IDs of its sub-themes in the next level.
	Children []int
	// Stability is as in ReportTheme; Unstable and Boilerplate mark
	// themes to read with care.
	Stability             float64
	Unstable, Boilerplate bool
}

// ReportTheme is one theme as the report presents it.
type ReportTheme struct {
	ID       int
	Label    string
	Keywords []string
	Size     int
	// Stability is the theme's mean best-match Jaccard index across
	// subsample fits (−1: not measured); Unstable marks one below 0.5.
	Stability float64
	Unstable  bool
	// Boilerplate marks a theme of front matter or texts without abstract.
	Boilerplate bool
	// Coherence is the NPMI coherence of its top 10 keywords.
	Coherence float64
	// Central are the papers nearest the theme's centroid, best first.
	Central []PaperRef
	// Years counts the theme's papers per publication year (year 0, if
	// present, counts papers of unknown year and is left out of the
	// over-time table).
	Years map[int]int
}

// PaperRef names one paper in a report.
type PaperRef struct {
	ID, Title string
	Year      int // 0 when unknown
	// Theme is the ReportTheme.ID the paper belongs to, -1 for none.
	Theme int
	// Score is what ranks the paper where it is listed: its cosine to
	// the theme centroid for central papers and outliers.
	Score float64
}

// DuplicatePair is two papers whose vectors have cosine similarity Cosine.
type DuplicatePair struct {
	A, B   PaperRef
	Cosine float64
}

// reportView is what both report formats render, computed once so that
// Markdown and HTML say the same things in the same order.
type reportView struct {
	r           *Report
	Title       string
	Generated   string
	YearRange   string
	ChosenK     int
	ThemeLabels map[int]string
	Years       []int // years with at least one paper, ascending
	YearTotals  []int // per Years entry
	YearMatrix  [][]int
	MapLink     string  // "" when MapHTML is empty or not linkable
	MapImage    string  // "" when Report.MapImage is empty or not linkable
	styles      []Style // per Report.Themes entry (reportStyles)
}

// Color returns the CSS colour of the theme at index i of Report.Themes,
// the no-theme grey for an index out of range.
func (v *reportView) Color(i int) string {
	if i < 0 || i >= len(v.styles) {
		return hexColor(noThemeColor)
	}
	return hexColor(v.styles[i].Color)
}

func newReportView(r *Report) *reportView {
	v := &reportView{r: r, Title: oneLine(r.Title), ChosenK: len(r.Themes), ThemeLabels: map[int]string{}, styles: reportStyles(r)}
	if v.Title == "" {
		v.Title = "papermap report"
	}
	if !r.Generated.IsZero() {
		v.Generated = r.Generated.UTC().Format("2006-01-02 15:04 UTC")
	}
	switch c := r.Corpus; {
	case c.YearMin > 0 && c.YearMax > c.YearMin:
		v.YearRange = fmt.Sprintf("%d–%d", c.YearMin, c.YearMax)
	case c.YearMin > 0:
		v.YearRange = strconv.Itoa(c.YearMin)
	}
	for _, t := range r.Themes {
		v.ThemeLabels[t.ID] = t.Label
	}
	years := map[int]bool{}
	for _, t := range r.Themes {
		for y, n := range t.Years {
			if y != 0 && n > 0 {
				years[y] = true
			}
		}
	}
	v.Years = slices.Sorted(maps.Keys(years))
	v.YearTotals = make([]int, len(v.Years))
	v.YearMatrix = make([][]int, len(v.Years))
	for i, y := range v.Years {
		row := make([]int, len(r.Themes))
		for j, t := range r.Themes {
			row[j] = t.Years[y]
			v.YearTotals[i] += row[j]
		}
		v.YearMatrix[i] = row
	}
	v.MapLink = safeLink(r.MapHTML)
	v.MapImage = safeLink(r.MapImage)
	return v
}

// themeName is "ID label" for a theme ID, "none" for -1.
func (v *reportView) themeName(id int) string {
	if l, ok := v.ThemeLabels[id]; ok {
		return strconv.Itoa(id) + " " + oneLine(l)
	}
	if id < 0 {
		return "none"
	}
	return strconv.Itoa(id)
}

// safeLink returns p if it is an http(s) URL or a relative reference
// without a scheme, "" otherwise.
func safeLink(p string) string {
	p = strings.TrimSpace(p)
	if p == "" || strings.ContainsAny(p, "\x00\r\n") {
		return ""
	}
	u, err := url.Parse(p)
	if err != nil {
		return ""
	}
	if u.Scheme == "" && u.Host == "" && u.Opaque == "" {
		// Relative: make sure no colon before the first slash could be
		// read as a scheme, and percent-encode what Markdown would break
		// on.
		return (&url.URL{Path: u.Path, RawQuery: u.RawQuery, Fragment: u.Fragment}).String()
	}
	return SafeURL(p)
}

func sortedYears(m map[int]int) []int {
	ys := slices.Sorted(maps.Keys(m))
	return slices.DeleteFunc(ys, func(y int) bool { return y == 0 || m[y] == 0 })
}

// kRows returns the KScores sorted by K.
func (v *reportView) kRows() []KScore {
	ks := slices.Clone(v.r.KScores)
	slices.SortStableFunc(ks, func(a, b KScore) int { return cmp.Compare(a.K, b.K) })
	return ks
}

// papers is "1 paper" or "N papers", N with thousands separators.
func papers(n int) string {
	if n == 1 {
		return "1 paper"
	}
	return format.Int(n) + " papers"
}

func formatScore(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }

// period is a run of years of the over-time table, with its papers per
// theme (in Report.Themes order).
type period struct {
	first, last int
	counts      []int
	total       int
}

func (p period) name() string {
	if p.first == p.last {
		return strconv.Itoa(p.first)
	}
	return fmt.Sprintf("%d–%d", p.first, p.last)
}

// periods groups the years with papers into at most maxCols columns of
// equal length (one year each when the years span no more than maxCols),
// aligned on the first year; periods without papers are left out.
func (v *reportView) periods(maxCols int) []period {
	if len(v.Years) == 0 {
		return nil
	}
	first, last := v.Years[0], v.Years[len(v.Years)-1]
	step := max(1, (last-first+maxCols)/maxCols)
	var out []period
	for i, y := range v.Years {
		start := first + (y-first)/step*step
		if len(out) == 0 || out[len(out)-1].first != start {
			out = append(out, period{first: start, last: min(start+step-1, last), counts: make([]int, len(v.r.Themes))})
		}
		p := &out[len(out)-1]
		for j, n := range v.YearMatrix[i] {
			p.counts[j] += n
		}
		p.total += v.YearTotals[i]
	}
	return out
}

// shareText is "12.3 % (45)": n as a share of total, and n.
func shareText(n, total int) string {
	if total == 0 || n == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f %% (%s)", 100*float64(n)/float64(total), format.Int(n))
}

// themeFlags is the note a theme's label carries in tables: "boilerplate",
// "unstable", both, or "".
func themeFlags(boilerplate, unstable bool) string {
	var f []string
	if boilerplate {
		f = append(f, "boilerplate")
	}
	if unstable {
		f = append(f, "unstable")
	}
	return strings.Join(f, ", ")
}

// stabilityText is the stability with three decimals, "–" when not measured.
func stabilityText(s float64) string {
	if s < 0 {
		return "–"
	}
	return formatScore(s)
}
