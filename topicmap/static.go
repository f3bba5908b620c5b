package topicmap

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/internal/textsafe"
)

// StaticOptions sets the size of a static (SVG or PNG) map. The zero value
// means a 10 x 8 inch map at 150 dots per inch.
type StaticOptions struct {
	// Width and Height of the whole image, legend included. Zero means
	// 10 and 8 inches.
	Width, Height vg.Length
	// DPI is the PNG resolution in dots per inch; zero means 150. SVG
	// ignores it.
	DPI int
}

func (o StaticOptions) withDefaults() StaticOptions {
	if o.Width <= 0 {
		o.Width = 10 * vg.Inch
	}
	if o.Height <= 0 {
		o.Height = 8 * vg.Inch
	}
	if o.DPI <= 0 {
		o.DPI = 150
	}
	return o
}

// WriteSVG draws m as an SVG image. The same map and options always give
// the same bytes.
func WriteSVG(w io.Writer, m *Map, opts StaticOptions) error {
	if err := m.Validate(); err != nil {
		return err
	}
	opts = opts.withDefaults()
	c := vgsvg.NewWith(vgsvg.UseWH(opts.Width, opts.Height))
	drawStatic(draw.New(c), m)
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("topicmap: writing svg: %w", err)
	}
	return nil
}

// WritePNG draws m as a PNG image of opts.Width x opts.Height at opts.DPI.
func WritePNG(w io.Writer, m *Map, opts StaticOptions) error {
	if err := m.Validate(); err != nil {
		return err
	}
	opts = opts.withDefaults()
	c := vgimg.NewWith(vgimg.UseWH(opts.Width, opts.Height), vgimg.UseDPI(opts.DPI))
	drawStatic(draw.New(c), m)
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(w); err != nil {
		return fmt.Errorf("topicmap: writing png: %w", err)
	}
	return nil
}

var (
	sansFont  = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont  = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
	inkColor  = color.NRGBA{0x22, 0x22, 0x22, 0xff}
	fadeColor = color.NRGBA{0x66, 0x66, 0x66, 0xff}
)

func textStyle(f font.Font, size vg.Length, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(f, size),
		XAlign:  draw.XLeft,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
}

// dotStyle gives the radius and opacity of the dots for n papers: large and
// nearly opaque for a few dozen, small and translucent for 100k so that
// density still shows.
func dotStyle(n int) (radius vg.Length, alpha float64) {
	f := 200 / math.Max(float64(n), 1)
	radius = vg.Length(math.Min(3, math.Max(0.7, 3*math.Pow(f, 0.2))))
	alpha = math.Min(0.85, math.Max(0.35, 0.85*math.Pow(f, 0.1)))
	return radius, alpha
}

var glyphDrawers = [numShapes]draw.GlyphDrawer{
	Circle:   draw.CircleGlyph{},
	Square:   draw.BoxGlyph{},
	Triangle: draw.PyramidGlyph{},
	Diamond:  diamondGlyph{},
}

// diamondGlyph is a filled square standing on a corner.
type diamondGlyph struct{}

func (diamondGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetColor(sty.Color)
	r := sty.Radius * 1.2
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X - r, Y: pt.Y})
	p.Close()
	c.Fill(p)
}

// glyphFor returns the marker of a theme of style st (theme < 0: no theme,
// st unused).
func glyphFor(theme int, st Style, radius vg.Length, alpha float64) draw.GlyphStyle {
	col, shape := st.Color, st.Shape
	if theme < 0 {
		col, shape = ThemeStyle(-1)
	}
	col.A = uint8(math.Round(alpha * 255))
	if theme < 0 {
		col.A = uint8(math.Round(alpha * 0.6 * 255))
	}
	return draw.GlyphStyle{Color: col, Radius: radius, Shape: glyphDrawers[shape]}
}

const (
	legendFontSize = 7.5
	legendLine     = 10.5 // points between legend lines
	legendColumn   = 150  // points per legend column
	labelFontSize  = 8
	labelWrapWidth = 95 // points: about 22 characters a line
)

