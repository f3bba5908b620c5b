package topicmap

import (
	"bytes"
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

// htmlData is the JSON the page reads from #papermap-data. Numeric columns
// that are large and need no precision beyond float32 (coordinates,
// neighbour codes) are base64 of little-endian binary, which is about half
// the size of JSON numbers and decodes faster.
type htmlData struct {
	Version        int         `json:"v"`
	Title          string      `json:"title"`
	N              int         `json:"n"`
	IDs            []string    `json:"ids"`
	Titles         []string    `json:"titles"`
	Snippets       []string    `json:"snippets,omitempty"`
	URLs           []string    `json:"urls,omitempty"`
	X              string      `json:"x"`
	Y              string      `json:"y"`
	Theme          []int       `json:"theme"`
	Year           []int       `json:"year,omitempty"`
	Themes         []htmlTheme `json:"themes"`
	NoThemeColor   string      `json:"noThemeColor"`
	NeighbourCount int         `json:"neighbourCount"`
	NB             *htmlNB     `json:"nb,omitempty"`
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
// Data goes into a <script type="application/json"> element as
// encoding/json output, which escapes <, > and & so no title can end the
// element early; the page inserts every string with textContent.
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
	Data           template.JS
	Papers, Themes string // counts with thousands separators: "1,000,000"
}

// mapPage prepares the template data of the interactive map.
func mapPage(m *Map, opts HTMLOptions) (*mapPageData, error) {
	data, err := json.Marshal(newHTMLData(m, opts))
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
		IDs:            make([]string, n),
		Titles:         make([]string, n),
		Theme:          make([]int, n),
		Themes:         make([]htmlTheme, len(m.Themes)),
		NoThemeColor:   hexColor(noThemeColor),
		NeighbourCount: opts.NeighborCount,
	}
	xs := make([]float32, n)
	ys := make([]float32, n)
	var snippets, urls []string
	var years []int
	for i, p := range m.Points {
		d.IDs[i] = p.ID
		d.Titles[i] = oneLine(p.Title)
		d.Theme[i] = p.Theme
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
		if p.Year != 0 {
			if years == nil {
				years = make([]int, n)
			}
			years[i] = p.Year
		}
	}
	d.Snippets, d.URLs, d.Year = snippets, urls, years
	d.X, d.Y = floatsBase64(xs), floatsBase64(ys)
	for i, t := range m.Themes {
		col, shape := ThemeStyle(i)
		kw := t.Keywords
		if kw == nil {
			kw = []string{}
		}
		d.Themes[i] = htmlTheme{ID: t.ID, Label: oneLine(t.Label), Keywords: kw, Size: t.Size, X: t.X, Y: t.Y, Color: hexColor(col), Shape: shape}
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

func floatsBase64(fs []float32) string {
	b := make([]byte, 4*len(fs))
	for i, f := range fs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
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
