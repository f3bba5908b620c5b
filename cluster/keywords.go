package cluster

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Keyword is a term with its class-based TF-IDF score.
type Keyword struct {
	Term  string
	Score float64
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
// The documents of a cluster are pooled (class-based, as BERTopic's c-TF-IDF,
// Grootendorst 2022) and each term is scored by its share of the pool, p_j(t),
// against its share of the whole corpus, p(t): the term's contribution to the
// Kullback-Leibler divergence of the cluster from the corpus,
//
//	score = p_j(t) · ln(p_j(t) / p(t)),
//
// kept only when p_j(t) > p(t) and the term occurs in at least two of the
// cluster's documents (one, for a one-document cluster). Compared with
// c-TF-IDF's log(1 + A/f_t), the log-ratio penalises words that are frequent
// everywhere much harder, which matters when a corpus was collected around a
// few words (a search results page, a venue): on the seed corpus, c-TF-IDF
// labelled half the themes with "spatial", "data" or "variance".
//
// docs are already tokenised, lower-case tokens. Stop words, one-character
// tokens and tokens without a letter are dropped; a bigram joins two tokens
// adjacent in the document, so none spans a dropped word. Terms found in fewer
// than MinDF documents overall are ignored. Ties in score go to the smaller
// term, so the output is deterministic. Documents with a negative label are
// ignored; a label ≥ k or a length mismatch panics. A cluster without
// documents gets no keywords. With a single non-empty cluster there is
// nothing to contrast, and the score is p_j(t) alone.
func Keywords(docs [][]string, labels []int, k int, opts KeywordOptions) [][]Keyword {
	if len(docs) != len(labels) {
		panic("cluster: Keywords length mismatch")
	}
	n := opts.N
	if n <= 0 {
		n = 10
	}
	minDF := opts.MinDF
	if minDF <= 0 {
		minDF = 2
	}
	stop := map[string]bool{}
	sw := opts.StopWords
	if sw == nil {
		sw = StopWords()
	}
	for _, w := range sw {
		stop[w] = true
	}
	vocab := map[string]int{}
	var terms []string
	id := func(t string) int {
		if i, ok := vocab[t]; ok {
			return i
		}
		vocab[t] = len(terms)
		terms = append(terms, t)
		return len(terms) - 1
	}
	counts := make([]map[int]float64, k)
	cdf := make([]map[int]float64, k)
	size := make([]float64, k)
	for j := range counts {
		counts[j] = map[int]float64{}
		cdf[j] = map[int]float64{}
	}
	ndocs := 0.0
	var df []int
	seen := map[int]bool{}
	for di, doc := range docs {
		c := labels[di]
		if c < 0 {
			continue
		}
		if c >= k {
			panic("cluster: Keywords label out of range")
		}
		clear(seen)
		size[c]++
		ndocs++
		add := func(t string) {
			i := id(t)
			counts[c][i]++
			if !seen[i] {
				seen[i] = true
				cdf[c][i]++
				for len(df) <= i {
					df = append(df, 0)
				}
				df[i]++
			}
		}
		prevKept := false
		for ti, tok := range doc {
			kept := !stop[tok] && hasLetter(tok) && utf8.RuneCountInString(tok) > 1
			if kept {
				add(tok)
				if opts.Bigrams && prevKept {
					add(doc[ti-1] + " " + tok)
				}
			}
			prevKept = kept
		}
	}
	// A and f_t over terms that pass MinDF.
	freq := make([]float64, len(terms))
	total := make([]float64, k)
	classes := 0
	for j, m := range counts {
		for i, v := range m {
			if df[i] >= minDF {
				freq[i] += v
				total[j] += v
			}
		}
		if total[j] > 0 {
			classes++
		}
	}
	out := make([][]Keyword, k)
	if classes == 0 {
		for j := range out {
			out[j] = []Keyword{}
		}
		return out
	}
	sum := 0.0
	for _, v := range total {
		sum += v
	}
	for j, m := range counts {
		kw := make([]Keyword, 0, len(m))
		for i, v := range m {
			if df[i] < minDF {
				continue
			}
			_ = v
			pc := v / total[j]
			p := freq[i] / sum
			if cdf[j][i] < math.Min(2, size[j]) {
				continue
			}
			score := pc // a single cluster: nothing to contrast, the most frequent terms
			if classes > 1 {
				if pc <= p {
					continue
				}
				score = pc * math.Log(pc/p)
			}
			kw = append(kw, Keyword{Term: terms[i], Score: score})
		}
		slices.SortFunc(kw, func(a, b Keyword) int {
			switch {
			case a.Score > b.Score:
				return -1
			case a.Score < b.Score:
				return 1
			}
			return strings.Compare(a.Term, b.Term)
		})
		out[j] = slices.Clip(kw[:min(n, len(kw))])
	}
	return out
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
// neural" + "neural networks" = "graph neural networks"); a term sharing any
// other word with a chosen phrase is skipped.
func Label(kw []Keyword, n int) string {
	if n <= 0 {
		n = 2
	}
	var chosen [][]string
	used := map[string]bool{}
	overlaps := func(words []string) bool {
		for _, w := range words {
			if used[w] {
				return true
			}
		}
		return false
	}
	// extend joins the bigram to a chosen phrase it continues, if any.
	extend := func(b []string) bool {
		for i, p := range chosen {
			switch {
			case p[len(p)-1] == b[0] && !used[b[1]]:
				chosen[i] = append(p, b[1])
			case p[0] == b[1] && !used[b[0]]:
				chosen[i] = append([]string{b[0]}, p...)
			default:
				continue
			}
			used[b[0]], used[b[1]] = true, true
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
			if used[words[0]] {
				continue
			}
			for _, b := range kw {
				if bw := strings.Fields(b.Term); len(bw) == 2 && slices.Contains(bw, words[0]) {
					if extend(bw) {
						words = nil
					} else if !overlaps(bw) {
						words = bw
					}
					break
				}
			}
		} else if overlaps(words) {
			if len(words) == 2 {
				extend(words)
			}
			continue
		}
		if len(words) == 0 || overlaps(words) {
			continue
		}
		chosen = append(chosen, words)
		for _, w := range words {
			used[w] = true
		}
	}
	out := make([]string, len(chosen))
	for i, p := range chosen {
		out[i] = strings.Join(p, " ")
	}
	return strings.Join(out, " / ")
}
