package topicmap

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// parsedPage is what an HTML5 parser (as a browser would) makes of a page.
type parsedPage struct {
	root    *html.Node
	scripts []*html.Node
	iframes []*html.Node
	elems   map[string]int
}

func parsePage(t *testing.T, b []byte) *parsedPage {
	t.Helper()
	root, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	p := &parsedPage{root: root, elems: map[string]int{}}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			p.elems[n.Data]++
			switch n.Data {
			case "script":
				p.scripts = append(p.scripts, n)
			case "iframe":
				p.iframes = append(p.iframes, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return p
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func nodeText(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}

func writeHTML(t *testing.T, m *Map, opts HTMLOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, m, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pageData decodes the JSON of #papermap-data and #papermap-late, with
// the gzipped text of the latter inflated.
func pageData(t *testing.T, p *parsedPage) *htmlData {
	t.Helper()
	var d *htmlData
	for _, s := range p.scripts {
		switch attr(s, "id") {
		case "papermap-data":
			if attr(s, "type") != "application/json" {
				t.Fatalf("data script has type %q", attr(s, "type"))
			}
			d = new(htmlData)
			if err := json.Unmarshal([]byte(nodeText(s)), d); err != nil {
				t.Fatalf("data is not JSON: %v", err)
			}
		case "papermap-late":
			if d == nil {
				t.Fatal("#papermap-late comes before #papermap-data")
			}
			if attr(s, "type") != "application/json" {
				t.Fatalf("late data script has type %q", attr(s, "type"))
			}
			if err := json.Unmarshal([]byte(nodeText(s)), &d.htmlLate); err != nil {
				t.Fatalf("late data is not JSON: %v", err)
			}
			z, err := base64.StdEncoding.DecodeString(d.Text)
			if err != nil {
				t.Fatalf("data text is not base64: %v", err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(z))
			if err != nil {
				t.Fatalf("data text is not gzip: %v", err)
			}
			if err := json.NewDecoder(zr).Decode(&d.htmlText); err != nil {
				t.Fatalf("data text is not JSON: %v", err)
			}
			return d
		}
	}
	t.Fatal("no #papermap-data and #papermap-late elements")
	return nil
}

func decodeUint16s(t *testing.T, s string) []uint16 {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]uint16, len(b)/2)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return out
}

// decodeCoords decodes the page's uint16 coordinates as the page does.
func decodeCoords(t *testing.T, s string, lo, hi float32) []float64 {
	t.Helper()
	q := decodeUint16s(t, s)
	out := make([]float64, len(q))
	for i, v := range q {
		out[i] = float64(lo) + float64(v)*(float64(hi)-float64(lo))/65535
	}
	return out
}

func TestWriteHTMLEscaping(t *testing.T) {
	m := syntheticMap(200, 6, 11)
	hostile := withHostile(m)
	m.Title = `</title><script>window.__pwned=3</script> & "map"`
	b := writeHTML(t, m, HTMLOptions{})
	p := parsePage(t, b)

	t.Run("only the page's own scripts", func(t *testing.T) {
		if len(p.scripts) != 3 {
			t.Fatalf("%d <script> elements, want 3 (data, code, late data)", len(p.scripts))
		}
		for _, tag := range []string{"img", "b", "iframe", "object", "embed", "link", "a", "form"} {
			if p.elems[tag] != 0 {
				t.Errorf("%d <%s> elements in the page", p.elems[tag], tag)
			}
		}
	})
	t.Run("raw hostile text absent", func(t *testing.T) {
		for _, h := range append(hostileTitles, m.Title) {
			for _, frag := range []string{"<script>alert", "</script><script>", "<img src=x", "<b>bold", "</title><script>"} {
				if strings.Contains(h, frag) && bytes.Contains(b, []byte(frag)) {
					t.Errorf("page contains raw %q", frag)
				}
			}
		}
	})
	t.Run("data round-trips", func(t *testing.T) {
		d := pageData(t, p)
		if d.N != len(m.Points) || len(d.Titles) != len(m.Points) {
			t.Fatalf("data has n=%d and %d titles, want %d", d.N, len(d.Titles), len(m.Points))
		}
		for _, i := range hostile {
			if d.Titles[i] != m.Points[i].Title {
				t.Errorf("title %d = %q, want %q", i, d.Titles[i], m.Points[i].Title)
			}
			if !strings.HasPrefix(m.Points[i].Snippet, d.Snippets[i]) {
				t.Errorf("snippet %d = %q, want a prefix of %q", i, d.Snippets[i], m.Points[i].Snippet)
			}
			if d.URLs[i] != "" {
				t.Errorf("javascript: URL of paper %d kept as %q", i, d.URLs[i])
			}
		}
		if d.URLs[0] != m.Points[0].URL {
			t.Errorf("URL 0 = %q, want %q", d.URLs[0], m.Points[0].URL)
		}
		if d.Themes[1].Label != m.Themes[1].Label {
			t.Errorf("theme label %q, want %q", d.Themes[1].Label, m.Themes[1].Label)
		}
		xs, ys := decodeCoords(t, d.X, d.Bounds[0], d.Bounds[2]), decodeCoords(t, d.Y, d.Bounds[1], d.Bounds[3])
		theme, year := decodeUint16s(t, d.Theme), decodeUint16s(t, d.Year)
		// Coordinates are quantised to 1/65535 of the extent: half a step
		// of error at most.
		tolX := float64(d.Bounds[2]-d.Bounds[0]) / 65535 * 0.51
		tolY := float64(d.Bounds[3]-d.Bounds[1]) / 65535 * 0.51
		for i, pt := range m.Points {
			if math.Abs(xs[i]-float64(pt.X)) > tolX || math.Abs(ys[i]-float64(pt.Y)) > tolY || int(theme[i])-1 != pt.Theme || int(year[i]) != pt.Year {
				t.Fatalf("point %d decodes as (%v, %v, theme %d, %d), want (%v, %v, theme %d, %d)",
					i, xs[i], ys[i], int(theme[i])-1, year[i], pt.X, pt.Y, pt.Theme, pt.Year)
			}
		}
		codes, err := base64.StdEncoding.DecodeString(d.NB.Codes)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range m.Neighbors.Codes {
			if int8(codes[i]) != c {
				t.Fatalf("neighbour code %d = %d, want %d", i, int8(codes[i]), c)
			}
		}
	})
	t.Run("title is text", func(t *testing.T) {
		var title *html.Node
		var find func(n *html.Node)
		find = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "title" {
				title = n
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				find(c)
			}
		}
		find(p.root)
		if title == nil || nodeText(title) != m.Title {
			t.Errorf("<title> text %q, want %q", nodeText(title), m.Title)
		}
	})
}

func TestWriteHTMLSelfContained(t *testing.T) {
	m := syntheticMap(100, 4, 1)
	b := writeHTML(t, m, HTMLOptions{})
	p := parsePage(t, b)
	// Take the data elements out; what is left is the page's own code.
	shell := b
	if attr(p.scripts[0], "id") != "papermap-data" {
		t.Fatal("first script is not the data")
	}
	for _, d := range p.scripts {
		if attr(d, "type") != "application/json" {
			continue
		}
		data := []byte(nodeText(d))
		i := bytes.Index(shell, data)
		if i < 0 {
			t.Fatalf("data of #%s not found verbatim in the page", attr(d, "id"))
		}
		shell = append(append([]byte{}, shell[:i]...), shell[i+len(data):]...)
	}
	t.Run("no network references", func(t *testing.T) {
		for _, re := range []string{`(?i)https?://`, `(?i)<[a-z][^>]*\s(src|srcset|href|action|poster|data)\s*=`, `(?i)@import`, `(?i)<link`, `(?i)\bfetch\(`, `(?i)XMLHttpRequest`, `(?i)new\s+WebSocket`, `(?i)\bimport\(`} {
			if loc := regexp.MustCompile(re).FindIndex(shell); loc != nil {
				t.Errorf("page code matches %s: %q", re, shell[max(0, loc[0]-40):min(len(shell), loc[1]+40)])
			}
		}
		if strings.Contains(strings.ToLower(mapCSS), "url(") {
			t.Error("the style sheet refers to a url()")
		}
		if d := pageData(t, p); len(d.URLs) == 0 || d.URLs[0] != "https://example.org/abs/0" {
			t.Error("the data lost the papers' URLs")
		}
	})
	t.Run("content security policy admits exactly the code", func(t *testing.T) {
		code := nodeText(p.scripts[1])
		sum := sha256.Sum256([]byte(code))
		want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		csp := ""
		var find func(n *html.Node)
		find = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "meta" && strings.EqualFold(attr(n, "http-equiv"), "Content-Security-Policy") {
				csp = attr(n, "content")
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				find(c)
			}
		}
		find(p.root)
		if !strings.Contains(csp, "script-src "+want) {
			t.Errorf("CSP %q does not admit the script's hash %s", csp, want)
		}
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP %q is too permissive", csp)
		}
		if strings.Contains(csp, "script-src 'unsafe-inline'") {
			t.Errorf("CSP %q admits any inline script", csp)
		}
	})
	t.Run("test hook present", func(t *testing.T) {
		for _, hook := range []string{"window.papermap", "screenOf", "hoverText", "search", "ready"} {
			if !bytes.Contains(shell, []byte(hook)) {
				t.Errorf("page lacks %s", hook)
			}
		}
	})
}

