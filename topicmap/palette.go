package topicmap

import (
	"fmt"
	"image/color"
	"math"
)

// palette is a categorical palette for white backgrounds: the ten d3
// "category10" hues without their grey, then ten further hues chosen to be
// told apart from those (darker or shifted), so no theme is drawn in the
// grey reserved for papers in no theme.
var palette = [...]color.NRGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
	{0xbc, 0xbd, 0x22, 0xff}, // olive
	{0x39, 0x3b, 0x79, 0xff}, // indigo
	{0x00, 0x8c, 0x73, 0xff}, // teal
	{0xf0, 0xb4, 0x00, 0xff}, // amber
	{0x7b, 0x41, 0x73, 0xff}, // plum
	{0x63, 0x79, 0x39, 0xff}, // moss
	{0xff, 0x5c, 0x8a, 0xff}, // rose
	{0x4f, 0xa8, 0xff, 0xff}, // sky
	{0xb1, 0x59, 0x28, 0xff}, // rust
	{0x6a, 0xcc, 0x64, 0xff}, // light green
	{0x84, 0x3c, 0x39, 0xff}, // maroon
	{0xa0, 0x8c, 0xff, 0xff}, // lavender
}

// noThemeColor is used for papers in no theme.
var noThemeColor = color.NRGBA{0x9e, 0x9e, 0x9e, 0xff}

// Shape is the marker a theme's papers are drawn with. Themes cycle through
// the colours first and the shapes second, so the first 20 themes are all
// circles of distinct colours, themes 20-39 are squares, and so on.
type Shape int

// The marker shapes, in the order themes cycle through them.
const (
	Circle Shape = iota
	Square
	Triangle
	Diamond
	numShapes
)

// ThemeStyle returns the i-th colour and marker shape of the palette, and
// grey circles for i < 0 (no theme). A flat set of themes (no hierarchy)
// takes them in order; ThemeStyles gives the styles of a hierarchy.
func ThemeStyle(i int) (color.NRGBA, Shape) {
	if i < 0 {
		return noThemeColor, Circle
	}
	return palette[i%len(palette)], Shape((i / len(palette)) % int(numShapes))
}

func hexColor(c color.NRGBA) string {
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}

// Style is the colour and marker shape of one theme.
type Style struct {
	Color color.NRGBA
	Shape Shape
}

// ThemeStyles returns the style of each theme of m, index for index: the
// broad themes (level 0) take ThemeStyle(0), ThemeStyle(1), ... in their
// order in m.Themes, and a sub-theme is a shade of its broad theme's colour
// (darker to lighter in the order of its siblings) with its marker shape,
// so a reader sees which sub-themes belong together. The static map, the
// interactive map, the map JSON and the report use these styles. m need not
// be valid; a theme whose parent is out of range counts as broad.
func ThemeStyles(m *Map) []Style {
	parent := make([]int, len(m.Themes))
	for i, t := range m.Themes {
		parent[i] = -1
		if t.Level > 0 {
			parent[i] = t.Parent
		}
	}
	return forestStyles(parent)
}

// forestStyles styles a forest given each node's parent index (-1 for a
// root): roots take the palette in order, children shades of their parent.
// Cycles and out-of-range parents make a node a root.
func forestStyles(parent []int) []Style {
	n := len(parent)
	out := make([]Style, n)
	done := make([]bool, n)
	children := make([][]int, n)
	var roots []int
	for i, p := range parent {
		if p < 0 || p >= n || p == i || ancestorCycle(parent, i) {
			roots = append(roots, i)
			continue
		}
		children[p] = append(children[p], i)
	}
	var visit func(i int)
	visit = func(i int) {
		done[i] = true
		kids := children[i]
		for s, c := range kids {
			out[c] = Style{Color: shade(out[i].Color, s, len(kids)), Shape: out[i].Shape}
			visit(c)
		}
	}
	for r, i := range roots {
		col, shape := ThemeStyle(r)
		out[i] = Style{Color: col, Shape: shape}
		visit(i)
	}
	return out
}

// ancestorCycle reports whether following parents from i loops without
// reaching a root.
func ancestorCycle(parent []int, i int) bool {
	n := len(parent)
	for hops, p := 0, parent[i]; p >= 0 && p < n; hops, p = hops+1, parent[p] {
		if hops > n {
			return true
		}
	}
	return false
}

// shade returns the s-th of m shades of c: c itself when m is 1, else c
// mixed towards black (negative t) or white (positive t), t spread evenly
// over a range that widens with m up to [−0.35, 0.45] (white-ward a little
// more, as the palette's colours are mid to dark).
func shade(c color.NRGBA, s, m int) color.NRGBA {
	if m <= 1 {
		return c
	}
	span := min(0.8, 0.3*float64(m-1))
	t := 0.05 - span/2 + span*float64(s)/float64(m-1)
	mix := func(v uint8) uint8 {
		f := float64(v)
		if t < 0 {
			f *= 1 + t
		} else {
			f += (255 - f) * t
		}
		return uint8(math.Round(f))
	}
	return color.NRGBA{mix(c.R), mix(c.G), mix(c.B), c.A}
}

// reportStyles returns the style of each of r.Themes, as ThemeStyles gives
// it on the map of the same hierarchy: the levels of r.Tree flattened
// broadest first (the order of Map.Themes), each node's parent the node
// that lists it among its Children. Without a tree (or a theme not in its
// level ChosenLevel) the themes take the palette in order.
func reportStyles(r *Report) []Style {
	out := make([]Style, len(r.Themes))
	for j := range out {
		out[j].Color, out[j].Shape = ThemeStyle(j)
	}
	if r.ChosenLevel < 0 || r.ChosenLevel >= len(r.Tree) {
		return out
	}
	first := make([]int, len(r.Tree))
	var parent []int
	for l, level := range r.Tree {
		first[l] = len(parent)
		for range level {
			parent = append(parent, -1)
		}
	}
	for l := 0; l+1 < len(r.Tree); l++ {
		next := make(map[int]int, len(r.Tree[l+1]))
		for j, t := range r.Tree[l+1] {
			next[t.ID] = first[l+1] + j
		}
		for j, t := range r.Tree[l] {
			for _, id := range t.Children {
				if c, ok := next[id]; ok {
					parent[c] = first[l] + j
				}
			}
		}
	}
	styles := forestStyles(parent)
	at := make(map[int]int, len(r.Tree[r.ChosenLevel]))
	for j, t := range r.Tree[r.ChosenLevel] {
		at[t.ID] = first[r.ChosenLevel] + j
	}
	for j, t := range r.Themes {
		if k, ok := at[t.ID]; ok {
			out[j] = styles[k]
		}
	}
	return out
}
