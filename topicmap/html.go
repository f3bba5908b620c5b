package topicmap

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/papermap/papermap/internal/format"
)

// HTMLOptions tunes the interactive map. The zero value means 300-character
// snippets and ten neighbours per clicked paper.
type HTMLOptions struct {
	// SnippetLen caps each Point.Snippet, in characters (runes); zero means
	// 300 and a negative value leaves the snippets out, which makes a
	// 100k-paper page 2.7 times smaller (49 MB -> 18 MB with 48-dimension
	// neighbour codes) and its first draw correspondingly faster.
	SnippetLen int
	// NeighborCount is how many nearest papers the side panel lists when
	// Map.Neighbors is set; zero means 10.
	NeighborCount int
}

func (o HTMLOptions) withDefaults() HTMLOptions {
	if o.SnippetLen == 0 {
		o.SnippetLen = 300
	}
	if o.NeighborCount <= 0 {
		o.NeighborCount = 10
	}
	return o
}

var (
	//go:embed assets/map.js
	mapJS string
	//go:embed assets/map.css
	mapCSS string
	//go:embed assets/map.html.tmpl
	mapTemplateText string

	mapTemplate = template.Must(template.New("map").Parse(mapTemplateText))
)

// htmlData is the JSON of the page: what it needs for its first draw in
// #papermap-data, the rest (htmlLate) in #papermap-late, which the page
// reads only after that draw. Numeric columns that are large and need no
// precision beyond float32 (coordinates, neighbour codes) are base64 of
// little-endian binary, which is about half the size of JSON numbers and
// decodes faster.
//
// A page of a million papers is 60 % IDs, titles and snippets: parsing them
// before the first draw kept a 1M map blank for 22 s (2.7 s without them;
// load 5-8 on two cores, bench/RESULTS.md "The million-paper map in a
// browser"), so they travel compressed in the late element and are
// inflated after the draw.
type htmlData struct {
	Version  int    `json:"v"`
	Title    string `json:"title"`
	N        int    `json:"n"`
	htmlLate `json:"-"`
	htmlText `json:"-"`
	// Bounds are the coordinates' minimum and maximum (x0, y0, x1, y1);
	// X and Y are base64 little-endian uint16 that map 0..65535 onto
	// them (a 1/65535 step: well below a pixel at any zoom the page
	// allows for maps up to millions of papers).
	Bounds [4]float32 `json:"bounds"`
	// View is the part of the map the page opens on and Reset returns to
	// (x0, y0, x1, y1): the frame of the static maps (staticFrame), so a
	// far island of front matter does not shrink the themes to a corner.
	View [4]float32 `json:"view"`
	X    string     `json:"x"`
	Y    string     `json:"y"`
	// Theme is base64 little-endian uint16: theme index + 1 (0: none).
	Theme string `json:"theme"`
	// Year is base64 little-endian uint16 (0: unknown).
	Year           string      `json:"year,omitempty"`
	Themes         []htmlTheme `json:"themes"`
	Fields         []htmlField `json:"fields,omitempty"`
	Palette        []string    `json:"palette"`
	NoThemeColor   string      `json:"noThemeColor"`
	NeighbourCount int         `json:"neighbourCount"`
}

// htmlLate is the JSON of #papermap-late: what the page needs only once it
// is drawn (hover, search, a clicked paper).
type htmlLate struct {
	// Text is base64 of the gzip of the JSON of htmlText: the papers'
	// IDs, titles, snippets and URLs, which gzip shrinks about
	// threefold; the page inflates them with the browser's
	// DecompressionStream after its first draw.
	Text string  `json:"text"`
	NB   *htmlNB `json:"nb,omitempty"`
}

// htmlText holds the per-paper strings of the page that are compressed
// into htmlLate.Text.
type htmlText struct {
	IDs      []string `json:"ids"`
	Titles   []string `json:"titles"`
	Snippets []string `json:"snippets,omitempty"`
	URLs     []string `json:"urls,omitempty"`
}

// gzipBase64 returns base64 of the gzip of v's JSON. gzip writes no time
// stamp unless asked, so the same map gives the same page.
func gzipBase64(v any) (string, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// htmlField is one categorical field: Of is base64 little-endian uint16,
// value index + 1 (0: none).
type htmlField struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
	Of     string   `json:"of"`
}