// staticThemes returns, for a map whose themes form a hierarchy, which
// themes a static map shows (shown[i]) and, per point, the index of its
// shown theme (-1 for none): the themes of level Map.ThemeLevel, and
// shallower themes with no sub-theme down to that level. A static map
// has no zoom, so it draws one level: each point coloured by its theme at
// that level, whose labels and legend it carries in full.
func staticThemes(m *Map) (shown []bool, of []int) {
	shown = make([]bool, len(m.Themes))
	for i, t := range m.Themes {
		shown[i] = t.Level <= m.ThemeLevel
	}
	for _, t := range m.Themes {
		if t.Level > 0 && t.Level <= m.ThemeLevel {
			shown[t.Parent] = false
		}
	}
	of = make([]int, len(m.Points))
	for i, p := range m.Points {
		t := p.Theme
		// Validate makes levels fall along the chain, so this ends.
		for t >= 0 && m.Themes[t].Level > m.ThemeLevel {
			t = m.Themes[t].Parent
		}
		of[i] = t
	}
	return shown, of
}

// drawStatic lays out the title, the scatter plot and a legend to its right.
func drawStatic(c draw.Canvas, m *Map) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())

	legendW := legendWidth(c, m)
	plotArea := draw.Crop(c, 8, -legendW, 6, -10)

	p := plot.New()
	p.Title.Text = oneLine(m.Title)
	p.Title.TextStyle.Font = font.From(boldFont, 13)
	p.Title.Padding = 6
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Tick.Marker = plot.ConstantTicks{}
		ax.Tick.Length = 0
		ax.LineStyle.Color = color.NRGBA{0xbb, 0xbb, 0xbb, 0xff}
		ax.LineStyle.Width = 0.5
		ax.Label.TextStyle.Font = font.From(sansFont, 9)
		ax.Label.TextStyle.Color = fadeColor
		ax.Padding = 4
	}
	if m.Layout == "pca" {
		p.X.Label.Text = "PC1"
		p.Y.Label.Text = "PC2"
	}

	radius, alpha := dotStyle(len(m.Points))
	var grey, themed plotter.XYs
	var themedIdx []int
	shown, of := staticThemes(m)
	for i, pt := range m.Points {
		xy := plotter.XY{X: float64(pt.X), Y: float64(pt.Y)}
		if of[i] < 0 {
			grey = append(grey, xy)
			continue
		}
		themed = append(themed, xy)
		themedIdx = append(themedIdx, of[i])
	}
	if len(grey) > 0 {
		s := &plotter.Scatter{XYs: grey, GlyphStyle: glyphFor(-1, Style{}, radius, alpha)}
		p.Add(s)
	}
	if len(themed) > 0 {
		styles := make([]draw.GlyphStyle, len(m.Themes))
		ts := ThemeStyles(m)
		for i := range styles {
			styles[i] = glyphFor(i, ts[i], radius, alpha)
		}
		s := &plotter.Scatter{XYs: themed, GlyphStyleFunc: func(i int) draw.GlyphStyle { return styles[themedIdx[i]] }}
		p.Add(s)
	}
	if len(m.Points) == 0 {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -1, 1, -1, 1
	} else {
		// Robust bounds: stray papers and far islands (front matter, say)
		// do not squash the themes into a corner; what lies outside is
		// not drawn, and the axis says how much.
		xs, ys := make([]float64, len(m.Points)), make([]float64, len(m.Points))
		for i, pt := range m.Points {
			xs[i], ys[i] = float64(pt.X), float64(pt.Y)
		}
		f := staticFrame(xs, ys)
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = f.minX, f.maxX, f.minY, f.maxY
		out := 0
		for i := range xs {
			if !f.contains(xs[i], ys[i]) {
				out++
			}
		}
		if out > 0 {
			note := fmt.Sprintf("%s of %s papers lie beyond the frame (not drawn)", format.Int(out), format.Int(len(m.Points)))
			if p.X.Label.Text != "" {
				note = p.X.Label.Text + " · " + note
			}
			p.X.Label.Text = note
		}
	}
	p.Add(&themeLabels{m: m, shown: shown, of: of})
	p.Draw(plotArea)

	drawLegend(draw.Crop(c, c.Size().X-legendW, 0, 0, 0), m)
}

// legendEntry is one theme's legend text, wrapped to the column width.
type legendEntry struct {
	theme int
	lines []string
}