func TestWriteHTMLOptions(t *testing.T) {
	m := syntheticMap(30, 3, 4)
	m.Points[0].Snippet = strings.Repeat("é", 500)
	tests := []struct {
		name       string
		opts       HTMLOptions
		snippetLen int // runes of snippet 0; -1 for no snippets
		neighbours int
	}{
		{"defaults", HTMLOptions{}, 300, 10},
		{"short", HTMLOptions{SnippetLen: 20, NeighborCount: 3}, 20, 3},
		{"no snippets", HTMLOptions{SnippetLen: -1}, -1, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := pageData(t, parsePage(t, writeHTML(t, m, tt.opts)))
			if tt.snippetLen < 0 {
				if d.Snippets != nil {
					t.Errorf("snippets present: %d", len(d.Snippets))
				}
			} else if got := len([]rune(d.Snippets[0])); got != tt.snippetLen {
				t.Errorf("snippet 0 has %d runes, want %d", got, tt.snippetLen)
			}
			if d.NeighbourCount != tt.neighbours {
				t.Errorf("neighbour count %d, want %d", d.NeighbourCount, tt.neighbours)
			}
		})
	}
}

func TestWriteHTMLDeterministic(t *testing.T) {
	m := syntheticMap(500, 7, 8)
	withHostile(m)
	a := writeHTML(t, m, HTMLOptions{})
	b := writeHTML(t, m, HTMLOptions{})
	if !bytes.Equal(a, b) {
		t.Error("two pages of the same map differ")
	}
}

