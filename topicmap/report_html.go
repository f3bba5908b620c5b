package topicmap

import (
	"cmp"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/papermap/papermap/internal/format"
)

var (
	//go:embed assets/report.html.tmpl
	reportTemplateText string
	//go:embed assets/report.css
	reportCSS string

	reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
		"int":       format.Int,
		"papers":    papers,
		"score":     formatScore,
		"year":      yearText,
		"join":      strings.Join,
		"line":      oneLine,
		"inc":       func(i int) int { return i + 1 },
		"flags":     themeFlags,
		"stability": stabilityText,
	}).Parse(reportTemplateText))
)

// WriteReportHTML writes r as one self-contained, styled HTML page with the
// same sections as WriteMarkdown, a small SVG chart of themes over time, and
// the interactive map inlined (in a sandboxed iframe) when r.EmbedMap is
// set. Every string goes through html/template, so data is always text.
func WriteReportHTML(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("topicmap: nil report")
	}
	v := newReportView(r)
	page := &reportPage{reportView: v, R: r, CSS: template.CSS(reportCSS)}
	scripts := []string{}
	if r.EmbedMap != nil {
		doc, err := renderMapHTML(r.EmbedMap, HTMLOptions{})
		if err != nil {
			return err
		}
		page.MapDoc = doc
		// A srcdoc frame inherits this page's policy, so it must admit
		// the map's script too.
		scripts = append(scripts, mapJS)
	}
	page.CSP = contentSecurityPolicy(scripts...)
	if len(scripts) == 0 {
		page.CSP = strings.Replace(page.CSP, "script-src;", "script-src 'none';", 1)
	}
	page.Chart = newYearChart(v)
	page.KRows = v.kRows()
	if len(r.Tree) > 0 {
		top := make([]int, len(r.Tree[0]))
		for i := range top {
			top[i] = i
		}
		page.TreeTop = treeNodes(r.Tree, 0, top)
	}
	for _, t := range r.Themes {
		page.ThemeRows = append(page.ThemeRows, themeRow{T: t, Index: len(page.ThemeRows)})
	}
	if err := reportTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("topicmap: writing html report: %w", err)
	}
	return nil
}

type reportPage struct {
	*reportView
	R         *Report
	CSS       template.CSS
	CSP       string
	MapDoc    string
	Chart     *yearChart
	KRows     []KScore
	ThemeRows []themeRow
	TreeTop   []treeItem
}

// treeItem is a theme of the hierarchy with its sub-themes, for the
// template's recursive list.
type treeItem struct {
	N    TreeNode
	Kids []treeItem
}

// treeNodes returns the themes ids of level l with their descendants.
func treeNodes(tree [][]TreeNode, l int, ids []int) []treeItem {
	var out []treeItem
	add := func(t TreeNode) {
		it := treeItem{N: t}
		if l+1 < len(tree) {
			it.Kids = treeNodes(tree, l+1, t.Children)
		}
		out = append(out, it)
	}
	for _, c := range ids {
		if c >= 0 && c < len(tree[l]) {
			add(tree[l][c])
		}
	}
	return out
}

type themeRow struct {
	T     ReportTheme
	Index int
}

// HasQuality tells whether the report has quality figures.
func (p *reportPage) HasQuality() bool { return p.R.Quality != (Quality{}) }

// ThemeName is used by the template for outliers and duplicates.
func (p *reportPage) ThemeName(id int) string { return p.themeName(id) }

// ThemeIndex returns the position of the theme with this ID, -1 if none,
// so the template can colour it like the map does.
func (p *reportPage) ThemeIndex(id int) int {
	for i, t := range p.R.Themes {
		if t.ID == id {
			return i
		}
	}
	return -1
}

// chartThemes is how many themes the over-time chart colours; the others
// share one grey segment.
const chartThemes = 12