type htmlTheme struct {
	ID       int      `json:"id"`
	Label    string   `json:"label"`
	Keywords []string `json:"keywords"`
	Size     int      `json:"size"`
	X        float32  `json:"x"`
	Y        float32  `json:"y"`
	Color    string   `json:"color"`
	Shape    Shape    `json:"shape"`
	Level    int      `json:"level"`
	Parent   int      `json:"parent"` // index, -1 for none
}

type htmlNB struct {
	Dim   int    `json:"dim"`
	Codes string `json:"codes"`
}

// WriteHTML writes m as one self-contained HTML page: a canvas map with pan,
// zoom, hover tooltips, title search, a theme legend that toggles themes, and
// a side panel with the clicked paper's snippet and nearest neighbours. The
// page loads nothing from the network, and a Content-Security-Policy that
// admits only its own script (by hash) makes sure of it.
//
// Data goes into two <script type="application/json"> elements (see
// htmlData) as encoding/json output, which escapes <, > and & so no title
// can end an element early; the papers' IDs, titles, snippets and URLs are
// gzipped (the page inflates them with DecompressionStream, which browsers
// have had since 2023, and shows no titles or snippets without it), and
// the page inserts every string with textContent.
func WriteHTML(w io.Writer, m *Map, opts HTMLOptions) error {
	if err := m.Validate(); err != nil {
		return err
	}
	page, err := mapPage(m, opts.withDefaults())
	if err != nil {
		return err
	}
	if err := mapTemplate.Execute(w, page); err != nil {
		return fmt.Errorf("topicmap: writing html: %w", err)
	}
	return nil
}

type mapPageData struct {
	Title          string
	CSP            string
	CSS            template.CSS
	JS             template.JS
	Data, Late     template.JS
	Papers, Themes string // counts with thousands separators: "1,000,000"
}

// mapPage prepares the template data of the interactive map.
func mapPage(m *Map, opts HTMLOptions) (*mapPageData, error) {
	d := newHTMLData(m, opts)
	text, err := gzipBase64(d.htmlText)
	if err != nil {
		return nil, fmt.Errorf("topicmap: encoding map text: %w", err)
	}
	d.Text = text
	data, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("topicmap: encoding map data: %w", err)
	}
	late, err := json.Marshal(d.htmlLate)
	if err != nil {
		return nil, fmt.Errorf("topicmap: encoding map data: %w", err)
	}
	title := oneLine(m.Title)
	if title == "" {
		title = "papermap"
	}
	return &mapPageData{
		Title: title,
		CSP:   contentSecurityPolicy(mapJS),
		CSS:   template.CSS(mapCSS),
		JS:    template.JS(mapJS),
		// json.Marshal escapes <, >, &, U+2028 and U+2029, so the
		// encoded data can neither close the script element nor start
		// an HTML comment inside it; it is inserted verbatim.
		Data:   template.JS(data),
		Late:   template.JS(late),
		Papers: format.Int(len(m.Points)),
		Themes: format.Int(len(m.Themes)),
	}, nil
}

// contentSecurityPolicy admits exactly the given inline scripts (by their
// SHA-256) and inline styles, and nothing from any network: an injected
// script or event handler would not run even if escaping failed.
func contentSecurityPolicy(scripts ...string) string {
	var b strings.Builder
	b.WriteString("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src")
	for _, s := range scripts {
		sum := sha256.Sum256([]byte(s))
		b.WriteString(" 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'")
	}
	b.WriteString("; base-uri 'none'; form-action 'none'")
	return b.String()
}

