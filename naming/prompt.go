package naming

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// What a prompt holds of a theme.
const (
	// MaxDocs is the number of representative documents sent per theme,
	// as BERTopic sends (its nr_docs default).
	MaxDocs = 4
	// DocRunes is the most characters of each document sent; a document
	// is cut at the end of its last word that fits.
	DocRunes = 400
	// MaxKeywords is the number of keywords sent per theme.
	MaxKeywords = 10
)

// The prompts, in the shape of BERTopic's default text-generation prompt
// (its representation.TextGeneration and OpenAI prompts): the documents,
// the keywords, then the request. A parent is named from its sub-themes'
// names, as Toponymy names the layers above the finest one. [DOCUMENTS],
// [KEYWORDS] and [SUBTOPICS] are replaced by one "- " line per item and a
// comma-separated list.
const (
	LeafPrompt = `I have a topic that contains the following documents:
[DOCUMENTS]
The topic is described by the following keywords: [KEYWORDS]

Based on the information above, give a short topic label, three words at most. Answer with the label only.
`
	ParentPrompt = `I have a broad topic made of the following sub-topics:
[SUBTOPICS]
The broad topic is described by the following keywords: [KEYWORDS]

Based on the information above, give a short topic label for the broad topic, three words at most. Answer with the label only.
`
)

// prompt returns the prompt for theme t, whose children have the names
// given in children (nil for a theme without them), or "" when there is
// nothing to name it from.
func prompt(t ThemeText, children []string) string {
	kws := t.Keywords[:min(len(t.Keywords), MaxKeywords)]
	if len(t.Children) > 0 {
		if len(children) == 0 {
			return ""
		}
		return strings.NewReplacer(
			"[SUBTOPICS]", bullets(children),
			"[KEYWORDS]", strings.Join(kws, ", "),
		).Replace(ParentPrompt)
	}
	var docs []string
	for _, d := range t.Docs {
		if len(docs) == MaxDocs {
			break
		}
		if d = cutRunes(strings.Join(strings.Fields(d), " "), DocRunes); d != "" {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 && len(kws) == 0 {
		return ""
	}
	return strings.NewReplacer(
		"[DOCUMENTS]", bullets(docs),
		"[KEYWORDS]", strings.Join(kws, ", "),
	).Replace(LeafPrompt)
}

func bullets(items []string) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("- ")
		b.WriteString(it)
	}
	return b.String()
}

// cutRunes returns s cut at the end of its last word within n characters
// (inside the first word if that alone is longer).
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return cut
}

// promptVersion is bumped when what is sent changes in a way the
// templates do not show (how documents are cut, what the options are).
const promptVersion = 1

// promptHash identifies the prompts and sampling options a name was asked
// with: a cached name is used only under the same hash.
func promptHash(seed, numPredict int) string {
	h := sha256.New()
	fmt.Fprintf(h, "v%d\x00%s\x00%s\x00docs %d runes %d keywords %d\x00temperature 0 seed %d num_predict %d",
		promptVersion, LeafPrompt, ParentPrompt, MaxDocs, DocRunes, MaxKeywords, seed, numPredict)
	return hex.EncodeToString(h.Sum(nil)[:8])
}
