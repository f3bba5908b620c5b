package topicmap

import (
	"fmt"
	"image/color"
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

// ThemeStyle returns the colour and marker shape of the theme at index i of
// Map.Themes, and grey circles for i < 0 (no theme). The static and the
// interactive maps use the same styles, so a theme looks alike in both.
func ThemeStyle(i int) (color.NRGBA, Shape) {
	if i < 0 {
		return noThemeColor, Circle
	}
	return palette[i%len(palette)], Shape((i / len(palette)) % int(numShapes))
}

func hexColor(c color.NRGBA) string {
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}
