package paper

import (
	"reflect"
	"strings"
	"testing"
)

func TestCleanText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Deep learning", "Deep learning"},
		{"collapse space", "  Deep \t\n learning  ", "Deep learning"},
		{"acm sup", "The Semantic Web 10<sup>th</sup> Year Update", "The Semantic Web 10th Year Update"},
		{"sub", "H<sub>2</sub>O splitting", "H2O splitting"},
		{"italic and bold", "<i>In situ</i> and <b>bold</b> claims", "In situ and bold claims"},
		{"span with attributes", `a <span class="x">word</span>`, "a word"},
		{"jats inline", "<jats:italic>E. coli</jats:italic> growth", "E. coli growth"},
		{"jats block", "<jats:p>First.</jats:p><jats:p>Second.</jats:p>", "First. Second."},
		{"paragraph tags become spaces", "One.<p>Two.<br/>Three.", "One. Two. Three."},
		{"escaped tags", "30&lt;sup&gt;th&lt;/sup&gt; conference", "30th conference"},
		{"entities", "Wiley &amp; Sons, 5&nbsp;ms, 180&#176;, &#x3b1;", "Wiley & Sons, 5 ms, 180°, α"},
		{"unknown entity kept", "&thetas; stays", "&thetas; stays"},
		{"bare ampersand", "AT&T and R&D", "AT&T and R&D"},
		{"no semicolon kept", "?a=1&not=2", "?a=1&not=2"},
		{"less-than in maths kept", "x<y and y>z", "x<y and y>z"},
		{"code kept", "std::vector<bool> is odd", "std::vector<bool> is odd"},
		{"unclosed tag kept", "a <b and c", "a <b and c"},
		{"invalid utf8 repaired", "caf\xe9 au lait", "caf\uFFFD au lait"},
		{"control chars dropped", "a\x01b\x7fc", "abc"},
		{"bom dropped", "\uFEFFtitle", "title"},
		{"no-break space", "a\u00a0\u00a0b", "a b"},
		{"space then no-break space", "a \u00a0b", "a b"},
		{"space then control", "a \x01b", "a b"},
		{"space then umlaut", "a über", "a über"},
		{"trailing space", "a b ", "a b"},
		{"double space", "a  b", "a b"},
		{"tab", "a\tb", "a b"},
		{"empty", "", ""},
		{"only space", " \t\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanText(tt.in); got != tt.want {
				t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLatexToText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Deep learning", "Deep learning"},
		{"acute braced", `Garc{\'\i}a`, "García"},
		{"acute inside braces", `Qu\'{e}bec`, "Québec"},
		{"acute of dotless i", `Mart\'{\i}n`, "Martín"},
		{"umlaut", `M{\"u}ller and \"{O}zt\"urk`, "Müller and Öztürk"},
		{"naive", `na\"{\i}ve`, "naïve"},
		{"cedilla", `Gon\c{c}alves, Fran\c{c}ois`, "Gonçalves, François"},
		{"cedilla with space", `Gon\c calves`, "Gonçalves"},
		{"caron", `\v{S}koda and {\v{C}}apek`, "Škoda and Čapek"},
		{"ring", `{\r{A}}ngstr\"om`, "Ångström"},
		{"tilde accent", `Espa\~na`, "España"},
		{"letters", `Stra\ss e, {\O}ster, \l{}\'od\'z, \ae on`, "Straße, Øster, łódź, æon"},
		{"symbols keep space", `10\texttimes{} faster \textendash{} really`, "10× faster – really"},
		{"dashes", "pages 1--10 --- or so", "pages 1–10 — or so"},
		{"quotes", "``hot'' topics", "“hot” topics"},
		{"escapes", `A \& B, 5\%, \$3, \#1, a\_b`, "A & B, 5%, $3, #1, a_b"},
		{"protective braces", "{B}ayesian {LHC} data", "Bayesian LHC data"},
		{"nested braces", "{{Deep}} {L{earn}}ing", "Deep Learning"},
		{"math greek", `$\epsilon$-net with $\alpha\ge 0$`, "ε-net with α≥ 0"},
		{"math log", `$O(n \log n)$ time`, "O(n log n) time"},
		{"math frac", `$\frac{dw}{dt}$ and $\frac12$`, "dw/dt and 1/2"},
		{"math frac complex", `$\frac{n+1}{2}$`, "(n+1)/2"},
		{"math sub sup kept", `$\Lambda_{\alpha}$ and $x^2$`, "Λ_α and x^2"},
		{"mathbb", `$\mathbb{R}^n$`, "R^n"},
		{"hat", `$\hat{g}$`, "ĝ"},
		{"lone dollar kept", "This !?$%# Office", "This !?$%# Office"},
		{"prices kept", "costs $5 and $10 a day", "costs $5 and $10 a day"},
		{"dollar then space kept", "incomes of $ 50,000 or $ 60,000", "incomes of $ 50,000 or $ 60,000"},
		{"tilde between words", `e.g.~images`, "e.g. images"},
		{"tilde before word kept", "makes only ~O(n) mistakes", "makes only ~O(n) mistakes"},
		{"emph", `a \emph{new} and \textbf{bold} idea`, "a new and bold idea"},
		{"font switch", `{\bf F} and {\it x}`, "F and x"},
		{"unknown command kept", `the \foo{bar} command`, `the \foobar command`},
		{"url", `\url{http://x.org/a_b}`, "http://x.org/a_b"},
		{"hskip dimension", `{\rhd\hskip-0.5em<}`, "⊳<"},
		{"trailing backslash", `a\`, `a\`},
		{"unbalanced close", "a}b", "ab"},
		{"unbalanced open", "a{b", "ab"},
		{"accent without argument", `\~{}`, "~"},
		{"percent is not a comment", "up 10% over", "up 10% over"},
		{"par", `one\par two`, "one two"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanText(latexToText(tt.in)); got != tt.want {
				t.Errorf("latexToText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLatexDeepNesting(t *testing.T) {
	// Neither deep groups nor deep accent arguments may recurse without
	// bound (a stack overflow cannot be recovered from).
	for _, tt := range []struct{ name, in string }{
		{"groups", strings.Repeat("{", 1_000_000) + "x" + strings.Repeat("}", 1_000_000)},
		{"accents", strings.Repeat(`\'{`, 100_000) + "e" + strings.Repeat("}", 100_000)},
		{"dollars", strings.Repeat("$x ", 100_000)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := latexToText(tt.in)
			if !strings.Contains(got, "x") && !strings.Contains(got, "e") {
				t.Errorf("latexToText lost the text: %q", got[:min(len(got), 40)])
			}
		})
	}
}

