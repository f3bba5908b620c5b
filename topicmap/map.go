package topicmap

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/papermap/papermap/internal/safefile"
)

// Point is one paper on the map.
type Point struct {
	// ID is the paper's stable identifier; it is shown, never interpreted.
	ID string
	// Title is shown in tooltips, the side panel and searched by the search box.
	Title string
	// Snippet is the start of the abstract (about 300 characters), shown
	// when the paper is clicked. HTMLOptions.SnippetLen trims longer ones.
	Snippet string
	// URL, if it is an absolute http or https URL, becomes an "open" link in
	// the side panel of the interactive map. Anything else (a javascript:
	// URL, a relative path) is shown as plain text or dropped.
	URL string
	// X and Y are the map coordinates (for example the first two principal
	// components). Only their relative positions matter.
	X, Y float32
	// Theme is an index into Map.Themes, or -1 for a paper in no theme.
	// In a hierarchy it is the paper's most specific theme; its broader
	// themes follow from Theme.Parent.
	Theme int
	// Year is the publication year, 0 when unknown.
	Year int
}

// Theme is one named group of papers.
type Theme struct {
	// ID is the theme number shown to people (as in `papermap themes`).
	ID int
	// Label is the theme's short name.
	Label string
	// Keywords are the theme's most distinctive words, best first.
	Keywords []string
	// Size is the number of papers in the theme.
	Size int
	// X and Y are where the theme's label goes, in map coordinates (for
	// example the member nearest the centroid; LabelPositions computes
	// the median of the members).
	X, Y float32
	// Level is the theme's depth in a hierarchy of themes: 0 for the
	// broadest themes, 1 for their sub-themes, and so on. A flat set of
	// themes is all level 0. Broad labels are shown at the overview of the
	// interactive map and deeper ones as the reader zooms in.
	Level int
	// Parent is the index in Map.Themes of the broader theme this one
	// belongs to, which must have a lower Level. It is read only when
	// Level > 0: a level-0 theme has no parent.
	Parent int
}

// Neighbors holds, per point, a short quantised vector (for example 32-64
// principal components) from which the interactive map computes a clicked
// paper's nearest neighbours itself, by cosine similarity.
//
// Row i is Codes[i*Dim:(i+1)*Dim]; its dequantised vector is
// float32(Codes[i*Dim+j])*Scales[i]. QuantizeNeighbors builds one. A
// positive per-row scale cancels out of a cosine, so the page uses only the
// codes; Scales must still be finite and non-negative.
type Neighbors struct {
	Dim    int
	Codes  []int8
	Scales []float32
}

// Map is everything the renderers need: plain data, no store, no embedder.
type Map struct {
	// Title is drawn above the map and used as the HTML page title.
	Title  string
	Points []Point
	Themes []Theme
	// Neighbors is optional: nil means the interactive map has no
	// neighbours panel. Static maps ignore it.
	Neighbors *Neighbors
	// Fields are categorical metadata (venue, archive, ...) the interactive
	// map can colour and filter by, besides the themes and the year.
	Fields []Field
	// Layout names how X and Y were computed ("umap", "pca"); it titles the
	// axes of static maps. Empty means unspecified.
	Layout string
	// ThemeLevel is the level of a theme hierarchy that stands for the
	// themes where one level must: WriteJSON gives a paper's theme at this
	// level as its "theme", and static maps (SVG, PNG), which cannot zoom,
	// colour, label and list the themes of this level (a point in a
	// shallower theme keeps that one). Callers set it to the level the
	// themes were chosen at; 0 means the broadest. The interactive map
	// shows every level.
	ThemeLevel int
}

// Field is one categorical metadata field of the papers.
type Field struct {
	// Name is shown in the colour-by menu ("venue").
	Name string
	// Values are the field's distinct values.
	Values []string
	// Of holds, per point, an index into Values or -1 for no value.
	Of []int32
}

// ErrInvalidMap is wrapped by every error that reports an inconsistent Map
// (a theme index out of range, a non-finite coordinate, Neighbors of the
// wrong length).
var ErrInvalidMap = errors.New("topicmap: invalid map")

// ErrUnsupportedFormat is wrapped by the error WriteFile returns for a file
// name whose extension names no format it can write.
var ErrUnsupportedFormat = errors.New("topicmap: unsupported map format")

