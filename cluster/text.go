package cluster

import (
	"regexp"
	"strings"
)

// markup matches what a title or abstract carries besides words: TeX math
// ($…$, $$…$$, \(…\), \[…\]), TeX commands (\bar, \mathrm), HTML or XML tags,
// character entities (&amp;) and URLs.
var markup = regexp.MustCompile(`\$\$[^$]*\$\$|\$[^$]*\$|\\\([^)]*\\\)|\\\[[^\]]*\\\]|\\[A-Za-z]+|</?[A-Za-z][^<>]*>|&[A-Za-z]+;|&#[0-9]+;|https?://\S+`)

// StripMarkup returns text with TeX math and commands, HTML tags, character
// entities and URLs replaced by spaces, so that their pieces ("bar", "pi",
// "mathrm", "sup") do not become keywords. Braces left by TeX are removed.
func StripMarkup(text string) string {
	// Every match holds one of these characters or "://": most abstracts
	// hold none and skip the expression (colons alone are common).
	if !strings.ContainsAny(text, `$\<&`) && !strings.Contains(text, "://") {
		return text
	}
	text = markup.ReplaceAllString(text, " ")
	return strings.NewReplacer("{", " ", "}", " ").Replace(text)
}

// WordForm returns the key under which inflected forms of an English word are
// merged: plural nouns and third-person verbs lose their ending ("groups",
// "equations", "holes" → "group", "equation", "hole"; "studies" → "study";
// "processes" → "process"), words that only look plural keep it ("analysis",
// "physics", "class", "corpus", "series"). It is a deliberately light stemmer:
// keywords must stay readable, so nothing else is cut.
func WordForm(w string) string {
	n := len(w)
	if n <= 3 || w[n-1] != 's' {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"),
		strings.HasSuffix(w, "ics"), strings.HasSuffix(w, "ous"), strings.HasSuffix(w, "series"),
		strings.HasSuffix(w, "species"), plainS[w]:
		return w
	case strings.HasSuffix(w, "ies") && n > 4:
		return w[:n-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "ches"),
		strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "zes") && !strings.HasSuffix(w, "izes"):
		return w[:n-2]
	}
	return w[:n-1]
}

// plainS are words ending in s that are not plurals and that WordForm's
// suffix rules would cut.
var plainS = map[string]bool{"bias": true, "gas": true, "lens": true, "news": true, "whereas": true, "atlas": true, "canvas": true, "chaos": true, "cosmos": true, "ethos": true, "pathos": true, "thanks": true, "always": true, "perhaps": true}

// phraseForm is WordForm applied to every word of a space-separated phrase.
func phraseForm(term string) string {
	if !strings.Contains(term, " ") {
		return WordForm(term)
	}
	f := strings.Fields(term)
	for i, w := range f {
		f[i] = WordForm(w)
	}
	return strings.Join(f, " ")
}

// boilerplateWords are the words of conference front matter and other texts
// that are not research: session headers ("Session details: Keynote
// address"), calls, committees, proceedings front matter.
var boilerplateWords = map[string]bool{
	"session": true, "details": true, "keynote": true, "track": true, "panel": true,
	"chair": true, "chairs": true, "committee": true, "proceedings": true, "welcome": true,
	"message": true, "front": true, "matter": true, "organizers": true, "invited": true,
	"talk": true, "tutorial": true, "workshop": true, "address": true, "program": true,
	"index": true, "author": true, "poster": true, "demo": true, "doctoral": true,
	"consortium": true, "award": true,
}