// legendLayout wraps every theme's "id label" to the column width and
// returns the entries (grouped by broad theme, so the shades of one hue
// stand together; in theme order within a group), the number of columns and the lines per column that
// fit the canvas height (up to maxLegendColumns columns; past that the
// last entries are summarised).
func legendLayout(c draw.Canvas, m *Map) (entries []legendEntry, cols, perCol int) {
	sty := textStyle(sansFont, legendFontSize, inkColor)
	shown, _ := staticThemes(m)
	for i, t := range m.Themes {
		if !shown[i] {
			continue
		}
		txt := strconv.Itoa(t.ID) + " " + oneLine(t.Label)
		entries = append(entries, legendEntry{theme: i, lines: wrapText(sty, txt, legendColumn-16)})
	}
	root := func(i int) int {
		// Validate makes levels fall along the chain, so this ends.
		for m.Themes[i].Level > 0 {
			i = m.Themes[i].Parent
		}
		return i
	}
	slices.SortStableFunc(entries, func(a, b legendEntry) int { return cmp.Compare(root(a.theme), root(b.theme)) })
	perCol = max(1, int((c.Size().Y-40)/legendLine))
	total := 0
	for _, e := range entries {
		total += len(e.lines)
	}
	cols = min(maxLegendColumns, (total+perCol-1)/perCol)
	return entries, max(cols, 1), perCol
}

const maxLegendColumns = 3

func legendWidth(c draw.Canvas, m *Map) vg.Length {
	if len(m.Themes) == 0 {
		return 0
	}
	_, cols, _ := legendLayout(c, m)
	return vg.Length(cols*legendColumn) + 12
}

// drawLegend lists the themes (marker, id, full label wrapped over as many
// lines as it needs) in up to three columns; what does not fit is
// summarised on the last line.
func drawLegend(c draw.Canvas, m *Map) {
	if len(m.Themes) == 0 {
		return
	}
	entries, cols, _ := legendLayout(c, m)
	ts := ThemeStyles(m)
	top := c.Max.Y - 28
	perCol := max(1, int((top-c.Min.Y-8)/legendLine))
	head := textStyle(boldFont, 9, inkColor)
	c.FillText(head, vg.Point{X: c.Min.X + 6, Y: c.Max.Y - 16}, "Themes")
	sty := textStyle(sansFont, legendFontSize, inkColor)
	col, row := 0, 0
	for n, e := range entries {
		// An entry never splits across columns; the last line of the last
		// column is kept for the "and N more" note when needed.
		need := len(e.lines)
		if row+need > perCol || (col == cols-1 && n < len(entries)-1 && row+need > perCol-1) {
			col, row = col+1, 0
		}
		if col >= cols {
			x := c.Min.X + 6 + vg.Length((cols-1)*legendColumn)
			y := top - vg.Length(perCol-1)*legendLine
			more := textStyle(sansFont, legendFontSize, fadeColor)
			c.FillText(more, vg.Point{X: x + 10, Y: y}, fmt.Sprintf("… and %d more themes", len(entries)-n))
			return
		}
		x := c.Min.X + 6 + vg.Length(col*legendColumn)
		y := top - vg.Length(row)*legendLine
		c.DrawGlyphNoClip(glyphFor(e.theme, ts[e.theme], 3, 1), vg.Point{X: x + 3, Y: y})
		for l, line := range e.lines {
			c.FillText(sty, vg.Point{X: x + 10, Y: y - vg.Length(l)*legendLine}, line)
		}
		row += need
	}
}

