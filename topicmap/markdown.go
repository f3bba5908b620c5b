package topicmap

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/papermap/papermap/internal/format"
)

// WriteMarkdown writes r as a Markdown (CommonMark with GitHub tables)
// report: summary, method, a themes table, each theme's central papers,
// themes over time, outliers, near-duplicate pairs and a link to the map.
// Every string from the data is escaped (see MarkdownEscape), so a title can
// neither inject HTML nor break a table. The output depends only on r.
func WriteMarkdown(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("topicmap: nil report")
	}
	v := newReportView(r)
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	e := MarkdownEscape

	p("# %s\n\n", e(v.Title))
	if v.Generated != "" {
		p("_Generated %s by papermap._\n\n", v.Generated)
	}

	p("## Summary\n\n")
	c := r.Corpus
	corpus := papers(c.Papers)
	if v.YearRange != "" {
		corpus += ", published " + v.YearRange
	}
	p("- **Corpus:** %s\n", corpus)
	if len(c.Sources) > 0 {
		srcs := make([]string, len(c.Sources))
		for i, s := range c.Sources {
			srcs[i] = e(s)
		}
		p("- **Sources:** %s\n", strings.Join(srcs, ", "))
	}
	if c.Embedder != "" || c.Model != "" {
		emb := e(c.Embedder)
		if c.Model != "" {
			emb += " (model " + e(c.Model)
			if c.Dimensions > 0 {
				emb += fmt.Sprintf(", %d dimensions", c.Dimensions)
			}
			emb += ")"
		}
		p("- **Embedder:** %s\n", emb)
	}
	p("- **Themes:** %d\n", len(r.Themes))
	if len(r.Outliers) > 0 {
		p("- **Outliers listed:** %d\n", len(r.Outliers))
	}
	if len(r.NearDuplicates) > 0 {
		p("- **Near-duplicate pairs:** %d\n", len(r.NearDuplicates))
	}
	if v.MapLink != "" {
		p("- **Map:** [open the interactive map](%s)\n", markdownDest(v.MapLink))
	}
	p("\n")
	if v.MapImage != "" {
		p("![Topic map: papers coloured by theme, with the theme names on their regions](%s)\n\n", markdownDest(v.MapImage))
	}

	if strings.TrimSpace(r.Method) != "" || len(r.KScores) > 0 {
		p("## Method\n\n")
		if m := strings.TrimSpace(r.Method); m != "" {
			p("%s\n\n", e(m))
		}
		if ks := v.kRows(); len(ks) > 0 {
			p("Stability of the partitions into k themes across subsamples, the same for data without clusters, and their difference (the score; see cluster.ChooseK):\n\n")
			p("| k | stability | without clusters | score | |\n|---:|---:|---:|---:|---|\n")
			for _, k := range ks {
				mark := ""
				if k.K == v.ChosenK {
					mark = "chosen"
				}
				p("| %d | %s | %s | %s | %s |\n", k.K, formatScore(k.Stability), formatScore(k.NullStability), formatScore(k.Score), mark)
			}
			p("\n")
		}
	}
	if q := r.Quality; q != (Quality{}) {
		p("## Quality\n\n")
		p("- **Silhouette:** %s (mean cosine silhouette of the papers' vectors under these themes; −1 to 1)\n", formatScore(q.Silhouette))
		p("- **Topic diversity:** %s (share of distinct words among the themes' top 10 keywords)\n", formatScore(q.Diversity))
		p("- **NPMI coherence:** %s (mean NPMI of each theme's top 10 keywords over 10-word windows of the texts; −1 to 1)\n\n", formatScore(q.Coherence))
	}

	if len(r.Themes) > 0 {
		p("## Themes\n\n")
		p("| # | papers | label | keywords | stability | NPMI | note |\n|---:|---:|---|---|---:|---:|---|\n")
		for _, t := range r.Themes {
			p("| %d | %s | %s | %s | %s | %s | %s |\n", t.ID, format.Int(t.Size), e(t.Label), e(strings.Join(t.Keywords, ", ")),
				stabilityText(t.Stability), formatScore(t.Coherence), themeFlags(t.Boilerplate, t.Unstable))
		}
		p("\n")
		if len(r.Tree) > 1 {
			p("### Theme tree\n\n")
			p("Broad themes and their sub-themes (papers, stability); the themes above are level %d of %d.\n\n", r.ChosenLevel+1, len(r.Tree))
			writeTree(bw, r.Tree)
			p("\n")
		}
		for _, t := range r.Themes {
			p("### %d. %s\n\n", t.ID, e(t.Label))
			p("%s", papers(t.Size))
			if f := themeFlags(t.Boilerplate, t.Unstable); f != "" {
				p(" · **%s**", f)
			}
			if len(t.Keywords) > 0 {
				p(" · keywords: %s", e(strings.Join(t.Keywords, ", ")))
			}
			p("\n\n")
			if len(t.Central) > 0 {
				p("Central papers (cosine to the theme centre):\n\n")
				for i, pr := range t.Central {
					p("%d. %s\n", i+1, markdownPaper(pr, false))
				}
				p("\n")
			}
		}
	}

	// One year is no trend: every theme's share of it is its share of all.
	if len(v.Years) > 1 && len(r.Themes) > 0 {
		periods := v.periods(8)
		p("## Themes over time\n\n")
		span := "year"
		if periods[0].first != periods[0].last {
			span = fmt.Sprintf("period of %d years", periods[0].last-periods[0].first+1)
		}
		p("Share of each %s's papers in each theme, with the number of papers in brackets.\n\n", span)
		p("| theme |")
		for _, pr := range periods {
			p(" %s |", pr.name())
		}
		p(" all |\n|---|")
		for range periods {
			p("---:|")
		}
		p("---:|\n")
		all := 0
		for _, pr := range periods {
			all += pr.total
		}
		for j, t := range r.Themes {
			p("| %s |", e(strconv.Itoa(t.ID)+" "+oneLine(t.Label)))
			sum := 0
			for _, pr := range periods {
				p(" %s |", shareText(pr.counts[j], pr.total))
				sum += pr.counts[j]
			}
			p(" %s |\n", shareText(sum, all))
		}
		p("| **papers** |")
		for _, pr := range periods {
			p(" %s |", format.Int(pr.total))
		}
		p(" %s |\n\n", format.Int(all))
	}

	if len(r.Outliers) > 0 {
		p("## Outliers\n\n")
		p("Papers least like the rest of their theme (lowest cosine to its centre).\n\n")
		p("| paper | year | theme | cosine |\n|---|---:|---|---:|\n")
		for _, o := range r.Outliers {
			p("| %s | %s | %s | %s |\n", markdownPaper(o, true), yearText(o.Year), e(v.themeName(o.Theme)), formatScore(o.Score))
		}
		p("\n")
	}

	if len(r.NearDuplicates) > 0 {
		p("## Near-duplicate pairs\n\n")
		p("| paper A | paper B | cosine |\n|---|---|---:|\n")
		for _, d := range r.NearDuplicates {
			p("| %s | %s | %s |\n", markdownPaper(d.A, true), markdownPaper(d.B, true), formatScore(d.Cosine))
		}
		p("\n")
	}

	if err := bw.Flush(); err != nil {
		return fmt.Errorf("topicmap: writing markdown: %w", err)
	}
	return nil
}

