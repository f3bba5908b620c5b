package topicmap

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	nethtml "golang.org/x/net/html"
)

func writeMarkdown(t *testing.T, r *Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteMarkdown(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// unescapedPipes counts the | of a Markdown table line that are not
// backslash-escaped.
func unescapedPipes(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func TestWriteMarkdown(t *testing.T) {
	m := syntheticMap(300, 12, 21)
	withHostile(m)
	r := sampleReport(m, false)
	r.Generated = time.Date(2025, 11, 27, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	out := writeMarkdown(t, r)
	lines := strings.Split(out, "\n")

	t.Run("no raw markup", func(t *testing.T) {
		if i := strings.IndexAny(out, "<>"); i >= 0 {
			t.Errorf("raw < or > in the Markdown: %q", out[max(0, i-40):min(len(out), i+40)])
		}
		if !strings.Contains(out, `&lt;/script&gt;&lt;script&gt;window.\_\_pwned=1&lt;/script&gt;`) {
			t.Error("the hostile title is not there, escaped")
		}
	})
	t.Run("tables keep their columns", func(t *testing.T) {
		want := -1
		for i, l := range lines {
			if !strings.HasPrefix(l, "|") {
				want = -1
				continue
			}
			n := unescapedPipes(l)
			if want < 0 {
				want = n
			} else if n != want {
				t.Errorf("line %d has %d cell separators, its table %d: %q", i+1, n, want, l)
			}
		}
	})
	t.Run("headings are ours", func(t *testing.T) {
		count := map[string]int{}
		for _, l := range lines {
			if strings.HasPrefix(l, "#") {
				count[strings.SplitN(l, " ", 2)[0]]++
			}
		}
		// ## Summary, Method, Quality, Themes, Themes over time, Outliers,
		// Near-duplicate pairs; ### per theme and the theme tree.
		if count["#"] != 1 || count["###"] != len(r.Themes)+1 || count["##"] != 7 {
			t.Errorf("headings %v, want 1 #, 7 ## and %d ###", count, len(r.Themes)+1)
		}
	})
	t.Run("one link, to the map", func(t *testing.T) {
		if n := strings.Count(out, "]("); n != 1 {
			t.Errorf("%d links, want 1", n)
		}
		if !strings.Contains(out, "[open the interactive map](map%20%28final%29.html)") {
			t.Error("map link missing or not escaped")
		}
	})
	t.Run("generated in UTC", func(t *testing.T) {
		if !strings.Contains(out, "_Generated 2025-11-27 09:30 UTC by papermap._") {
			t.Errorf("generation line missing: %q", lines[2])
		}
	})
	t.Run("k scores sorted, chosen marked", func(t *testing.T) {
		i := strings.Index(out, "| k | stability |")
		block := out[i : strings.Index(out[i:], "\n\n")+i]
		want := "| k | stability | without clusters | score | |\n|---:|---:|---:|---:|---|\n" +
			"| 8 | 0.712 | 0.300 | 0.412 |  |\n| 10 | 0.728 | 0.270 | 0.458 |  |\n| 12 | 0.643 | 0.250 | 0.393 | chosen |\n| 14 | 0.601 | 0.200 | 0.401 |  |"
		if block != want {
			t.Errorf("k table:\n%s\nwant:\n%s", block, want)
		}
	})
	t.Run("quality, flags and tree", func(t *testing.T) {
		for _, want := range []string{
			"- **Silhouette:** 0.052 ", "- **Topic diversity:** 0.810 ", "- **NPMI coherence:** 0.110 ",
			"themes above are level 2 of 2",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q", want)
			}
		}
		// Each broad theme is a top-level item with its themes indented
		// under it; the flags show in the themes table and the tree.
		i := strings.Index(out, "### Theme tree\n\n")
		i += strings.Index(out[i:], "\n\n") + 2 // the heading
		i += strings.Index(out[i:], "\n\n") + 2 // the paragraph
		tree := out[i : strings.Index(out[i:], "\n\n")+i]
		top, sub := 0, 0
		for _, l := range strings.Split(tree, "\n") {
			switch {
			case strings.HasPrefix(l, "- **"):
				top++
			case strings.HasPrefix(l, "  - **"):
				sub++
			default:
				t.Errorf("tree line %q", l)
			}
		}
		if top != len(r.Tree[0]) || sub != len(r.Themes) {
			t.Errorf("tree has %d broad and %d sub-themes, want %d and %d", top, sub, len(r.Tree[0]), len(r.Themes))
		}
		if !strings.Contains(tree, "stability –)") || !strings.Contains(tree, "· **boilerplate**") || !strings.Contains(tree, "· **unstable**") {
			t.Errorf("tree lacks unmeasured stability or flags:\n%s", tree)
		}
		if strings.Contains(tree, "<b>") {
			t.Error("tree label not escaped")
		}
	})
	t.Run("over-time table adds up", func(t *testing.T) {
		i := strings.Index(out, "| theme |")
		if i < 0 {
			t.Fatal("no over-time table")
		}
		// Cells are "12.5 % (3)" or "–"; the last row is the papers per
		// period and the last column all periods.
		count := func(c string) (n int, share float64) {
			c = strings.TrimSpace(c)
			if c == "–" {
				return 0, 0
			}
			if _, err := fmt.Sscanf(c, "%g %% (%d)", &share, &n); err != nil {
				if n, err = strconv.Atoi(strings.ReplaceAll(c, ",", "")); err != nil {
					t.Fatalf("cell %q: %v", c, err)
				}
			}
			return n, share
		}
		lines := strings.Split(out[i:strings.Index(out[i:], "\n\n")+i], "\n")[2:]
		totals := strings.Split(strings.Trim(lines[len(lines)-1], "| "), "|")[1:]
		rows := lines[:len(lines)-1]
		if len(rows) != len(m.Themes) {
			t.Fatalf("%d theme rows, want %d", len(rows), len(m.Themes))
		}
		colSum := make([]int, len(totals))
		for k, l := range rows {
			cells := strings.Split(strings.Trim(l, "| "), "|")[1:]
			sum := 0
			for c, cell := range cells {
				n, share := count(cell)
				colSum[c] += n
				if c < len(cells)-1 {
					sum += n
				}
				tot, _ := count(totals[c])
				if n > 0 && math.Abs(share-100*float64(n)/float64(tot)) > 0.051 {
					t.Errorf("theme %d, column %d: share %.1f %% of %d papers for %d", k, c, share, tot, n)
				}
			}
			if all, _ := count(cells[len(cells)-1]); sum != all || all != m.Themes[k].Size {
				t.Errorf("theme %d: periods add up to %d, all column %d, want its %d papers", k, sum, all, m.Themes[k].Size)
			}
		}
		for c, cell := range totals {
			if tot, _ := count(cell); tot != colSum[c] {
				t.Errorf("column %d: papers %d, themes add up to %d", c, tot, colSum[c])
			}
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		if again := writeMarkdown(t, r); again != out {
			t.Error("two reports of the same data differ")
		}
	})
}

func TestWriteMarkdownEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		r       *Report
		want    []string
		notWant []string
	}{
		{"empty", &Report{}, []string{"# papermap report\n", "- **Themes:** 0"}, []string{"## Themes", "## Outliers", "](", "## Method"}},
		{"javascript map link", &Report{MapHTML: "javascript:alert(1)"}, nil, []string{"](", "javascript"}},
		{"http map link", &Report{MapHTML: "https://example.org/map.html"}, []string{"(https://example.org/map.html)"}, nil},
		{"relative path with colon", &Report{MapHTML: "c:/map.html"}, nil, []string{"]("}},
		{"heading title", &Report{Title: "# Not a heading\n## nor this"}, []string{"# \\# Not a heading ## nor this\n"}, nil},
		{"unknown years", &Report{Themes: []ReportTheme{{ID: 0, Label: "a", Size: 2, Years: map[int]int{0: 2}}}}, nil, []string{"## Themes over time"}},
		// A corpus of one year (the arXiv sample, all 2007) has no trend to show.
		{"one year", &Report{Themes: []ReportTheme{{ID: 0, Label: "a", Size: 2, Years: map[int]int{2007: 2}}, {ID: 1, Label: "b", Size: 1, Years: map[int]int{2007: 1}}}}, nil, []string{"## Themes over time"}},
		{"two years", &Report{Themes: []ReportTheme{{ID: 0, Label: "a", Size: 2, Years: map[int]int{2007: 1, 2008: 1}}}}, []string{"## Themes over time"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := writeMarkdown(t, tt.r)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	if err := WriteMarkdown(&bytes.Buffer{}, nil); err == nil {
		t.Error("WriteMarkdown(nil) succeeded")
	}
}

func TestMarkdownEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain title", "plain title"},
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"a | b", `a \| b`},
		{"[link](javascript:alert(1))", `\[link\](javascript:alert(1))`},
		{"`code`", "\\`code\\`"},
		{"# heading", `\# heading`},
		{"C# and F#", "C# and F#"},
		{"- item", `\- item`},
		{"AT&T &amp; &#60; & done", "AT&T &amp;amp; &amp;#60; & done"},
		{"two\nlines\t here", "two lines here"},
		{`back\slash *bold* ~strike~ _em_`, `back\\slash \*bold\* \~strike\~ \_em\_`},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := MarkdownEscape(tt.in); got != tt.want {
				t.Errorf("MarkdownEscape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func writeReportHTML(t *testing.T, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteReportHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func findAll(n *nethtml.Node, tag string) []*nethtml.Node {
	var out []*nethtml.Node
	var walk func(n *nethtml.Node)
	walk = func(n *nethtml.Node) {
		if n.Type == nethtml.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func allText(n *nethtml.Node) string {
	var b strings.Builder
	var walk func(n *nethtml.Node)
	walk = func(n *nethtml.Node) {
		if n.Type == nethtml.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func TestWriteReportHTML(t *testing.T) {
	m := syntheticMap(300, 12, 21)
	withHostile(m)
	r := sampleReport(m, true)
	r.Title = `Report </title><script>window.__pwned=4</script>`
	b := writeReportHTML(t, r)
	p := parsePage(t, b)

	t.Run("no script outside the map frame", func(t *testing.T) {
		if len(p.scripts) != 0 {
			t.Errorf("%d <script> elements in the report", len(p.scripts))
		}
		for _, tag := range []string{"img", "b", "i", "link"} {
			if p.elems[tag] != 0 {
				t.Errorf("%d <%s> elements", p.elems[tag], tag)
			}
		}
		for _, frag := range []string{"<script>alert", "</script><script>", "<img src=x", "<b>bold", "</title><script>", "<i>"} {
			if bytes.Contains(b, []byte(frag)) {
				t.Errorf("report contains raw %q", frag)
			}
		}
	})
	t.Run("text survives", func(t *testing.T) {
		txt := allText(p.root)
		for _, want := range []string{r.Title, hostileTitles[1], hostileTitles[2], `<b>bold</b> & "quoted" </script>`, "lsa-256 <i>", "refs|odd.bib"} {
			if !strings.Contains(txt, want) {
				t.Errorf("report text lacks %q", want)
			}
		}
	})
	t.Run("map inlined in a sandboxed frame", func(t *testing.T) {
		if len(p.iframes) != 1 {
			t.Fatalf("%d iframes, want 1", len(p.iframes))
		}
		f := p.iframes[0]
		if attr(f, "sandbox") != "allow-scripts" {
			t.Errorf("iframe sandbox=%q, want allow-scripts", attr(f, "sandbox"))
		}
		inner := parsePage(t, []byte(attr(f, "srcdoc")))
		if len(inner.scripts) != 3 {
			t.Fatalf("map frame has %d scripts, want 3", len(inner.scripts))
		}
		d := pageData(t, inner)
		if d.N != len(m.Points) || d.Titles[len(d.Titles)-5] != m.Points[len(m.Points)-5].Title {
			t.Error("map frame data does not match the map")
		}
		sum := sha256.Sum256([]byte(mapJS))
		hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		var csp string
		for _, meta := range findAll(p.root, "meta") {
			if attr(meta, "http-equiv") == "Content-Security-Policy" {
				csp = attr(meta, "content")
			}
		}
		if !strings.Contains(csp, "script-src "+hash) {
			t.Errorf("report CSP %q does not admit the map's script", csp)
		}
	})
	t.Run("chart has a bar segment per year and theme", func(t *testing.T) {
		svgs := findAll(p.root, "svg")
		if len(svgs) != 1 {
			t.Fatalf("%d svg charts, want 1", len(svgs))
		}
		want := 0
		for _, th := range r.Themes {
			for y, n := range th.Years {
				if y != 0 && n > 0 {
					want++
				}
			}
		}
		if got := len(findAll(svgs[0], "rect")); got != want {
			t.Errorf("%d bar segments, want %d", got, want)
		}
	})
	t.Run("map link", func(t *testing.T) {
		var hrefs []string
		for _, a := range findAll(p.root, "a") {
			hrefs = append(hrefs, attr(a, "href"))
		}
		if !strings.Contains(strings.Join(hrefs, " "), "map%20%28final%29.html") {
			t.Errorf("links %q lack the map", hrefs)
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		if !bytes.Equal(b, writeReportHTML(t, r)) {
			t.Error("two reports of the same data differ")
		}
	})
	t.Run("no embed, no script allowed", func(t *testing.T) {
		r2 := *r
		r2.EmbedMap = nil
		r2.MapHTML = "javascript:alert(1)"
		b2 := writeReportHTML(t, &r2)
		p2 := parsePage(t, b2)
		if len(p2.iframes) != 0 {
			t.Error("iframe without EmbedMap")
		}
		if bytes.Contains(b2, []byte("javascript:alert(1)\"")) || strings.Contains(html.UnescapeString(string(b2)), `href="javascript`) {
			t.Error("javascript: map link became an href")
		}
		if !regexp.MustCompile(`script-src 'none'`).MatchString(html.UnescapeString(string(b2))) {
			t.Error("CSP of a report without a map should admit no script")
		}
	})
}