func TestSplitAuthors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"arxiv", "C. Balázs, E. L. Berger, P. M. Nadolsky and C.-P. Yuan", []string{"C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"}},
		{"bibtex style", "Hendler, James and Ram, Ashwin", []string{"Hendler, James", "Ram, Ashwin"}},
		{"one last-first", "Hendler, James", []string{"Hendler, James"}},
		{"two first-last", "Ada Lovelace, Charles Babbage", []string{"Ada Lovelace", "Charles Babbage"}},
		{"semicolons", "Lovelace, Ada; Babbage, Charles", []string{"Lovelace, Ada", "Babbage, Charles"}},
		{"others dropped", "A. Smith and others", []string{"A. Smith"}},
		{"empty", "  ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitAuthors(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitAuthors(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBibAuthors(t *testing.T) {
	got := bibAuthors(`Bal{\'a}zs, C. and {Barnes and Noble, Inc.} AND Yuan, C.-P. and others`)
	want := []string{"Balázs, C.", "Barnes and Noble, Inc.", "Yuan, C.-P."}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bibAuthors = %q, want %q", got, want)
	}
}

func TestParseYear(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"2011", 2011}, {"2007-04-02", 2007}, {"Mon, 2 Apr 2007 19:18:42 GMT", 2007},
		{"12345", 0}, {"n.d.", 0}, {"", 0}, {"May 1999", 1999},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := parseYear(tt.in); got != tt.want {
				t.Errorf("parseYear(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanDOI(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"10.1145/ABC.1", "10.1145/ABC.1"}, {"https://doi.org/10.1145/abc.1", "10.1145/abc.1"},
		{"doi:10.1145/Abc.1", "10.1145/Abc.1"}, {" http://dx.doi.org/10.1145/abc.1 ", "10.1145/abc.1"},
		{"HTTPS://DOI.ORG/10.1145/ABC.1", "10.1145/ABC.1"}, {"DOI:10.1145/abc.1", "10.1145/abc.1"},
	} {
		in := tt.in
		t.Run(in, func(t *testing.T) {
			// The case is kept as written; only the resolver prefix goes.
			if got := cleanDOI(in); got != tt.want {
				t.Errorf("cleanDOI(%q) = %q, want %q", in, got, tt.want)
			}
			if !isDOI(in) {
				t.Errorf("isDOI(%q) = false", in)
			}
		})
	}
	for _, in := range []string{"0704.0001", "10.1145", "t:abc", "10./x"} {
		if isDOI(in) {
			t.Errorf("isDOI(%q) = true", in)
		}
	}
}

func TestBinaryAt(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	tests := []struct {
		name   string
		in     []byte
		binary bool
		at     int
	}{
		{"text", []byte("Title\nAbstract.\n"), false, 0},
		{"latin1 text", []byte("caf\xe9 cr\xe8me br\xfbl\xe9e, a long enough line of ordinary text"), false, 0},
		{"png", png, true, 8},
		{"controls", []byte("\x01\x02\x03\x04abc"), true, 0},
		{"cut utf8 at end", []byte("abc\xe2\x82"), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at, bin := binaryAt(tt.in)
			if bin != tt.binary || (bin && at != tt.at) {
				t.Errorf("binaryAt = %d, %v; want %d, %v", at, bin, tt.at, tt.binary)
			}
		})
	}
}
