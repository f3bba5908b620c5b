package naming

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of a sanitised name.
const (
	// MaxRunes is the most characters a name keeps: it is cut at the end
	// of its last word that fits.
	MaxRunes = 60
	// MaxWords is the most words a name keeps. The prompt asks for three
	// at most; a longer answer keeps its first six.
	MaxWords = 6
)

var (
	thinkBlock = regexp.MustCompile(`(?is)<think>.*?(</think>|$)`)
	htmlTag    = regexp.MustCompile(`</?[A-Za-z][^<>]*>`)
	texCommand = regexp.MustCompile(`\\[A-Za-z]+\*?`)
	// labelPrefix is what models put before a name: "Topic:", "Label -",
	// "Topic name:", "Short topic label:".
	labelPrefix = regexp.MustCompile(`(?i)^\s*((short|suggested|final)\s+)?(topic\s+label|topic\s+name|topic|label|name|title)\s*[:=\-–—]\s*`)
	listMarker  = regexp.MustCompile(`^\s*([-•–—*+>]|\d+[.)])\s+`)
)

// markup are characters of Markdown, LaTeX, HTML and quoting that never
// belong in a name; they become spaces.
const markup = "*_#`~|{}[]$^\\<>\"“”„«»‹›「」"

// edgePunct is stripped from both ends of a name and of each word.
const edgePunct = ".,;:!?-–—/&=%@'‘’()"

// Sanitize turns a model's answer into a name: one line, at most MaxWords
// words and MaxRunes characters, without control or format characters,
// markup (HTML tags, LaTeX commands, Markdown emphasis, code and
// headings), quotes, list markers or a "Topic:" prefix, and with
// whitespace collapsed. Reasoning in <think> tags is dropped. It returns ""
// when nothing name-like is left: a name must have a word of two letters
// or more, and letters must be at least half of its characters, so that
// random bytes (which a model with random weights answers) do not pass.
func Sanitize(answer string) string {
	s := strings.ToValidUTF8(answer, " ")
	s = thinkBlock.ReplaceAllString(s, "\n")
	s = htmlTag.ReplaceAllString(s, " ")
	s = texCommand.ReplaceAllString(s, " ")
	for line := range strings.FieldsFuncSeq(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || r == '\v' || r == '\f' || r == '\u0085'
	}) {
		if name := cleanLine(line); name != "" {
			return name
		}
	}
	return ""
}

// cleanLine sanitises one line of an answer, or returns "".
func cleanLine(line string) string {
	line = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.IsSpace(r):
			return ' '
		case strings.ContainsRune(markup, r):
			return ' '
		case r == utf8.RuneError:
			return ' '
		}
		return r
	}, line)
	for {
		l := listMarker.ReplaceAllString(line, "")
		l = labelPrefix.ReplaceAllString(l, "")
		if l == line {
			break
		}
		line = l
	}
	var words []string
	for _, w := range strings.Fields(line) {
		w = strings.Trim(w, edgePunct)
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
			continue
		}
		words = append(words, w)
		if len(words) == MaxWords {
			break
		}
	}
	name := strings.Join(words, " ")
	for utf8.RuneCountInString(name) > MaxRunes {
		if i := strings.LastIndexByte(name, ' '); i > 0 {
			name = name[:i]
			continue
		}
		// One word longer than MaxRunes is cut, and the cut can end on
		// punctuation that a second Sanitize would trim: trim it here so
		// that Sanitize is idempotent (found by FuzzSanitize).
		name = strings.TrimRight(string([]rune(name)[:MaxRunes]), edgePunct)
	}
	if !nameLike(name) {
		return ""
	}
	return name
}

// nameLike reports whether s has a word of two letters or more and at
// least as many letters as other characters (spaces aside).
func nameLike(s string) bool {
	letters, others, run, longest := 0, 0, 0, 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters++
			run++
			longest = max(longest, run)
		case r == ' ':
			run = 0
		default:
			others++
			run = 0
		}
	}
	return longest >= 2 && letters >= others
}
