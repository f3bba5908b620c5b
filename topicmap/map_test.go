package topicmap

import (
	"bytes"
	"errors"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	good := func() *Map {
		return &Map{
			Points:    []Point{{ID: "a", Theme: 0}, {ID: "b", Theme: -1, X: 1, Y: 2}},
			Themes:    []Theme{{ID: 7, Label: "t"}},
			Neighbors: &Neighbors{Dim: 2, Codes: []int8{1, 2, 3, 4}, Scales: []float32{1, 1}},
		}
	}
	nan := float32(math.NaN())
	tests := []struct {
		name   string
		edit   func(m *Map)
		nilMap bool
		ok     bool
	}{
		{name: "valid", edit: func(*Map) {}, ok: true},
		{name: "no neighbours", edit: func(m *Map) { m.Neighbors = nil }, ok: true},
		{name: "empty", edit: func(m *Map) { *m = Map{} }, ok: true},
		{name: "nil map", nilMap: true},
		{name: "theme too large", edit: func(m *Map) { m.Points[0].Theme = 1 }},
		{name: "theme below -1", edit: func(m *Map) { m.Points[0].Theme = -2 }},
		{name: "NaN x", edit: func(m *Map) { m.Points[1].X = nan }},
		{name: "infinite y", edit: func(m *Map) { m.Points[1].Y = float32(math.Inf(1)) }},
		{name: "NaN theme position", edit: func(m *Map) { m.Themes[0].X = nan }},
		{name: "zero dim", edit: func(m *Map) { m.Neighbors.Dim = 0 }},
		{name: "short codes", edit: func(m *Map) { m.Neighbors.Codes = m.Neighbors.Codes[:3] }},
		{name: "short scales", edit: func(m *Map) { m.Neighbors.Scales = m.Neighbors.Scales[:1] }},
		{name: "negative scale", edit: func(m *Map) { m.Neighbors.Scales[0] = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m *Map
			if !tt.nilMap {
				m = good()
				tt.edit(m)
			}
			err := m.Validate()
			if tt.ok && err != nil {
				t.Fatalf("Validate() = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidMap) {
				t.Fatalf("Validate() = %v, want an error wrapping ErrInvalidMap", err)
			}
		})
	}
}

func cosine(a, b []float64) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += a[i] * b[i]
		na += a[i] * a[i]
		nb += b[i] * b[i]
	}
	return dot / math.Sqrt(na*nb)
}

func TestQuantizeNeighbors(t *testing.T) {
	for _, dim := range []int{8, 32, 64} {
		t.Run("cosine survives/dim="+strconv.Itoa(dim), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(dim), 1))
			vecs := make([][]float32, 200)
			for i := range vecs {
				vecs[i] = make([]float32, dim)
				for j := range vecs[i] {
					vecs[i][j] = float32(rng.NormFloat64())
				}
			}
			nb, err := QuantizeNeighbors(vecs)
			if err != nil {
				t.Fatal(err)
			}
			deq := func(i int) []float64 {
				out := make([]float64, dim)
				for j := range out {
					out[j] = float64(nb.Codes[i*dim+j]) * float64(nb.Scales[i])
				}
				return out
			}
			orig := func(i int) []float64 {
				out := make([]float64, dim)
				for j := range out {
					out[j] = float64(vecs[i][j])
				}
				return out
			}
			// Each component is rounded by at most half a step of
			// max|x|/127; for Gaussian rows the cosines then move by
			// less than 0.006 (measured here: 0.0056, 0.0052, 0.0038 for
			// 8, 32, 64 dimensions), so 0.02 is a loose bound.
			const tol = 0.02
			var worst float64
			for i := 0; i < len(vecs); i += 7 {
				for j := 1; j < len(vecs); j += 11 {
					d := math.Abs(cosine(orig(i), orig(j)) - cosine(deq(i), deq(j)))
					worst = max(worst, d)
				}
			}
			t.Logf("largest cosine change %.4f", worst)
			if worst > tol {
				t.Errorf("largest cosine change %v, want <= %v", worst, tol)
			}
			// Dequantised rows are close to the originals.
			for i := range 5 {
				for j, x := range deq(i) {
					if math.Abs(x-float64(vecs[i][j])) > float64(nb.Scales[i])/2+1e-6 {
						t.Fatalf("row %d component %d: %v dequantises to %v", i, j, vecs[i][j], x)
					}
				}
			}
		})
	}
	t.Run("zero row", func(t *testing.T) {
		nb, err := QuantizeNeighbors([][]float32{{0, 0}, {1, -2}})
		if err != nil {
			t.Fatal(err)
		}
		if nb.Scales[0] != 0 || nb.Codes[0] != 0 || nb.Codes[1] != 0 {
			t.Errorf("zero row quantised to scale %v codes %v", nb.Scales[0], nb.Codes[:2])
		}
		// Largest magnitude maps to -127 exactly: -2/(2/127).
		if nb.Codes[3] != -127 || nb.Codes[2] != 64 {
			t.Errorf("row (1, -2) quantised to %v, want [64 -127]", nb.Codes[2:])
		}
	})
	t.Run("ragged", func(t *testing.T) {
		if _, err := QuantizeNeighbors([][]float32{{1, 2}, {1}}); !errors.Is(err, ErrInvalidMap) {
			t.Errorf("err = %v, want ErrInvalidMap", err)
		}
	})
	t.Run("NaN", func(t *testing.T) {
		if _, err := QuantizeNeighbors([][]float32{{1, float32(math.NaN())}}); !errors.Is(err, ErrInvalidMap) {
			t.Errorf("err = %v, want ErrInvalidMap", err)
		}
	})
	t.Run("none", func(t *testing.T) {
		nb, err := QuantizeNeighbors(nil)
		if nb != nil || err != nil {
			t.Errorf("QuantizeNeighbors(nil) = %v, %v; want nil, nil", nb, err)
		}
	})
}