func newHTMLData(m *Map, opts HTMLOptions) *htmlData {
	n := len(m.Points)
	d := &htmlData{
		Version:        1,
		Title:          m.Title,
		N:              n,
		htmlText:       htmlText{IDs: make([]string, n), Titles: make([]string, n)},
		Themes:         make([]htmlTheme, len(m.Themes)),
		NoThemeColor:   hexColor(noThemeColor),
		NeighbourCount: opts.NeighborCount,
	}
	xs := make([]float32, n)
	ys := make([]float32, n)
	theme := make([]uint16, n)
	var snippets, urls []string
	var years []uint16
	for i, p := range m.Points {
		d.IDs[i] = p.ID
		d.Titles[i] = oneLine(p.Title)
		theme[i] = uint16(p.Theme + 1)
		xs[i], ys[i] = p.X, p.Y
		if opts.SnippetLen > 0 && p.Snippet != "" {
			if snippets == nil {
				snippets = make([]string, n)
			}
			snippets[i] = clipText(p.Snippet, opts.SnippetLen)
		}
		if u := SafeURL(p.URL); u != "" {
			if urls == nil {
				urls = make([]string, n)
			}
			urls[i] = u
		}
		if p.Year > 0 && p.Year <= math.MaxUint16 {
			if years == nil {
				years = make([]uint16, n)
			}
			years[i] = uint16(p.Year)
		}
	}
	d.Snippets, d.URLs = snippets, urls
	if years != nil {
		d.Year = uint16sBase64(years)
	}
	d.Theme = uint16sBase64(theme)
	var xq, yq []uint16
	if n > 0 {
		fx, fy := make([]float64, n), make([]float64, n)
		for i := range xs {
			fx[i], fy[i] = float64(xs[i]), float64(ys[i])
		}
		f := staticFrame(fx, fy)
		d.View = [4]float32{float32(f.minX), float32(f.minY), float32(f.maxX), float32(f.maxY)}
	}
	xq, d.Bounds[0], d.Bounds[2] = quantize(xs)
	yq, d.Bounds[1], d.Bounds[3] = quantize(ys)
	d.X, d.Y = uint16sBase64(xq), uint16sBase64(yq)
	for i := range numPaletteColours {
		col, _ := ThemeStyle(i)
		d.Palette = append(d.Palette, hexColor(col))
	}
	for _, f := range m.Fields {
		of := make([]uint16, n)
		for i, v := range f.Of {
			of[i] = uint16(v + 1)
		}
		vals := make([]string, len(f.Values))
		for i, v := range f.Values {
			vals[i] = oneLine(v)
		}
		d.Fields = append(d.Fields, htmlField{Name: oneLine(f.Name), Values: vals, Of: uint16sBase64(of)})
	}
	ts := ThemeStyles(m)
	for i, t := range m.Themes {
		col, shape := ts[i].Color, ts[i].Shape
		kw := t.Keywords
		if kw == nil {
			kw = []string{}
		}
		parent := -1
		if t.Level > 0 {
			parent = t.Parent
		}
		d.Themes[i] = htmlTheme{ID: t.ID, Label: oneLine(t.Label), Keywords: kw, Size: t.Size, X: t.X, Y: t.Y, Color: hexColor(col), Shape: shape, Level: t.Level, Parent: parent}
	}
	if nb := m.Neighbors; nb != nil && n > 0 {
		codes := make([]byte, len(nb.Codes))
		for i, c := range nb.Codes {
			codes[i] = byte(c)
		}
		d.NB = &htmlNB{Dim: nb.Dim, Codes: base64.StdEncoding.EncodeToString(codes)}
	}
	return d
}

// numPaletteColours is how many distinct colours the page's categorical
// colourings (venue, archive, ...) cycle through.
const numPaletteColours = 20

// quantize maps fs linearly onto 0..65535 and returns the codes with the
// minimum and maximum.
func quantize(fs []float32) (q []uint16, lo, hi float32) {
	q = make([]uint16, len(fs))
	if len(fs) == 0 {
		return q, 0, 0
	}
	lo, hi = fs[0], fs[0]
	for _, f := range fs {
		lo, hi = min(lo, f), max(hi, f)
	}
	if hi == lo {
		return q, lo, hi
	}
	span := float64(hi) - float64(lo)
	for i, f := range fs {
		q[i] = uint16(math.Round((float64(f) - float64(lo)) / span * 65535))
	}
	return q, lo, hi
}

func uint16sBase64(v []uint16) string {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// SafeURL returns u, normalised, if it is an absolute http or https URL
// with a host, and "" otherwise: javascript:, data:, relative and malformed
// URLs are never turned into links.
func SafeURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" || !utf8.ValidString(u) || strings.ContainsAny(u, " \t\r\n\x00\\") {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil {
		return ""
	}
	return p.String()
}

// renderMapHTML returns the interactive map page as a string, for the
// report to inline.
func renderMapHTML(m *Map, opts HTMLOptions) (string, error) {
	var b bytes.Buffer
	if err := WriteHTML(&b, m, opts); err != nil {
		return "", err
	}
	return b.String(), nil
}