// Validate reports whether m can be drawn. Every Write function calls it.
func (m *Map) Validate() error {
	if m == nil {
		return fmt.Errorf("%w: nil map", ErrInvalidMap)
	}
	for i, p := range m.Points {
		if p.Theme < -1 || p.Theme >= len(m.Themes) {
			return fmt.Errorf("%w: point %d (%q) has theme index %d, want -1..%d", ErrInvalidMap, i, p.ID, p.Theme, len(m.Themes)-1)
		}
		if !finite(p.X) || !finite(p.Y) {
			return fmt.Errorf("%w: point %d (%q) has a non-finite coordinate (%v, %v)", ErrInvalidMap, i, p.ID, p.X, p.Y)
		}
	}
	for i, t := range m.Themes {
		if !finite(t.X) || !finite(t.Y) {
			return fmt.Errorf("%w: theme %d (%q) has a non-finite label position (%v, %v)", ErrInvalidMap, i, t.Label, t.X, t.Y)
		}
		if t.Level < 0 {
			return fmt.Errorf("%w: theme %d (%q) has level %d, want >= 0", ErrInvalidMap, i, t.Label, t.Level)
		}
		if t.Level == 0 {
			continue
		}
		if t.Parent < 0 || t.Parent >= len(m.Themes) {
			return fmt.Errorf("%w: theme %d (%q) at level %d has parent index %d, want 0..%d", ErrInvalidMap, i, t.Label, t.Level, t.Parent, len(m.Themes)-1)
		}
		if m.Themes[t.Parent].Level >= t.Level {
			return fmt.Errorf("%w: theme %d (%q) at level %d has parent %d at level %d, want a lower level", ErrInvalidMap, i, t.Label, t.Level, t.Parent, m.Themes[t.Parent].Level)
		}
	}
	for _, f := range m.Fields {
		if len(f.Of) != len(m.Points) {
			return fmt.Errorf("%w: field %q has %d values, want one per point (%d)", ErrInvalidMap, f.Name, len(f.Of), len(m.Points))
		}
		for i, v := range f.Of {
			if v < -1 || int(v) >= len(f.Values) {
				return fmt.Errorf("%w: field %q: point %d has value index %d, want -1..%d", ErrInvalidMap, f.Name, i, v, len(f.Values)-1)
			}
		}
	}
	if nb := m.Neighbors; nb != nil {
		n := len(m.Points)
		switch {
		case nb.Dim <= 0:
			return fmt.Errorf("%w: neighbours dimension %d, want > 0", ErrInvalidMap, nb.Dim)
		case len(nb.Codes) != n*nb.Dim:
			return fmt.Errorf("%w: %d neighbour codes, want %d points x %d = %d", ErrInvalidMap, len(nb.Codes), n, nb.Dim, n*nb.Dim)
		case len(nb.Scales) != n:
			return fmt.Errorf("%w: %d neighbour scales, want one per point (%d)", ErrInvalidMap, len(nb.Scales), n)
		}
		for i, s := range nb.Scales {
			if !finite(s) || s < 0 {
				return fmt.Errorf("%w: neighbour scale %d is %v, want finite and >= 0", ErrInvalidMap, i, s)
			}
		}
	}
	return nil
}

func finite(f float32) bool {
	return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0)
}

// QuantizeNeighbors turns one reduced vector per point (all of the same
// length) into Neighbors: each row is scaled so that its largest absolute
// component maps to 127. Cosine similarity survives the rounding to within
// about 1% for 32 or more dimensions. It returns nil for no vectors.
func QuantizeNeighbors(vecs [][]float32) (*Neighbors, error) {
	if len(vecs) == 0 {
		return nil, nil
	}
	dim := len(vecs[0])
	if dim == 0 {
		return nil, fmt.Errorf("%w: neighbour vectors are empty", ErrInvalidMap)
	}
	nb := &Neighbors{Dim: dim, Codes: make([]int8, len(vecs)*dim), Scales: make([]float32, len(vecs))}
	for i, v := range vecs {
		if len(v) != dim {
			return nil, fmt.Errorf("%w: neighbour vector %d has %d dimensions, want %d", ErrInvalidMap, i, len(v), dim)
		}
		var maxAbs float32
		for _, x := range v {
			if !finite(x) {
				return nil, fmt.Errorf("%w: neighbour vector %d has a non-finite component", ErrInvalidMap, i)
			}
			maxAbs = max(maxAbs, float32(math.Abs(float64(x))))
		}
		if maxAbs == 0 {
			continue
		}
		scale := maxAbs / 127
		nb.Scales[i] = scale
		row := nb.Codes[i*dim : (i+1)*dim]
		for j, x := range v {
			row[j] = int8(math.Round(float64(x / scale)))
		}
	}
	return nb, nil
}

// LabelPositions sets each theme's X and Y to the coordinate-wise median of
// the points in it or in any of its sub-themes, which stays inside the
// theme's region where a mean may not. A theme with no points keeps its
// position.
func (m *Map) LabelPositions() {
	xs := make([][]float32, len(m.Themes))
	ys := make([][]float32, len(m.Themes))
	for _, p := range m.Points {
		// Validate makes levels fall along the way, so this ends.
		for t := p.Theme; t >= 0; {
			xs[t] = append(xs[t], p.X)
			ys[t] = append(ys[t], p.Y)
			if m.Themes[t].Level == 0 {
				break
			}
			t = m.Themes[t].Parent
		}
	}
	for i := range m.Themes {
		if len(xs[i]) == 0 {
			continue
		}
		slices.Sort(xs[i])
		slices.Sort(ys[i])
		m.Themes[i].X, m.Themes[i].Y = xs[i][len(xs[i])/2], ys[i][len(ys[i])/2]
	}
}

// Formats lists the file extensions WriteFile understands.
var Formats = []string{".svg", ".png", ".html", ".htm", ".json"}

// WriteFile writes m to path in the format its extension names (.svg, .png,
// .html or .htm, .json; case does not matter) with default options. It writes a
// temporary file in the same directory and renames it, so an error never
// leaves a half-written file at path.
func WriteFile(path string, m *Map) error {
	var write func(io.Writer) error
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg":
		write = func(w io.Writer) error { return WriteSVG(w, m, StaticOptions{}) }
	case ".png":
		write = func(w io.Writer) error { return WritePNG(w, m, StaticOptions{}) }
	case ".html", ".htm":
		write = func(w io.Writer) error { return WriteHTML(w, m, HTMLOptions{}) }
	case ".json":
		write = func(w io.Writer) error { return WriteJSON(w, m) }
	default:
		if ext == "" {
			ext = "(none)"
		}
		return fmt.Errorf("%w %s for %s: use one of %s", ErrUnsupportedFormat, ext, path, strings.Join(Formats, ", "))
	}
	return writeAtomic(path, write)
}

// writeAtomic replaces path with what write writes, mode 0644, never
// through a symbolic link (see internal/safefile).
func writeAtomic(path string, write func(io.Writer) error) error {
	if err := safefile.Write(path, 0o644, write); err != nil {
		return fmt.Errorf("topicmap: %w", err)
	}
	return nil
}