// wrapText breaks s at spaces (and, for a word wider than w alone, inside
// the word) into lines no wider than w in sty.
func wrapText(sty text.Style, s string, w vg.Length) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		try := word
		if line != "" {
			try = line + " " + word
		}
		if sty.Width(try) <= w {
			line = try
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		// A word too long for a line of its own is cut.
		r := []rune(word)
		for len(r) > 0 && sty.Width(string(r)) > w {
			k := len(r) - 1
			for k > 1 && sty.Width(string(r[:k])+"-") > w {
				k--
			}
			lines = append(lines, string(r[:k])+"-")
			r = r[k:]
		}
		line = string(r)
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

// themeLabels is a plot.Plotter that writes each theme's full label,
// wrapped over up to three lines, on a white box at the theme's position.
// Broad themes (level 0) are placed first, then larger themes; a label
// whose place is taken moves to the nearest free place around it, with a
// leader line back to the position that crosses no other label
// (placeLabels); a label with no free place within
// reach is left to the legend (the interactive map shows every label at
// some zoom).
type themeLabels struct {
	m     *Map
	shown []bool // which themes are labelled (staticThemes)
	of    []int  // each point's labelled theme
}

func (tl *themeLabels) Plot(c draw.Canvas, p *plot.Plot) {
	m := tl.m
	ts := ThemeStyles(m)
	counts := make([]int, len(m.Themes))
	for _, t := range tl.of {
		if t >= 0 {
			counts[t]++
		}
	}
	order := make([]int, 0, len(m.Themes))
	for i := range m.Themes {
		if tl.shown[i] && (counts[i] > 0 || m.Themes[i].Size > 0) {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(m.Themes[a].Level, m.Themes[b].Level); c != 0 {
			return c
		}
		return cmp.Compare(counts[b], counts[a])
	})

	trX, trY := p.Transforms(&c)
	sty := textStyle(sansFont, labelFontSize, inkColor)
	sty.XAlign = draw.XCenter
	type drawn struct {
		theme int
		lines []string
	}
	var labels []drawn
	var want []labelBox
	lineH := sty.Height("Mg")
	for _, i := range order {
		t := m.Themes[i]
		at := vg.Point{X: trX(float64(t.X)), Y: trY(float64(t.Y))}
		// A theme placed beyond the frame is labelled at its edge, in the
		// theme's direction, and says so.
		beyond := at.X < c.Min.X || at.X > c.Max.X || at.Y < c.Min.Y || at.Y > c.Max.Y
		at.X, at.Y = max(c.Min.X, min(at.X, c.Max.X)), max(c.Min.Y, min(at.Y, c.Max.Y))
		lines := wrapText(sty, oneLine(t.Label), labelWrapWidth)
		if len(lines) > 3 {
			lines = append(lines[:2], truncateRunes(strings.Join(lines[2:], " "), 40))
			lines[2] = fitWidth(sty, lines[2], labelWrapWidth)
		}
		if beyond {
			lines = append(lines, "(beyond the frame)")
		}
		var w vg.Length
		for _, l := range lines {
			w = max(w, sty.Width(l))
		}
		labels = append(labels, drawn{i, lines})
		want = append(want, labelBox{at: at, w: w, h: lineH * vg.Length(len(lines))})
	}
	places := placeLabels(c.Rectangle, want, lineH)
	// Leader lines first, boxes over them: placeLabels keeps lines off
	// other boxes, and a line that starts under a box (its theme's
	// position covered by a label placed before) stays under it.
	for k, pl := range places {
		if pl.ok && pl.moved {
			col := ts[labels[k].theme].Color
			at := want[k].at
			c.StrokeLine2(draw.LineStyle{Color: col, Width: 1}, at.X, at.Y, pl.edge.X, pl.edge.Y)
			c.DrawGlyphNoClip(draw.GlyphStyle{Color: col, Radius: 1.5, Shape: draw.CircleGlyph{}}, at)
		}
	}
	for k, pl := range places {
		if !pl.ok {
			continue
		}
		r := pl.r
		c.SetColor(color.NRGBA{0xff, 0xff, 0xff, 0xe6})
		c.Fill(r.Path())
		c.SetLineStyle(draw.LineStyle{Color: ts[labels[k].theme].Color, Width: 1})
		c.Stroke(r.Path())
		cx := (r.Min.X + r.Max.X) / 2
		for l, line := range labels[k].lines {
			y := r.Max.Y - labelPadY - lineH*(vg.Length(l)+0.5)
			c.FillText(sty, vg.Point{X: cx, Y: y}, line)
		}
	}
}

// labelPadX and labelPadY are the margins of a static label's box around
// its text.
const labelPadX, labelPadY = 3, 1.5

// labelBox is a static label to place: its theme's position and the size
// of its text.
type labelBox struct {
	at   vg.Point
	w, h vg.Length
}

// labelPlace is where placeLabels put a label: its box r (with margins),
// whether it found one (ok) and whether it moved off its theme's position
// (moved), with edge the point of r nearest the position, where the
// leader line ends.
type labelPlace struct {
	r         vg.Rectangle
	ok, moved bool
	edge      vg.Point
}

// placeLabels places labels in order, each at its position or, when that
// place is taken, at the nearest free place within four rings of
// labelOffsets around it, inside frame. A place is free when its box keeps
// 1 point clear of every box placed before, crosses no leader line drawn
// before, and its own leader line crosses no box placed before (except a
// box that covers the position itself, which the line starts under). A
// label with no free place is not placed (ok false).
func placeLabels(frame vg.Rectangle, labels []labelBox, lineH vg.Length) []labelPlace {
	out := make([]labelPlace, len(labels))
	var boxes []vg.Rectangle
	var leaders [][2]vg.Point
	free := func(r vg.Rectangle, at, edge vg.Point, moved bool) bool {
		if r.Min.X < frame.Min.X || r.Max.X > frame.Max.X || r.Min.Y < frame.Min.Y || r.Max.Y > frame.Max.Y {
			return false
		}
		for _, q := range boxes {
			if r.Min.X < q.Max.X+1 && q.Min.X < r.Max.X+1 && r.Min.Y < q.Max.Y+1 && q.Min.Y < r.Max.Y+1 {
				return false
			}
			if moved && !inRect(at, q) && segmentHitsRect(at, edge, q) {
				return false
			}
		}
		for _, l := range leaders {
			if segmentHitsRect(l[0], l[1], r) {
				return false
			}
		}
		return true
	}
	for k, lb := range labels {
		at, w, h := lb.at, lb.w, lb.h
	search:
		for ring := 0; ring <= 4; ring++ {
			for _, d := range labelOffsets {
				if (ring == 0) != (d[0] == 0 && d[1] == 0) {
					continue
				}
				f := vg.Length(max(ring, 1))
				center := vg.Point{X: at.X + d[0]*f*(w/2+labelPadX+lineH), Y: at.Y + d[1]*f*(h/2+labelPadY+lineH/2)}
				r := vg.Rectangle{
					Min: vg.Point{X: center.X - w/2 - labelPadX, Y: center.Y - h/2 - labelPadY},
					Max: vg.Point{X: center.X + w/2 + labelPadX, Y: center.Y + h/2 + labelPadY},
				}
				edge := vg.Point{X: max(r.Min.X, min(at.X, r.Max.X)), Y: max(r.Min.Y, min(at.Y, r.Max.Y))}
				if free(r, at, edge, ring > 0) {
					out[k] = labelPlace{r: r, ok: true, moved: ring > 0, edge: edge}
					break search
				}
			}
		}
		if out[k].ok {
			boxes = append(boxes, out[k].r)
			if out[k].moved {
				leaders = append(leaders, [2]vg.Point{at, out[k].edge})
			}
		}
	}
	return out
}

// inRect reports whether p lies in r (edges included).
func inRect(p vg.Point, r vg.Rectangle) bool {
	return p.X >= r.Min.X && p.X <= r.Max.X && p.Y >= r.Min.Y && p.Y <= r.Max.Y
}

// segmentHitsRect reports whether the segment from a to b meets r
// (Liang-Barsky clipping).
func segmentHitsRect(a, b vg.Point, r vg.Rectangle) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	for _, e := range [4][2]float64{
		{-dx, float64(a.X - r.Min.X)},
		{dx, float64(r.Max.X - a.X)},
		{-dy, float64(a.Y - r.Min.Y)},
		{dy, float64(r.Max.Y - a.Y)},
	} {
		p, q := e[0], e[1]
		if p == 0 {
			if q < 0 {
				return false
			}
			continue
		}
		t := q / p
		if p < 0 {
			t0 = max(t0, t)
		} else {
			t1 = min(t1, t)
		}
		if t0 > t1 {
			return false
		}
	}
	return true
}

