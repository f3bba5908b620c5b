package cluster

import (
	"slices"
	"strings"
	"unicode"
)

// Keyword is a term with its score (see Keywords).
type Keyword struct {
	Term  string
	Score float64

	id int32 // the term's number in the index that scored it
}

// KeywordOptions are the settings of Keywords; the zero value means defaults.
type KeywordOptions struct {
	// N is the number of keywords per cluster. Default 10.
	N int
	// Bigrams adds pairs of adjacent kept tokens ("control variates") as terms.
	Bigrams bool
	// StopWords replaces the built-in list (see StopWords) when not nil; an
	// empty, non-nil slice removes no words.
	StopWords []string
	// MinDF drops terms found in fewer documents. Default 2.
	MinDF int
}

// Keywords returns, for every cluster j < k, its N most distinctive terms.
//
// The scoring is a Kullback-Leibler contribution, not TF-IDF. The documents of
// a cluster are pooled (class-based, as in BERTopic's c-TF-IDF, Grootendorst
// 2022) and each term t is scored by its share of the pool, p_j(t), against
// its share of the whole corpus, p(t): the term's contribution to the
// Kullback-Leibler divergence of the cluster's word distribution from the
// corpus's,
//
//	score = p_j(t) · ln(p_j(t) / p(t)),
//
// kept only when p_j(t) > p(t) and the term occurs in at least two of the
// cluster's documents (one, for a one-document cluster). Compared with
// c-TF-IDF's tf·log(1 + A/f_t), the log-ratio penalises words that are
// frequent everywhere much harder, which matters when a corpus was collected
// around a few words (a search results page, a venue): on the seed corpus,
// c-TF-IDF labelled half the themes with "spatial", "data" or "variance".
//
// docs are already tokenised, lower-case tokens. Stop words, one-character
// tokens and tokens without a letter are dropped; a bigram joins two tokens
// adjacent in the document, so none spans a dropped word, and none repeats a
// word ("pi pi"). Inflected forms are one term (WordForm: "group" and
// "groups"), shown in their most frequent spelling. A word is left out of a
// cluster's list when a better-ranked phrase of the list holds it ("hole"
// after "black hole"). Terms found in fewer than MinDF documents overall are
// ignored. Ties in score go to the smaller term, so the output is
// deterministic. Documents with a negative label are ignored; a label ≥ k or
// a length mismatch panics. A cluster without documents gets no keywords.
// With a single non-empty cluster there is nothing to contrast, and the score
// is p_j(t) alone.
func Keywords(docs [][]string, labels []int, k int, opts KeywordOptions) [][]Keyword {
	if len(docs) != len(labels) {
		panic("cluster: Keywords length mismatch")
	}
	for _, l := range labels {
		if l >= k {
			panic("cluster: Keywords label out of range")
		}
	}
	masked := make([][]string, len(docs))
	for i, d := range docs {
		if labels[i] >= 0 {
			masked[i] = d
			if masked[i] == nil {
				masked[i] = []string{}
			}
		}
	}
	ix := newTermIndex(masked, stopSet(opts.StopWords), opts.Bigrams)
	return ix.keywords(labels, k, nil, keywordN(opts.N), minDFDefault(opts.MinDF))
}

func keywordN(n int) int {
	if n <= 0 {
		return 10
	}
	return n
}

func minDFDefault(m int) int {
	if m <= 0 {
		return 2
	}
	return m
}

func stopSet(sw []string) map[string]bool {
	if sw == nil {
		sw = StopWords()
	}
	stop := make(map[string]bool, len(sw))
	for _, w := range sw {
		stop[w] = true
	}
	return stop
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// Label names a cluster from its keywords (best first): up to n phrases
// (default 2) joined by " / ", e.g. "control variates / variance reduction".
// Bigrams are preferred: a unigram is replaced by the best listed bigram that
// contains it; a bigram that continues a chosen phrase extends it ("graph
// neural" + "neural networks" = "graph neural networks"); a term sharing a
// word form with a chosen phrase is skipped, so no label repeats a word in
// two spellings.
func Label(kw []Keyword, n int) string {
	l, _ := labelAvoiding(kw, n, nil)
	return l
}

// labelAvoiding is Label skipping every phrase whose form (phraseForm) is in
// avoid (the phrases of the labels of sibling themes); it also returns the
// forms of the phrases it chose.
func labelAvoiding(kw []Keyword, n int, avoid map[string]bool) (string, []string) {
	if n <= 0 {
		n = 2
	}
	var chosen [][]string
	used := map[string]bool{}
	isUsed := func(w string) bool { return used[WordForm(w)] }
	overlaps := func(words []string) bool {
		for _, w := range words {
			if isUsed(w) {
				return true
			}
		}
		return false
	}
	avoided := func(words []string) bool {
		return avoid[phraseForm(strings.Join(words, " "))]
	}
	// extend joins the bigram to a chosen phrase it continues, if any.
	extend := func(b []string) bool {
		for i, p := range chosen {
			var ext []string
			switch {
			case WordForm(p[len(p)-1]) == WordForm(b[0]) && !isUsed(b[1]):
				ext = append(slices.Clone(p), b[1])
			case WordForm(p[0]) == WordForm(b[1]) && !isUsed(b[0]):
				ext = append([]string{b[0]}, p...)
			default:
				continue
			}
			if avoided(ext) {
				continue
			}
			chosen[i] = ext
			used[WordForm(b[0])], used[WordForm(b[1])] = true, true
			return true
		}
		return false
	}
	for _, k := range kw {
		if len(chosen) == n {
			break
		}
		words := strings.Fields(k.Term)
		if len(words) == 1 {
			if isUsed(words[0]) {
				continue
			}
			for _, b := range kw {
				bw := strings.Fields(b.Term)
				if len(bw) != 2 || !slices.ContainsFunc(bw, func(w string) bool { return WordForm(w) == WordForm(words[0]) }) {
					continue
				}
				if extend(bw) {
					words = nil
				} else if !overlaps(bw) && !avoided(bw) {
					words = bw
				}
				break
			}
		} else if overlaps(words) {
			if len(words) == 2 {
				extend(words)
			}
			continue
		}
		if len(words) == 0 || overlaps(words) || avoided(words) {
			continue
		}
		chosen = append(chosen, words)
		for _, w := range words {
			used[WordForm(w)] = true
		}
	}
	out := make([]string, len(chosen))
	forms := make([]string, len(chosen))
	for i, p := range chosen {
		out[i] = strings.Join(p, " ")
		forms[i] = phraseForm(out[i])
	}
	return strings.Join(out, " / "), forms
}