func TestWriteHTMLInvalid(t *testing.T) {
	err := WriteHTML(io.Discard, &Map{Points: []Point{{Theme: 1}}}, HTMLOptions{})
	if !errors.Is(err, ErrInvalidMap) {
		t.Errorf("err = %v, want ErrInvalidMap", err)
	}
}

func TestWriteHTMLCountsReadable(t *testing.T) {
	// The header of a large map reads "12,345 papers", not "12345 papers".
	b := writeHTML(t, syntheticMap(12345, 7, 1), HTMLOptions{})
	if !bytes.Contains(b, []byte("12,345 papers &middot; 7 themes")) && !bytes.Contains(b, []byte("12,345 papers · 7 themes")) {
		i := bytes.Index(b, []byte("pm-stats"))
		t.Errorf("the header does not read \"12,345 papers · 7 themes\": %q", b[i:min(len(b), i+80)])
	}
}

// The page opens on the frame of the static maps: a far island of a few
// papers is outside the opening view, every paper stays on the page.
func TestWriteHTMLOpeningView(t *testing.T) {
	m := syntheticMap(2000, 6, 5)
	// 40 papers (2 %) of theme 0 moved to an island 5 map widths away.
	for i := 0; i < 40; i++ {
		m.Points[i].X, m.Points[i].Y = 120+float32(i%5)*0.1, -120+float32(i/5)*0.1
	}
	d := pageData(t, parsePage(t, writeHTML(t, m, HTMLOptions{})))
	v := d.View
	if !(v[0] < v[2] && v[1] < v[3]) {
		t.Fatalf("view %v is empty", v)
	}
	if v[2] >= 120 || v[1] <= -120 {
		t.Errorf("view %v includes the island at (120, -120)", v)
	}
	if d.Bounds[2] < 120 || d.Bounds[1] > -120 {
		t.Errorf("bounds %v lose the island: every paper must stay on the page", d.Bounds)
	}
	in := 0
	for _, p := range m.Points[40:] {
		if p.X >= v[0] && p.X <= v[2] && p.Y >= v[1] && p.Y <= v[3] {
			in++
		}
	}
	// The synthetic themes spread ±1.6 around centres at radius 6-10: all
	// but the 0.5 % trimmed per axis end and a few strays fit.
	if rest := len(m.Points) - 40; float64(in) < 0.97*float64(rest) {
		t.Errorf("view %v holds %d of the %d other papers, want ≥ 97 %%", v, in, rest)
	}
}