// yearChart is a 100 % stacked bar chart of each year's papers by theme, laid out
// in Go so the page needs no script for it.
type yearChart struct {
	Width, Height int
	Bars          []yearBar
	Ticks         []chartTick
	YTicks        []chartTick
	PlotLeft      int
	PlotBottom    int
}

type yearBar struct {
	Year     int
	X, W     float64
	Segments []barSegment
	Total    int
}

type barSegment struct {
	Y, H  float64
	Color string
	Title string
}

type chartTick struct {
	X, Y  float64
	Label string
}

func newYearChart(v *reportView) *yearChart {
	// One year is no trend: every theme's share of it is its share of all.
	if len(v.Years) < 2 || len(v.r.Themes) == 0 {
		return nil
	}
	const width, height, left, right, top, bottom = 760, 240, 44, 10, 10, 28
	c := &yearChart{Width: width, Height: height, PlotLeft: left, PlotBottom: height - bottom}
	// Each bar is one year's papers as 100 %: the largest chartThemes
	// themes in their colours, the rest together in grey, so that a
	// theme's rise or fall shows whatever the year's volume.
	sizes := make([]int, len(v.r.Themes))
	for _, row := range v.YearMatrix {
		for j, n := range row {
			sizes[j] += n
		}
	}
	order := make([]int, len(sizes))
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sizes[b], sizes[a]) })
	shown := map[int]bool{}
	for _, j := range order[:min(chartThemes, len(order))] {
		shown[j] = true
	}
	first, last := v.Years[0], v.Years[len(v.Years)-1]
	span := last - first + 1
	slot := float64(width-left-right) / float64(span)
	barW := max(1, slot*0.8)
	plotH := float64(height - top - bottom)
	for i, y := range v.Years {
		x := float64(left) + float64(y-first)*slot + (slot-barW)/2
		total := v.YearTotals[i]
		bar := yearBar{Year: y, X: round2(x), W: round2(barW), Total: total}
		if total == 0 {
			continue
		}
		base := float64(height - bottom)
		other := 0
		for j, n := range v.YearMatrix[i] {
			if n == 0 {
				continue
			}
			if !shown[j] {
				other += n
				continue
			}
			h := plotH * float64(n) / float64(total)
			base -= h
			t := v.r.Themes[j]
			bar.Segments = append(bar.Segments, barSegment{
				Y: round2(base), H: round2(h), Color: v.Color(j),
				Title: fmt.Sprintf("%d · theme %d %s: %.1f %% (%d of %d papers)", y, t.ID, oneLine(t.Label), 100*float64(n)/float64(total), n, total),
			})
		}
		if other > 0 {
			h := plotH * float64(other) / float64(total)
			base -= h
			bar.Segments = append(bar.Segments, barSegment{
				Y: round2(base), H: round2(h), Color: hexColor(noThemeColor),
				Title: fmt.Sprintf("%d · %d smaller themes: %.1f %% (%d of %d papers)", y, len(v.r.Themes)-len(shown), 100*float64(other)/float64(total), other, total),
			})
		}
		c.Bars = append(c.Bars, bar)
	}
	// Year labels: about eight, on round years.
	step := 1
	for span/step > 8 {
		switch {
		case step == 1:
			step = 2
		case step == 2:
			step = 5
		default:
			step *= 2
		}
	}
	for y := first; y <= last; y++ {
		if y%step == 0 || (step == 1) {
			c.Ticks = append(c.Ticks, chartTick{X: round2(float64(left) + (float64(y-first)+0.5)*slot), Y: float64(height - bottom + 16), Label: strconv.Itoa(y)})
		}
	}
	for _, f := range []float64{0, 0.5, 1} {
		y := float64(height-bottom) - plotH*f
		c.YTicks = append(c.YTicks, chartTick{X: float64(left - 6), Y: round2(y), Label: fmt.Sprintf("%.0f %%", 100*f)})
	}
	return c
}

func round2(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 2, 64), 64)
	return v
}