// labelOffsets are the directions a label tries, centre first; each ring
// steps one label size further out.
var labelOffsets = [][2]vg.Length{{0, 0}, {0, 1}, {0, -1}, {1, 0}, {-1, 0}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}}

// oneLine is textsafe.Line: one line of plain text, with white space
// folded and the bidi controls and invisible characters of titles and
// labels removed before they reach the HTML, the SVG or the picture.
func oneLine(s string) string { return textsafe.Line(s) }

// clipText is oneLine that also keeps at most n runes (n < 0: no limit),
// ending with "…" when it cut.
func clipText(s string, n int) string {
	s = oneLine(s)
	if n < 0 {
		return s
	}
	return truncateRunes(s, n)
}

// truncateRunes shortens s to at most n runes, ending with "…" when cut.
func truncateRunes(s string, n int) string {
	if len(s) <= n || utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n-1; k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return strings.TrimRight(s[:i], " ") + "…"
}

// fitWidth shortens s (ending it with "…") until it is at most w wide in sty.
func fitWidth(sty text.Style, s string, w vg.Length) string {
	if sty.Width(s) <= w {
		return s
	}
	r := []rune(strings.TrimSuffix(s, "…"))
	for k := len(r) - 1; k > 1; k-- {
		c := strings.TrimRight(string(r[:k]), " ") + "…"
		if sty.Width(c) <= w {
			return c
		}
	}
	return s
}
