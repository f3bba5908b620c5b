package paper

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// latexToText turns the LaTeX found in BibTeX field values into readable
// Unicode text:
//
//   - accents become precomposed letters: \'e {\"o} \c{c} \v{S} \'{\i} -> é ö ç Š í;
//   - special letters and symbols: \ss \o \ae \l \i \texttimes \textendash -> ß ø æ ł ı × –;
//   - escapes: \& \% \$ \# \_ \{ \} -> & % $ # _ { };
//   - -- and --- become – and —, two backquotes and two apostrophes become
//     “ and ”, a ~ between two words becomes a space;
//   - math between $...$ (or \(...\)) is kept without the dollars, with
//     Greek letters and common operators as Unicode ($O(n \log n)$ -> O(n log n),
//     $\epsilon$ -> ε, \frac{a}{b} -> a/b); ^ and _ stay;
//   - font commands keep their argument (\emph{x}, \textbf{x}, \mathbb{R} -> x, x, R);
//   - remaining braces are removed; unknown commands are kept as written
//     (\foo), so nothing is silently lost.
//
// A single '$' without a partner is kept as a dollar sign. The result is
// in Unicode NFC.
func latexToText(s string) string {
	if !strings.ContainsAny(s, "\\{}$~`'-") {
		return s
	}
	c := latexConv{s: s}
	c.b.Grow(len(s))
	c.run(false, false)
	out := c.b.String()
	if !norm.NFC.IsNormalString(out) {
		out = norm.NFC.String(out)
	}
	return out
}

type latexConv struct {
	s     string
	i     int
	b     strings.Builder
	depth int // of command arguments, bounded by maxLatexDepth
}

// maxLatexDepth bounds the nesting of command arguments (\'{\'{...}})
// converted recursively; deeper arguments are kept as raw text.
const maxLatexDepth = 32

// maxMathLen bounds how far a '$' looks for its partner, so that a file
// full of lone dollars reads in linear time.
const maxMathLen = 4096

// run converts until the end of the input or, when group is set, until
// the '}' that closes the group whose '{' has been read (it is consumed).
// Braces are dropped; nested groups are counted, not recursed into.
func (c *latexConv) run(math, group bool) {
	depth := 0
	for c.i < len(c.s) {
		ch := c.s[c.i]
		switch ch {
		case '\\':
			c.command(math)
		case '{':
			depth++
			c.i++
		case '}':
			c.i++
			if depth == 0 && group {
				return
			}
			depth = max(depth-1, 0) // an unbalanced '}' is dropped too
		case '$':
			c.dollar(math)
		case '~':
			if c.i > 0 && c.i+1 < len(c.s) && !isSpaceByte(c.s[c.i-1]) && !isSpaceByte(c.s[c.i+1]) {
				c.b.WriteByte(' ')
			} else {
				c.b.WriteByte('~')
			}
			c.i++
		case '-':
			if !math && strings.HasPrefix(c.s[c.i:], "---") {
				c.b.WriteString("—")
				c.i += 3
			} else if !math && strings.HasPrefix(c.s[c.i:], "--") {
				c.b.WriteString("–")
				c.i += 2
			} else {
				c.b.WriteByte('-')
				c.i++
			}
		case '`':
			if !math && strings.HasPrefix(c.s[c.i:], "``") {
				c.b.WriteString("“")
				c.i += 2
			} else {
				c.b.WriteByte('`')
				c.i++
			}
		case '\'':
			if !math && strings.HasPrefix(c.s[c.i:], "''") {
				c.b.WriteString("”")
				c.i += 2
			} else {
				c.b.WriteByte('\'')
				c.i++
			}
		default:
			c.b.WriteByte(ch)
			c.i++
		}
	}
}