func TestWriteFile(t *testing.T) {
	m := syntheticMap(50, 4, 3)
	tests := []struct {
		name  string
		file  string
		magic string
	}{
		{"svg", "map.svg", "<?xml"},
		{"png", "map.png", "\x89PNG"},
		{"html", "map.html", "<!DOCTYPE html>"},
		{"htm", "map.htm", "<!DOCTYPE html>"},
		{"upper case", "MAP.SVG", "<?xml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tt.file)
			if err := WriteFile(path, m); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte(tt.magic)) {
				t.Errorf("%s starts with %q, want %q", tt.file, b[:min(len(b), 16)], tt.magic)
			}
			assertOnlyFiles(t, dir, tt.file)
		})
	}
	for _, name := range []string{"map.pdf", "map", "map.html.gz"} {
		t.Run("unsupported "+name, func(t *testing.T) {
			dir := t.TempDir()
			err := WriteFile(filepath.Join(dir, name), m)
			if !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("err = %v, want ErrUnsupportedFormat", err)
			}
			for _, ext := range Formats {
				if !strings.Contains(err.Error(), ext) {
					t.Errorf("error %q does not list %s", err, ext)
				}
			}
			assertOnlyFiles(t, dir)
		})
	}
	t.Run("invalid map keeps the old file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "map.html")
		if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
			t.Fatal(err)
		}
		bad := &Map{Points: []Point{{ID: "x", Theme: 3}}}
		if err := WriteFile(path, bad); !errors.Is(err, ErrInvalidMap) {
			t.Fatalf("err = %v, want ErrInvalidMap", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "old" {
			t.Errorf("file now holds %q, want the old content", b)
		}
		assertOnlyFiles(t, dir, "map.html")
	})
	t.Run("missing directory", func(t *testing.T) {
		err := WriteFile(filepath.Join(t.TempDir(), "no", "such", "map.svg"), m)
		if err == nil {
			t.Fatal("writing into a missing directory succeeded")
		}
	})
}

func assertOnlyFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("directory holds %q, want %q", got, want)
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://arxiv.org/abs/2007.00001", "https://arxiv.org/abs/2007.00001"},
		{"  http://example.org/a?b=c#d ", "http://example.org/a?b=c#d"},
		{"HTTPS://Example.org/x", "https://Example.org/x"},
		{"javascript:alert(1)", ""},
		{"JaVaScRiPt:alert(1)", ""},
		{"data:text/html,<script>alert(1)</script>", ""},
		{"//example.org/x", ""},
		{"/relative/path", ""},
		{"https:///no-host", ""},
		{"https://user:pw@example.org/", ""},
		{"https://example.org/a b", ""},
		{"https://example.org/\\evil", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := SafeURL(tt.in); got != tt.want {
				t.Errorf("SafeURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestThemeStyle(t *testing.T) {
	seen := map[[4]uint8]bool{}
	for i := range 4 * len(palette) {
		c, s := ThemeStyle(i)
		key := [4]uint8{c.R, c.G, c.B, uint8(s)}
		if seen[key] {
			t.Fatalf("theme %d repeats the colour and shape of an earlier theme", i)
		}
		seen[key] = true
		if c == noThemeColor {
			t.Fatalf("theme %d is drawn in the no-theme grey", i)
		}
	}
	if c, _ := ThemeStyle(-1); c != noThemeColor {
		t.Errorf("ThemeStyle(-1) = %v, want the no-theme grey", c)
	}
}

// hueOf returns the hue of c in degrees (HSV), and whether c has one.
func hueOf(c color.NRGBA) (float64, bool) {
	r, g, b := float64(c.R)/255, float64(c.G)/255, float64(c.B)/255
	mx, mn := max(r, g, b), min(r, g, b)
	d := mx - mn
	if d == 0 {
		return 0, false
	}
	var h float64
	switch mx {
	case r:
		h = math.Mod((g-b)/d, 6)
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	h *= 60
	if h < 0 {
		h += 360
	}
	return h, true
}

func TestThemeStylesHierarchy(t *testing.T) {
	m := arxivHierMap(t)
	st := ThemeStyles(m)
	if len(st) != len(m.Themes) {
		t.Fatalf("%d styles for %d themes", len(st), len(m.Themes))
	}
	root := 0
	siblings := map[int][]int{}
	for i, th := range m.Themes {
		if th.Level == 0 {
			c, s := ThemeStyle(root)
			if st[i] != (Style{c, s}) {
				t.Errorf("broad theme %d (index %d): style %v, want palette entry %d %v", th.ID, i, st[i], root, Style{c, s})
			}
			root++
			continue
		}
		p := st[th.Parent]
		if st[i].Shape != p.Shape {
			t.Errorf("sub-theme %d: shape %d, its broad theme's %d", th.ID, st[i].Shape, p.Shape)
		}
		// A shade mixes the parent's colour with black or white, which
		// keeps its hue up to the rounding of 8-bit channels.
		hp, _ := hueOf(p.Color)
		hc, ok := hueOf(st[i].Color)
		if dh := math.Abs(hp - hc); ok && min(dh, 360-dh) > 4 {
			t.Errorf("sub-theme %d: hue %.1f°, its broad theme's %.1f°", th.ID, hc, hp)
		}
		siblings[th.Parent] = append(siblings[th.Parent], i)
	}
	if root == 0 || len(siblings) == 0 {
		t.Fatalf("fixture has %d broad themes and %d with sub-themes: not a hierarchy", root, len(siblings))
	}
	for p, kids := range siblings {
		for a := range kids {
			for b := a + 1; b < len(kids); b++ {
				ca, cb := st[kids[a]].Color, st[kids[b]].Color
				d := math.Abs(float64(ca.R)-float64(cb.R)) + math.Abs(float64(ca.G)-float64(cb.G)) + math.Abs(float64(ca.B)-float64(cb.B))
				// 16 of 765 (sum of channel differences) tells two shades apart on screen.
				if d < 16 {
					t.Errorf("sub-themes %d and %d of theme %d: colours %v and %v too close (%.0f)", m.Themes[kids[a]].ID, m.Themes[kids[b]].ID, m.Themes[p].ID, ca, cb, d)
				}
			}
		}
	}
}

func TestReportStylesMatchMap(t *testing.T) {
	r := sampleReport(syntheticMap(300, 7, 3), false)
	// The map of the same hierarchy: the tree's levels flattened, broadest first.
	m := &Map{}
	for _, n := range r.Tree[0] {
		m.Themes = append(m.Themes, Theme{ID: n.ID, Label: n.Label})
	}
	for _, n := range r.Tree[1] {
		th := Theme{ID: n.ID, Label: n.Label, Level: 1}
		for pi, p := range r.Tree[0] {
			if slices.Contains(p.Children, n.ID) {
				th.Parent = pi
			}
		}
		m.Themes = append(m.Themes, th)
	}
	want := ThemeStyles(m)
	got := reportStyles(r)
	for j, rt := range r.Themes {
		k := len(r.Tree[0]) + slices.IndexFunc(r.Tree[1], func(n TreeNode) bool { return n.ID == rt.ID })
		if got[j] != want[k] {
			t.Errorf("report theme %d: style %v, the map's %v", rt.ID, got[j], want[k])
		}
	}
	// Without a tree the themes take the palette in order.
	r.Tree = nil
	for j, s := range reportStyles(r) {
		if c, sh := ThemeStyle(j); s != (Style{c, sh}) {
			t.Errorf("flat report theme %d: style %v, want palette entry %d", j, s, j)
		}
	}
}

func TestForestStylesCycle(t *testing.T) {
	// 0 and 1 name each other as parent, 2 hangs below the loop, 3 is out
	// of range: all are drawn as broad themes in palette order, and the
	// call returns.
	st := forestStyles([]int{1, 0, 0, 9})
	for i, s := range st {
		if c, sh := ThemeStyle(i); s != (Style{c, sh}) {
			t.Errorf("node %d: style %v, want palette entry %d", i, s, i)
		}
	}
}