// markdownPaper renders "Title (year) — id" with everything escaped; brief
// leaves the score out (tables have a column for it).
func markdownPaper(pr PaperRef, brief bool) string {
	e := MarkdownEscape
	title := oneLine(pr.Title)
	if title == "" {
		title = pr.ID
	}
	s := "**" + e(title) + "**"
	if !brief && pr.Year > 0 {
		s += fmt.Sprintf(" (%d)", pr.Year)
	}
	if pr.ID != "" && pr.ID != title {
		s += " — " + e(pr.ID)
	}
	if !brief {
		s += " · " + formatScore(pr.Score)
	}
	return s
}

func yearText(y int) string {
	if y <= 0 {
		return ""
	}
	return strconv.Itoa(y)
}

// MarkdownEscape makes s safe to put in Markdown running text or a table
// cell: white space (newlines too) is folded to single spaces; backslash,
// |, [, ], `, *, ~, _ and a leading #, +, - or = are backslash-escaped; <
// and > become &lt; and &gt;, and & becomes &amp; where it would start an
// entity (&lt;, &#60;). The result renders as the original text and never
// as HTML, a link, code or a heading.
func MarkdownEscape(s string) string {
	s = oneLine(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		switch r {
		case '\\', '|', '[', ']', '`', '*', '~', '_':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			if entityRef.MatchString(s[i:]) {
				b.WriteString("&amp;")
			} else {
				b.WriteByte('&')
			}
		case '#', '+', '-', '=':
			if i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// entityRef matches an HTML entity or character reference at the start of
// a string, as CommonMark recognises them.
var entityRef = regexp.MustCompile(`^&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

// markdownDest makes a link destination of an already validated link:
// parentheses and spaces are percent-encoded so the link cannot end early.
func markdownDest(link string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E").Replace(link)
}

// writeTree writes the hierarchy as a nested Markdown list.
func writeTree(w io.Writer, tree [][]TreeNode) {
	for _, t := range tree[0] {
		writeNode(w, tree, 0, t, "")
	}
}

func writeNode(w io.Writer, tree [][]TreeNode, l int, t TreeNode, indent string) {
	note := ""
	if f := themeFlags(t.Boilerplate, t.Unstable); f != "" {
		note = " · **" + f + "**"
	}
	fmt.Fprintf(w, "%s- **%d %s** (%s, stability %s)%s\n", indent, t.ID, MarkdownEscape(t.Label), format.Int(t.Size), stabilityText(t.Stability), note)
	if l+1 < len(tree) {
		for _, c := range t.Children {
			if c >= 0 && c < len(tree[l+1]) {
				writeNode(w, tree, l+1, tree[l+1][c], indent+"  ")
			}
		}
	}
}
