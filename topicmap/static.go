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

func glyphFor(theme int, radius vg.Length, alpha float64) draw.GlyphStyle {
	col, shape := ThemeStyle(theme)
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
	labelMaxRunes  = 36
	legendMaxRunes = 34
)

// drawStatic lays out the title, the scatter plot and a legend to its right.
func drawStatic(c draw.Canvas, m *Map) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())

	legendW := legendWidth(c, len(m.Themes))
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
	p.X.Label.Text = "PC1"
	p.Y.Label.Text = "PC2"

	radius, alpha := dotStyle(len(m.Points))
	var grey, themed plotter.XYs
	var themedIdx []int
	for _, pt := range m.Points {
		xy := plotter.XY{X: float64(pt.X), Y: float64(pt.Y)}
		if pt.Theme < 0 {
			grey = append(grey, xy)
			continue
		}
		themed = append(themed, xy)
		themedIdx = append(themedIdx, pt.Theme)
	}
	if len(grey) > 0 {
		s := &plotter.Scatter{XYs: grey, GlyphStyle: glyphFor(-1, radius, alpha)}
		p.Add(s)
	}
	if len(themed) > 0 {
		styles := make([]draw.GlyphStyle, len(m.Themes))
		for i := range styles {
			styles[i] = glyphFor(i, radius, alpha)
		}
		s := &plotter.Scatter{XYs: themed, GlyphStyleFunc: func(i int) draw.GlyphStyle { return styles[themedIdx[i]] }}
		p.Add(s)
	}
	if len(m.Points) == 0 {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -1, 1, -1, 1
	}
	p.Add(&themeLabels{m: m})
	p.Draw(plotArea)

	drawLegend(draw.Crop(c, c.Size().X-legendW, 0, 0, 0), m)
}

func legendWidth(c draw.Canvas, themes int) vg.Length {
	if themes == 0 {
		return 0
	}
	cols := legendColumns(c, themes)
	return vg.Length(cols*legendColumn) + 12
}

func legendColumns(c draw.Canvas, themes int) int {
	perCol := max(1, int((c.Size().Y-40)/legendLine))
	if themes > perCol && c.Size().X > 5*vg.Inch {
		return 2
	}
	return 1
}

// drawLegend lists the themes (marker, id, size, label) in one or two
// columns; what does not fit is summarised on the last line.
func drawLegend(c draw.Canvas, m *Map) {
	if len(m.Themes) == 0 {
		return
	}
	cols := legendColumns(c, len(m.Themes))
	top := c.Max.Y - 28
	perCol := max(1, int((top-c.Min.Y-8)/legendLine))
	head := textStyle(boldFont, 9, inkColor)
	c.FillText(head, vg.Point{X: c.Min.X + 6, Y: c.Max.Y - 16}, "Themes")
	sty := textStyle(sansFont, legendFontSize, inkColor)
	capacity := cols * perCol
	shown := len(m.Themes)
	if shown > capacity {
		shown = capacity - 1
	}
	for i := 0; i < shown; i++ {
		t := m.Themes[i]
		col, row := i/perCol, i%perCol
		x := c.Min.X + 6 + vg.Length(col*legendColumn)
		y := top - vg.Length(row)*legendLine
		g := glyphFor(i, 3, 1)
		c.DrawGlyphNoClip(g, vg.Point{X: x + 3, Y: y})
		txt := truncateRunes(strconv.Itoa(t.ID)+" "+oneLine(t.Label), legendMaxRunes)
		txt = fitWidth(sty, txt, legendColumn-16)
		c.FillText(sty, vg.Point{X: x + 10, Y: y}, txt)
	}
	if shown < len(m.Themes) {
		col, row := shown/perCol, shown%perCol
		x := c.Min.X + 6 + vg.Length(col*legendColumn)
		y := top - vg.Length(row)*legendLine
		more := textStyle(sansFont, legendFontSize, fadeColor)
		c.FillText(more, vg.Point{X: x + 10, Y: y}, fmt.Sprintf("… and %d more themes", len(m.Themes)-shown))
	}
}

