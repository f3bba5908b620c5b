package topicmap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
)

// svgStats parses an SVG document as XML and counts its elements and the
// text of its <text> elements.
func svgStats(t *testing.T, b []byte) (elems map[string]int, texts []string) {
	t.Helper()
	elems = map[string]int{}
	d := xml.NewDecoder(bytes.NewReader(b))
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			elems[tok.Name.Local]++
			inText = tok.Name.Local == "text"
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		}
	}
	return elems, texts
}

func TestWriteSVG(t *testing.T) {
	m := syntheticMap(300, 8, 5)
	m.Layout = "pca" // the axes are named only for a PCA map
	withHostile(m)
	var a, b bytes.Buffer
	if err := WriteSVG(&a, m, StaticOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteSVG(&b, m, StaticOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Run("deterministic", func(t *testing.T) {
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Error("two SVGs of the same map differ")
		}
	})
	elems, texts := svgStats(t, a.Bytes())
	t.Run("one mark per paper", func(t *testing.T) {
		if elems["path"] < len(m.Points) {
			t.Errorf("%d <path> elements for %d papers", elems["path"], len(m.Points))
		}
	})
	t.Run("labels and legend", func(t *testing.T) {
		all := strings.Join(texts, "\n")
		for _, want := range []string{m.Title, "PC1", "PC2", "Themes", "2 " + m.Themes[2].Label, `1 <b>bold</b> & "quoted" </script>`} {
			if !strings.Contains(all, want) {
				t.Errorf("SVG text lacks %q", want)
			}
		}
	})
	t.Run("label markup stays text", func(t *testing.T) {
		if elems["b"] != 0 || elems["script"] != 0 {
			t.Errorf("label markup became elements: %v", elems)
		}
		if bytes.Contains(a.Bytes(), []byte("<b>")) || bytes.Contains(a.Bytes(), []byte("</script>")) {
			t.Error("raw markup from a label is in the SVG")
		}
	})
	t.Run("size", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WriteSVG(&buf, m, StaticOptions{Width: 4 * vg.Inch, Height: 3 * vg.Inch}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(buf.Bytes(), []byte(`width="288pt" height="216pt"`)) {
			t.Errorf("4x3in SVG header: %.200s", buf.Bytes())
		}
	})
}

// inkedPixels counts pixels that are not (nearly) white, and pixels whose
// colour is within 40 (sum of channel differences) of each colour.
func inkedPixels(img image.Image, colours [][3]int) (inked int, near []int) {
	near = make([]int, len(colours))
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			p := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
			if p[0] < 245 || p[1] < 245 || p[2] < 245 {
				inked++
			}
			for k, c := range colours {
				if abs(p[0]-c[0])+abs(p[1]-c[1])+abs(p[2]-c[2]) <= 40 {
					near[k]++
				}
			}
		}
	}
	return inked, near
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestWritePNG(t *testing.T) {
	m := syntheticMap(400, 6, 9)
	var a, b bytes.Buffer
	if err := WritePNG(&a, m, StaticOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(&b, m, StaticOptions{}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(a.Bytes()))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	t.Run("size", func(t *testing.T) {
		// Defaults: 10 x 8 inches at 150 dpi.
		if got := img.Bounds().Size(); got != (image.Point{1500, 1200}) {
			t.Errorf("PNG is %v, want 1500x1200", got)
		}
	})
	t.Run("not blank, theme colours present", func(t *testing.T) {
		var cols [][3]int
		for k := range m.Themes {
			c, _ := ThemeStyle(k)
			// Dots are drawn translucent over white.
			_, alpha := dotStyle(len(m.Points))
			blend := func(v uint8) int { return int(255 + (float64(v)-255)*alpha + 0.5) }
			cols = append(cols, [3]int{blend(c.R), blend(c.G), blend(c.B)})
		}
		inked, near := inkedPixels(img, cols)
		total := img.Bounds().Dx() * img.Bounds().Dy()
		if inked < total/100 {
			t.Errorf("only %d of %d pixels are not white", inked, total)
		}
		for k, n := range near {
			if n < 50 {
				t.Errorf("theme %d: %d pixels near its dot colour %v", k, n, cols[k])
			}
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Error("two PNGs of the same map differ")
		}
	})
	t.Run("dpi", func(t *testing.T) {
		var buf bytes.Buffer
		if err := WritePNG(&buf, m, StaticOptions{Width: 4 * vg.Inch, Height: 3 * vg.Inch, DPI: 72}); err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Width != 288 || cfg.Height != 216 {
			t.Errorf("4x3in at 72 dpi is %dx%d, want 288x216", cfg.Width, cfg.Height)
		}
	})
}

func TestStaticEdgeCases(t *testing.T) {
	many := syntheticMap(500, 200, 2)
	one := &Map{Title: "one", Points: []Point{{ID: "a", Title: "A", X: 1, Y: 1, Theme: 0}}, Themes: []Theme{{ID: 0, Label: "only", X: 1, Y: 1, Size: 1}}}
	tests := []struct {
		name string
		m    *Map
		want []string // texts the SVG must contain
	}{
		{"empty", &Map{Title: "nothing"}, []string{"nothing"}},
		{"one paper", one, []string{"0 only"}},
		{"no themes", &Map{Layout: "pca", Points: []Point{{ID: "a", Theme: -1}, {ID: "b", Theme: -1, X: 2, Y: 3}}}, []string{"PC1"}},
		{"legend overflow", many, []string{"more themes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var svg, pngBuf bytes.Buffer
			if err := WriteSVG(&svg, tt.m, StaticOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := WritePNG(&pngBuf, tt.m, StaticOptions{DPI: 50}); err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(&pngBuf); err != nil {
				t.Fatal(err)
			}
			_, texts := svgStats(t, svg.Bytes())
			all := strings.Join(texts, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("SVG text lacks %q", w)
				}
			}
		})
	}
	t.Run("invalid", func(t *testing.T) {
		bad := &Map{Points: []Point{{Theme: 5}}}
		if err := WriteSVG(io.Discard, bad, StaticOptions{}); !errors.Is(err, ErrInvalidMap) {
			t.Errorf("WriteSVG: %v, want ErrInvalidMap", err)
		}
		if err := WritePNG(io.Discard, bad, StaticOptions{}); !errors.Is(err, ErrInvalidMap) {
			t.Errorf("WritePNG: %v, want ErrInvalidMap", err)
		}
	})
}

func TestClipText(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"  a \n\t b  ", -1, "a b"},
		{"abcdef", 6, "abcdef"},
		{"abcdefg", 6, "abcde…"},
		{"ab cd ef", 4, "ab…"},
		{"éééé", 3, "éé…"},
		{"", 5, ""},
		{"   ", -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := clipText(tt.in, tt.n); got != tt.want {
				t.Errorf("clipText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if tt.n < 0 && oneLine(tt.in) != tt.want {
				t.Errorf("oneLine(%q) = %q, want %q", tt.in, oneLine(tt.in), tt.want)
			}
		})
	}
}