func isSpaceByte(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// dollar handles a '$' outside of an escape.
func (c *latexConv) dollar(math bool) {
	if math {
		c.i++ // a stray $ inside math: drop it
		return
	}
	n := 1
	if strings.HasPrefix(c.s[c.i:], "$$") {
		n = 2
	}
	end := -1
	if c.i+n < len(c.s) && !isSpaceByte(c.s[c.i+n]) {
		end = findMathEnd(c.s, c.i+n, c.s[c.i:c.i+n])
	}
	if end < 0 {
		c.b.WriteByte('$')
		c.i++
		return
	}
	inner := latexConv{s: c.s[c.i+n : end], depth: c.depth + 1}
	inner.run(true, false)
	c.b.WriteString(inner.b.String())
	c.i = end + n
}

// findMathEnd returns the index of the closing delimiter of math that
// starts at i, skipping escaped characters, or -1. A dollar followed by a
// digit does not close math: it is a price ("$5 and $10" stays as it is).
func findMathEnd(s string, i int, delim string) int {
	limit := min(len(s), i+maxMathLen)
	for i < limit {
		switch {
		case s[i] == '\\':
			i += 2
		case strings.HasPrefix(s[i:], delim):
			if j := i + len(delim); j < len(s) && s[j] >= '0' && s[j] <= '9' {
				return -1
			}
			return i
		default:
			i++
		}
	}
	return -1
}

// command converts the command starting at c.s[c.i] == '\\'.
func (c *latexConv) command(math bool) {
	c.i++ // the backslash
	if c.i >= len(c.s) {
		c.b.WriteByte('\\')
		return
	}
	ch := c.s[c.i]
	if !isLetter(ch) {
		c.i++
		if mark, ok := symbolAccents[ch]; ok {
			c.accent(mark, math)
			return
		}
		switch ch {
		case '&', '%', '$', '#', '_', '{', '}':
			c.b.WriteByte(ch)
		case '\\', ' ', ',', ';', ':', '!', '>', '\n', '\t':
			if ch != '!' {
				c.b.WriteByte(' ')
			}
		case '-', '/':
			// discretionary hyphen, italic correction
		case '(', ')', '[', ']':
			// math delimiters \( \) \[ \]: keep the content only
		default:
			c.b.WriteByte('\\')
			r, n := utf8.DecodeRuneInString(c.s[c.i-1:])
			c.b.WriteRune(r)
			c.i += n - 1
		}
		return
	}
	start := c.i
	for c.i < len(c.s) && isLetter(c.s[c.i]) {
		c.i++
	}
	name := c.s[start:c.i]
	if mark, ok := letterAccents[name]; ok {
		c.accent(mark, math)
		return
	}
	if l, ok := latexLetters[name]; ok {
		c.skipSpaces()
		c.b.WriteString(l)
		return
	}
	if sym, ok := latexSymbols[name]; ok {
		c.b.WriteString(sym)
		c.emptyGroup()
		return
	}
	if mark, ok := mathAccents[name]; ok {
		c.accent(mark, math)
		return
	}
	switch {
	case keepArg[name]:
		c.b.WriteString(c.arg(math))
	case dropArg[name]:
		c.arg(math)
	case switches[name]:
		c.skipSpaces()
	case breaks[name]:
		c.b.WriteByte(' ')
		c.skipSpaces()
	case name == "frac" || name == "dfrac" || name == "tfrac":
		num, den := c.arg(true), c.arg(true)
		c.b.WriteString(fracPart(num) + "/" + fracPart(den))
	case name == "sqrt":
		c.b.WriteString("√" + fracPart(c.arg(true)))
	case name == "href":
		c.arg(math)
		c.b.WriteString(c.arg(math))
	case name == "cite" || name == "citep" || name == "citet":
		c.b.WriteString("[" + c.arg(math) + "]")
	case name == "hskip" || name == "vskip" || name == "kern" || name == "hspace" || name == "vspace":
		c.skipDimension()
	default:
		c.b.WriteString("\\" + name)
	}
}

// accent reads an argument and puts the combining mark after its first
// letter; \i and \j lose their dots first (\'{\i} -> í).
func (c *latexConv) accent(mark rune, math bool) {
	arg := c.arg(math)
	if arg == "" {
		if sp, ok := spacingAccents[mark]; ok {
			c.b.WriteString(sp)
		}
		return
	}
	r, n := utf8.DecodeRuneInString(arg)
	switch r {
	case 'ı':
		r = 'i'
	case 'ȷ':
		r = 'j'
	}
	c.b.WriteRune(r)
	c.b.WriteRune(mark)
	c.b.WriteString(arg[n:])
}

// arg reads one argument: a {group}, a command, or one character, after
// optional spaces, and returns it converted.
func (c *latexConv) arg(math bool) string {
	c.skipSpaces()
	if c.i >= len(c.s) {
		return ""
	}
	if c.depth >= maxLatexDepth {
		return c.rawArg()
	}
	sub := latexConv{s: c.s, i: c.i, depth: c.depth + 1}
	switch c.s[c.i] {
	case '{':
		sub.i++
		sub.run(math, true)
	case '\\':
		sub.command(math)
	case '}':
		return ""
	default:
		_, n := utf8.DecodeRuneInString(c.s[c.i:])
		sub.b.WriteString(c.s[c.i : c.i+n])
		sub.i += n
	}
	c.i = sub.i
	return sub.b.String()
}

// rawArg returns the next argument with its braces removed but nothing
// else converted.
func (c *latexConv) rawArg() string {
	if c.s[c.i] != '{' {
		_, n := utf8.DecodeRuneInString(c.s[c.i:])
		c.i += n
		return c.s[c.i-n : c.i]
	}
	var b strings.Builder
	depth := 0
	for c.i < len(c.s) {
		ch := c.s[c.i]
		c.i++
		switch ch {
		case '{':
			depth++
			continue
		case '}':
			depth--
			if depth == 0 {
				return b.String()
			}
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

func (c *latexConv) skipSpaces() {
	for c.i < len(c.s) && isSpaceByte(c.s[c.i]) {
		c.i++
	}
}

// emptyGroup skips a {} right after a symbol command (\texttimes{}).
func (c *latexConv) emptyGroup() {
	if strings.HasPrefix(c.s[c.i:], "{}") {
		c.i += 2
	}
}

// skipDimension skips a TeX dimension such as -0.5em or {2pt}.
func (c *latexConv) skipDimension() {
	c.skipSpaces()
	if c.i < len(c.s) && c.s[c.i] == '{' {
		c.arg(false)
		return
	}
	j := c.i
	for j < len(c.s) && (c.s[j] == '-' || c.s[j] == '+' || c.s[j] == '.' || c.s[j] >= '0' && c.s[j] <= '9') {
		j++
	}
	if j == c.i {
		return
	}
	for _, unit := range []string{"em", "ex", "pt", "mm", "cm", "in", "mu", "pc", "bp", "sp"} {
		if strings.HasPrefix(c.s[j:], unit) {
			c.i = j + len(unit)
			return
		}
	}
}

// fracPart wraps a fraction part in parentheses unless it is one token.
func fracPart(s string) string {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' {
			return "(" + s + ")"
		}
	}
	return s
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// Accent commands and their combining marks.
var (
	symbolAccents = map[byte]rune{
		'\'': '\u0301', '`': '\u0300', '^': '\u0302', '"': '\u0308', '~': '\u0303',
		'=': '\u0304', '.': '\u0307',
	}
	letterAccents = map[string]rune{
		"c": '\u0327', "v": '\u030C', "u": '\u0306', "H": '\u030B', "k": '\u0328',
		"r": '\u030A', "d": '\u0323', "b": '\u0331', "t": '\u0361',
	}
	mathAccents = map[string]rune{
		"hat": '\u0302', "widehat": '\u0302', "tilde": '\u0303', "widetilde": '\u0303',
		"bar": '\u0304', "overline": '\u0305', "vec": '\u20D7', "dot": '\u0307', "ddot": '\u0308',
		"acute": '\u0301', "grave": '\u0300', "breve": '\u0306', "check": '\u030C',
	}
	// spacingAccents render an accent with an empty argument (\~{}).
	spacingAccents = map[rune]string{
		'\u0301': "´", '\u0300': "`", '\u0302': "^", '\u0308': "¨", '\u0303': "~", '\u0304': "¯",
	}
)

// latexLetters produce letters; like TeX, they swallow the spaces after
// them (Stra\ss e -> Straße).
var latexLetters = map[string]string{
	"i": "ı", "j": "ȷ", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "ae": "æ", "AE": "Æ",
	"oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "ss": "ß", "SS": "SS", "dh": "ð", "DH": "Ð",
	"th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ", "dj": "đ", "DJ": "Đ",
}

// latexSymbols are text and math symbols without arguments. The spaces
// after them are kept (TeX would swallow them, a reader would not).
var latexSymbols = map[string]string{
	"textendash": "–", "textemdash": "—", "texttimes": "×", "textquoteright": "’",
	"textquoteleft": "‘", "textquotedblleft": "“", "textquotedblright": "”", "textquotedbl": "\"",
	"textregistered": "®", "texttrademark": "™", "textcopyright": "©", "copyright": "©",
	"textdegree": "°", "textbullet": "•", "textellipsis": "…", "ldots": "…", "dots": "…",
	"cdots": "⋯", "S": "§", "P": "¶", "pounds": "£", "euro": "€", "texteuro": "€",
	"textasciitilde": "~", "textbackslash": "\\", "textunderscore": "_", "textasciicircum": "^",
	"textbar": "|", "textless": "<", "textgreater": ">", "textperiodcentered": "·",
	"textsection": "§", "guillemotleft": "«", "guillemotright": "»", "textonehalf": "½",
	"textmu": "µ", "textpm": "±", "textdollar": "$", "textpercent": "%", "textdagger": "†",
	"LaTeX": "LaTeX", "TeX": "TeX", "BibTeX": "BibTeX", "today": "",
	"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
	"eps": "ε", "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι",
	"kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "varpi": "ϖ",
	"rho": "ρ", "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ",
	"phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
	"Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
	"Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
	"le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "ne": "≠", "times": "×",
	"cdot": "·", "pm": "±", "mp": "∓", "infty": "∞", "approx": "≈", "sim": "∼",
	"simeq": "≃", "equiv": "≡", "propto": "∝", "in": "∈", "notin": "∉", "ni": "∋",
	"subset": "⊂", "subseteq": "⊆", "supset": "⊃", "supseteq": "⊇", "cup": "∪", "cap": "∩",
	"emptyset": "∅", "varnothing": "∅", "forall": "∀", "exists": "∃", "neg": "¬", "lnot": "¬",
	"land": "∧", "lor": "∨", "wedge": "∧", "vee": "∨", "to": "→", "rightarrow": "→",
	"leftarrow": "←", "gets": "←", "Rightarrow": "⇒", "Leftarrow": "⇐", "leftrightarrow": "↔",
	"Leftrightarrow": "⇔", "iff": "⟺", "implies": "⟹", "mapsto": "↦", "sum": "∑", "prod": "∏",
	"int": "∫", "oint": "∮", "partial": "∂", "nabla": "∇", "ell": "ℓ", "ll": "≪", "gg": "≫",
	"prime": "′", "ast": "∗", "star": "⋆", "circ": "∘", "bullet": "•", "langle": "⟨",
	"rangle": "⟩", "lceil": "⌈", "rceil": "⌉", "lfloor": "⌊", "rfloor": "⌋", "vert": "|",
	"mid": "|", "Vert": "‖", "setminus": "∖", "oplus": "⊕", "otimes": "⊗", "top": "⊤",
	"bot": "⊥", "perp": "⊥", "angle": "∠", "triangle": "△", "Box": "□", "diamond": "⋄",
	"rhd": "⊳", "lhd": "⊲", "hbar": "ℏ", "aleph": "ℵ", "Re": "ℜ", "Im": "ℑ", "wp": "℘",
	"dagger": "†", "ddagger": "‡", "sharp": "♯", "flat": "♭", "natural": "♮", "colon": ":",
	"ldotp": ".", "cdotp": "·", "quad": " ", "qquad": " ", "uparrow": "↑", "downarrow": "↓",
	"leadsto": "⇝", "models": "⊨", "vdash": "⊢", "preceq": "⪯", "succeq": "⪰", "prec": "≺",
	"succ": "≻", "cong": "≅", "div": "÷", "lbrace": "{", "rbrace": "}", "backslash": "\\",
	"log": "log", "ln": "ln", "lg": "lg", "exp": "exp", "min": "min", "max": "max",
	"sin": "sin", "cos": "cos", "tan": "tan", "det": "det", "lim": "lim", "sup": "sup",
	"inf": "inf", "arg": "arg", "deg": "deg", "dim": "dim", "ker": "ker", "Pr": "Pr",
	"gcd": "gcd", "mod": "mod", "bmod": "mod", "pmod": "mod", "limsup": "lim sup", "liminf": "lim inf",
	"argmax": "argmax", "argmin": "argmin", "polylog": "polylog", "poly": "poly",
	"leqslant": "≤", "geqslant": "≥", "choose": "choose", "over": "/", "nleq": "≰", "ngeq": "≱",
	"subsetneq": "⊊", "mapsfrom": "↤", "longrightarrow": "⟶", "Longrightarrow": "⟹",
}

// keepArg are font and box commands whose argument is kept as text.
var keepArg = map[string]bool{
	"textbf": true, "textit": true, "emph": true, "textsc": true, "texttt": true,
	"textrm": true, "textsf": true, "textsl": true, "textup": true, "textnormal": true,
	"mathbf": true, "mathit": true, "mathrm": true, "mathsf": true, "mathtt": true,
	"mathcal": true, "mathbb": true, "mathfrak": true, "mathscr": true, "boldsymbol": true,
	"bm": true, "text": true, "mbox": true, "hbox": true, "fbox": true, "operatorname": true,
	"underline": true, "url": true, "textsuperscript": true, "textsubscript": true,
	"ensuremath": true, "mathnormal": true, "uppercase": true, "lowercase": true,
	"MakeUppercase": true, "MakeLowercase": true, "textmd": true, "emphasis": true,
	"footnote": true, "nocase": true, "NoCaseChange": true,
}

// dropArg are commands whose argument is not text.
var dropArg = map[string]bool{
	"label": true, "ref": true, "eqref": true, "pageref": true, "index": true,
	"hyphenation": true, "vphantom": true, "phantom": true, "hphantom": true,
}

// switches are declarations without arguments that change only the look.
var switches = map[string]bool{
	"bf": true, "it": true, "em": true, "rm": true, "sf": true, "tt": true, "sc": true,
	"sl": true, "cal": true, "boldmath": true, "unboldmath": true, "normalfont": true,
	"small": true, "large": true, "Large": true, "LARGE": true, "footnotesize": true,
	"scriptsize": true, "tiny": true, "huge": true, "Huge": true, "normalsize": true,
	"displaystyle": true, "textstyle": true, "scriptstyle": true, "left": true,
	"right": true, "bigl": true, "bigr": true, "Bigl": true, "Bigr": true, "big": true,
	"Big": true, "bigg": true, "Bigg": true, "biggl": true, "biggr": true, "nolinebreak": true,
	"noindent": true, "relax": true, "protect": true, "xspace": true, "limits": true,
	"nolimits": true, "mathstrut": true, "strut": true, "allowbreak": true, "upshape": true, "itshape": true, "bfseries": true,
	"mdseries": true, "scshape": true, "ttfamily": true, "rmfamily": true, "sffamily": true,
	"centering": true, "displaylines": true,
	"negthinspace": true, "Bbb": true,
}

// breaks separate words.
var breaks = map[string]bool{
	"par": true, "newline": true, "linebreak": true, "thinspace": true, "enspace": true,
	"enskip": true, "smallskip": true, "medskip": true, "bigskip": true, "break": true,
}