// themeLabels is a plot.Plotter that writes each theme's id and label at
// its position, on a white box so it reads over the dots. Larger themes are
// placed first; a label that would overlap one already placed is moved up
// or down; if it still overlaps, only the theme id is drawn, beside the
// position if need be, and if even that finds no free place the legend
// alone names the theme.
type themeLabels struct{ m *Map }

func (tl *themeLabels) Plot(c draw.Canvas, p *plot.Plot) {
	m := tl.m
	counts := make([]int, len(m.Themes))
	for _, pt := range m.Points {
		if pt.Theme >= 0 {
			counts[pt.Theme]++
		}
	}
	order := make([]int, 0, len(m.Themes))
	for i := range m.Themes {
		if counts[i] > 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(counts[b], counts[a]) })

	trX, trY := p.Transforms(&c)
	sty := textStyle(sansFont, labelFontSize, inkColor)
	sty.XAlign = draw.XCenter
	idSty := textStyle(boldFont, labelFontSize, inkColor)
	idSty.XAlign = draw.XCenter
	const padX, padY = 3, 1.5
	var placed []vg.Rectangle
	overlaps := func(r vg.Rectangle) bool {
		for _, q := range placed {
			if r.Min.X < q.Max.X && q.Min.X < r.Max.X && r.Min.Y < q.Max.Y && q.Min.Y < r.Max.Y {
				return true
			}
		}
		return false
	}
	box := func(center vg.Point, w, h vg.Length) vg.Rectangle {
		r := vg.Rectangle{
			Min: vg.Point{X: center.X - w/2 - padX, Y: center.Y - h/2 - padY},
			Max: vg.Point{X: center.X + w/2 + padX, Y: center.Y + h/2 + padY},
		}
		// Keep the box inside the data area.
		if dx := c.Min.X - r.Min.X; dx > 0 {
			r.Min.X, r.Max.X = r.Min.X+dx, r.Max.X+dx
		}
		if dx := r.Max.X - c.Max.X; dx > 0 {
			r.Min.X, r.Max.X = r.Min.X-dx, r.Max.X-dx
		}
		if dy := c.Min.Y - r.Min.Y; dy > 0 {
			r.Min.Y, r.Max.Y = r.Min.Y+dy, r.Max.Y+dy
		}
		if dy := r.Max.Y - c.Max.Y; dy > 0 {
			r.Min.Y, r.Max.Y = r.Min.Y-dy, r.Max.Y-dy
		}
		return r
	}
	for _, i := range order {
		t := m.Themes[i]
		at := vg.Point{X: trX(float64(t.X)), Y: trY(float64(t.Y))}
		txt := truncateRunes(strconv.Itoa(t.ID)+" "+oneLine(t.Label), labelMaxRunes)
		w, h := sty.Width(txt), sty.Height(txt)
		var r vg.Rectangle
		ok := false
		for _, dy := range []vg.Length{0, 1.3, -1.3, 2.6, -2.6} {
			r = box(vg.Point{X: at.X, Y: at.Y + dy*h}, w, h)
			if !overlaps(r) {
				ok = true
				break
			}
		}
		st := sty
		if !ok {
			// Fall back to the theme id alone, near the position; a
			// label with no free place is left to the legend.
			txt = strconv.Itoa(t.ID)
			st = idSty
			w = st.Width(txt)
			for _, d := range [][2]vg.Length{{0, 0}, {0, 1.3}, {0, -1.3}, {-1, 0}, {1, 0}, {-1, 1.3}, {1, 1.3}, {-1, -1.3}, {1, -1.3}} {
				r = box(vg.Point{X: at.X + d[0]*(w+2*padX+2), Y: at.Y + d[1]*h}, w, h)
				if !overlaps(r) {
					ok = true
					break
				}
			}
			if !ok {
				continue
			}
		}
		placed = append(placed, r)
		col, _ := ThemeStyle(i)
		c.SetColor(color.NRGBA{0xff, 0xff, 0xff, 0xe0})
		c.Fill(r.Path())
		c.SetLineStyle(draw.LineStyle{Color: col, Width: 1})
		c.Stroke(r.Path())
		center := vg.Point{X: (r.Min.X + r.Max.X) / 2, Y: (r.Min.Y + r.Max.Y) / 2}
		c.FillText(st, center, txt)
	}
}

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