// Long labels are wrapped, never cut to an id: the SVG holds every word of
// every label (in the legend, and on the map for those with room).
func TestStaticFullLabels(t *testing.T) {
	m := syntheticMap(400, 12, 4)
	for i := range m.Themes {
		m.Themes[i].Label = fmt.Sprintf("galaxies%d / star formation / galaxy clusters / dark energy survey", i)
	}
	var svg bytes.Buffer
	if err := WriteSVG(&svg, m, StaticOptions{}); err != nil {
		t.Fatal(err)
	}
	_, texts := svgStats(t, svg.Bytes())
	all := strings.Join(texts, " ")
	for i := range m.Themes {
		if !strings.Contains(all, fmt.Sprintf("%d galaxies%d /", m.Themes[i].ID, i)) {
			t.Errorf("legend lacks theme %d", i)
		}
	}
	if c := strings.Count(all, "survey"); c < len(m.Themes) {
		t.Errorf("the end of the labels appears %d times, want at least %d (one legend entry each)", c, len(m.Themes))
	}
	for _, s := range texts {
		if strings.Contains(s, "…") {
			t.Errorf("text cut: %q", s)
		}
	}
}

func TestSegmentHitsRect(t *testing.T) {
	r := vg.Rectangle{Min: vg.Point{X: 10, Y: 10}, Max: vg.Point{X: 20, Y: 20}}
	for _, tc := range []struct {
		name string
		a, b vg.Point
		want bool
	}{
		{"through", vg.Point{X: 0, Y: 15}, vg.Point{X: 30, Y: 15}, true},
		{"diagonal through a corner region", vg.Point{X: 0, Y: 0}, vg.Point{X: 30, Y: 30}, true},
		{"ends inside", vg.Point{X: 0, Y: 15}, vg.Point{X: 12, Y: 15}, true},
		{"starts inside", vg.Point{X: 15, Y: 15}, vg.Point{X: 40, Y: 40}, true},
		{"stops short", vg.Point{X: 0, Y: 15}, vg.Point{X: 9, Y: 15}, false},
		{"passes beside", vg.Point{X: 0, Y: 25}, vg.Point{X: 30, Y: 25}, false},
		{"diagonal past the corner", vg.Point{X: 0, Y: 12}, vg.Point{X: 12, Y: 0}, false},
		{"vertical beside", vg.Point{X: 21, Y: 0}, vg.Point{X: 21, Y: 30}, false},
		{"touches the edge", vg.Point{X: 0, Y: 15}, vg.Point{X: 10, Y: 15}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := segmentHitsRect(tc.a, tc.b, r); got != tc.want {
				t.Errorf("segmentHitsRect(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// TestPlaceLabelsLeaders places crowded labels (seeded positions, sizes of
// one to three wrapped lines) and checks what a reader needs: every box
// inside the frame and clear of the others, and no leader line across
// another label's box (a line may start under a box placed before it,
// when that box covers its theme's position). On ACM 20,000 papers a
// leader line ran through another label before this rule.
func TestPlaceLabelsLeaders(t *testing.T) {
	frame := vg.Rectangle{Max: vg.Point{X: 500, Y: 400}}
	const lineH = 9.0
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var in []labelBox
		for range 40 {
			// Clustered positions, as themes of a map are.
			cx, cy := 100+300*rng.Float64(), 80+240*rng.Float64()
			in = append(in, labelBox{
				at: vg.Point{X: vg.Length(cx + 30*rng.NormFloat64()), Y: vg.Length(cy + 30*rng.NormFloat64())},
				w:  vg.Length(40 + 55*rng.Float64()),
				h:  vg.Length(lineH * float64(1+rng.IntN(3))),
			})
		}
		out := placeLabels(frame, in, lineH)
		placed, moved := 0, 0
		for k, p := range out {
			if !p.ok {
				continue
			}
			placed++
			r := p.r
			if r.Min.X < frame.Min.X || r.Max.X > frame.Max.X || r.Min.Y < frame.Min.Y || r.Max.Y > frame.Max.Y {
				t.Errorf("seed %d: label %d's box %v is beyond the frame", seed, k, r)
			}
			if p.moved {
				moved++
				if !inRect(p.edge, r) {
					t.Errorf("seed %d: label %d's leader ends at %v, off its box %v", seed, k, p.edge, r)
				}
			}
			for j, q := range out[:k] {
				if !q.ok {
					continue
				}
				if r.Min.X < q.r.Max.X && q.r.Min.X < r.Max.X && r.Min.Y < q.r.Max.Y && q.r.Min.Y < r.Max.Y {
					t.Errorf("seed %d: labels %d and %d overlap", seed, j, k)
				}
			}
			for j, q := range out {
				if j == k || !q.ok || !p.moved {
					continue
				}
				if segmentHitsRect(in[k].at, p.edge, q.r) && !(j < k && inRect(in[k].at, q.r)) {
					t.Errorf("seed %d: label %d's leader line crosses label %d", seed, k, j)
				}
			}
		}
		if moved == 0 || placed < len(in)/2 {
			t.Errorf("seed %d: %d of %d labels placed, %d moved: the case is not crowded as meant", seed, placed, len(in), moved)
		}
	}
}
