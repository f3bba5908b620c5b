package cluster

import (
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// termIndex holds tokenised documents as term numbers. A term is a word or,
// with bigrams, a pair of adjacent kept words, under its word-form key
// (WordForm), so that "group" and "groups" count as one term; it is shown in
// its most frequent spelling.
type termIndex struct {
	key   map[string]int32
	terms []string // display spelling of each term
	surf  [][]surfCount
	// docs[i] lists document i's term occurrences in order; at[i] the
	// position (in kept words) of each occurrence, for co-occurrence windows.
	docs [][]int32
	at   [][]int32
	// words[i] is the number of kept words of document i.
	words []int
	// df is the number of documents holding each term.
	df []int
	// bigram tells the two-word terms.
	bigram []bool
}

type surfCount struct {
	s string
	n int
}

// newTermIndex indexes docs (lower-case tokens; nil for a document left out).
// Stop words, one-character tokens and tokens without a letter are dropped; a
// bigram joins two kept tokens adjacent in the document, and one whose two
// words share a word form ("pi pi") is not made.
func newTermIndex(docs [][]string, stop map[string]bool, bigrams bool) *termIndex {
	var d tokenDict
	ids := make([][]int32, len(docs))
	for i, doc := range docs {
		if doc != nil {
			ids[i] = d.add(doc)
		}
	}
	return newTermIndexOf(ids, d.tokens, stop, bigrams)
}

// tokenDict numbers distinct tokens in order of first occurrence.
type tokenDict struct {
	id     map[string]int32
	tokens []string
}

// add returns the numbers of doc's tokens, numbering new ones.
func (d *tokenDict) add(doc []string) []int32 {
	if d.id == nil {
		d.id = map[string]int32{}
	}
	out := make([]int32, len(doc))
	for q, s := range doc {
		i, ok := d.id[s]
		if !ok {
			i = int32(len(d.tokens))
			d.id[s] = i
			d.tokens = append(d.tokens, s)
		}
		out[q] = i
	}
	return out
}

// newTermIndexOf is newTermIndex of documents given as token numbers
// (docs[i][q] is tokens[docs[i][q]]), the tokens numbered in order of first
// occurrence along the documents, as tokenDict numbers them: token strings
// are then hashed once per document batch that holds them, not once per
// occurrence, and describe numbers them in parallel.
//
// Each distinct token's word form and whether it is kept are worked out at
// its first occurrence; occurrences then go through small integer keys,
// and the spellings of terms are only put together at the end.
func newTermIndexOf(docs [][]int32, tokens []string, stop map[string]bool, bigrams bool) *termIndex {
	ix := &termIndex{key: map[string]int32{}, docs: make([][]int32, len(docs)), at: make([][]int32, len(docs)), words: make([]int, len(docs))}
	type token struct {
		s    string
		term int32 // its unigram term, -1 for a dropped token
		n    int   // occurrences
	}
	toks := make([]token, 0, len(tokens))
	formTerm := map[string]int32{}   // word form → unigram term
	pairTerm := map[[2]int32]int32{} // unigram terms → bigram term
	type pairCount struct {
		a, b int32 // tokens
		term int32 // bigram term
		n    int   // occurrences
	}
	var pairs []pairCount
	pairOf := map[[2]int32]int32{} // tokens → index in pairs
	var formOf []string            // unigram term → word form (bigrams: "")
	var termPair [][2]int32        // bigram term → its unigram terms
	newTerm := func(two bool) int32 {
		i := int32(len(ix.df))
		ix.df = append(ix.df, 0)
		ix.bigram = append(ix.bigram, two)
		formOf = append(formOf, "")
		termPair = append(termPair, [2]int32{})
		return i
	}
	var lastDoc []int32 // document (+1) that last counted a term's df
	for di, doc := range docs {
		if doc == nil {
			continue
		}
		mark := int32(di) + 1
		// A token adds at most its term and one bigram.
		ids, at := make([]int32, 0, 2*len(doc)), make([]int32, 0, 2*len(doc))
		prev := int32(-1) // previous kept token
		w := int32(0)
		add := func(i int32) {
			ids = append(ids, i)
			at = append(at, w)
			for int(i) >= len(lastDoc) {
				lastDoc = append(lastDoc, 0)
			}
			if lastDoc[i] != mark {
				lastDoc[i] = mark
				ix.df[i]++
			}
		}
		for _, ti := range doc {
			if int(ti) == len(toks) {
				// The token's first occurrence (tokens are numbered in
				// that order).
				s := tokens[ti]
				t := token{s: s, term: -1}
				if !stop[s] && hasLetter(s) && utf8.RuneCountInString(s) > 1 {
					// A token seen for the first time whose form has no
					// term is the form's first occurrence: numbered now, as
					// terms are numbered in order of first occurrence.
					form := WordForm(s)
					u, ok := formTerm[form]
					if !ok {
						u = newTerm(false)
						formTerm[form] = u
						formOf[u] = form
					}
					t.term = u
				}
				toks = append(toks, t)
			} else if int(ti) > len(toks) {
				panic("cluster: tokens not numbered in order of first occurrence")
			}
			tk := &toks[ti]
			if tk.term < 0 {
				prev = -1
				continue
			}
			tk.n++
			u := tk.term
			add(u)
			if bigrams && prev >= 0 && toks[prev].term != u {
				q, ok := pairOf[[2]int32{prev, ti}]
				if !ok {
					pu := [2]int32{toks[prev].term, u}
					b, ok := pairTerm[pu]
					if !ok {
						b = newTerm(true)
						pairTerm[pu] = b
						termPair[b] = pu
					}
					q = int32(len(pairs))
					pairOf[[2]int32{prev, ti}] = q
					pairs = append(pairs, pairCount{a: prev, b: ti, term: b})
				}
				pairs[q].n++
				add(pairs[q].term)
			}
			prev = ti
			w++
		}
		ix.docs[di], ix.at[di], ix.words[di] = ids, at, int(w)
	}
	// Each term's spelling: its most frequent (ties: the smaller).
	nt := len(ix.df)
	ix.terms = make([]string, nt)
	best := make([]int, nt)
	pick := func(i int32, s string, n int) {
		if ix.terms[i] == "" || n > best[i] || (n == best[i] && s < ix.terms[i]) {
			ix.terms[i], best[i] = s, n
		}
	}
	for _, t := range toks {
		if t.term >= 0 && t.n > 0 {
			pick(t.term, t.s, t.n)
		}
	}
	for _, p := range pairs {
		if p.n >= best[p.term] { // the spelling is only built for a candidate
			pick(p.term, toks[p.a].s+" "+toks[p.b].s, p.n)
		}
	}
	for i := range ix.terms {
		key := formOf[i]
		if ix.bigram[i] {
			key = formOf[termPair[i][0]] + " " + formOf[termPair[i][1]]
		}
		ix.key[key] = int32(i)
	}
	return ix
}

// keywords ranks terms of each group against a background: the corpus, or
// with parent the pooled groups of the same parent. Documented at Keywords.
//
// Counts are gathered group by group in dense arrays indexed by term (a
// map per group cost most of the time of naming a million papers' themes),
// then kept as each group's sparse list of terms.
func (ix *termIndex) keywords(labels []int, k int, parent []int, n, minDF int) [][]Keyword {
	nt := len(ix.terms)
	members := make([][]int, k)
	for di, doc := range ix.docs {
		c := labels[di]
		if c < 0 || doc == nil {
			continue
		}
		if c >= k {
			panic("cluster: Keywords label out of range")
		}
		members[c] = append(members[c], di)
	}
	// Each group's terms (in first-seen order), counts and document
	// frequencies.
	type groupTerms struct {
		term  []int32
		count []float64
		df    []int32
		total float64
	}
	groups := make([]groupTerms, k)
	cnt := make([]float64, nt)
	cdf := make([]int32, nt)
	lastDoc := make([]int32, nt) // document (+1) that last counted a term's df
	for j, docs := range members {
		var g groupTerms
		for _, di := range docs {
			mark := int32(di) + 1
			for _, t := range ix.docs[di] {
				if ix.df[t] < minDF {
					continue
				}
				if cnt[t] == 0 {
					g.term = append(g.term, t)
				}
				cnt[t]++
				if lastDoc[t] != mark {
					lastDoc[t] = mark
					cdf[t]++
				}
			}
		}
		g.count = make([]float64, len(g.term))
		g.df = make([]int32, len(g.term))
		for q, t := range g.term {
			g.count[q], g.df[q] = cnt[t], cdf[t]
			g.total += cnt[t]
			cnt[t], cdf[t] = 0, 0
		}
		groups[j] = g
	}
	// Backgrounds: the whole corpus, or each group's parent.
	nb := 1
	bg := make([]int, k)
	if parent != nil {
		nb = 0
		for j := range bg {
			bg[j] = parent[j]
			nb = max(nb, parent[j]+1)
		}
	}
	byBack := make([][]int, nb)
	for j := range groups {
		byBack[bg[j]] = append(byBack[bg[j]], j)
	}
	out := make([][]Keyword, k)
	back := cnt // all zero again
	for _, js := range byBack {
		backTotal, nonEmpty := 0.0, 0
		for _, j := range js {
			g := groups[j]
			for q, t := range g.term {
				back[t] += g.count[q]
			}
			backTotal += g.total
			if g.total > 0 {
				nonEmpty++
			}
		}
		for _, j := range js {
			g := groups[j]
			size := float64(len(members[j]))
			kw := make([]Keyword, 0, len(g.term))
			for q, t := range g.term {
				if float64(g.df[q]) < math.Min(2, size) {
					continue
				}
				pc := g.count[q] / g.total
				score := pc // a single group: nothing to contrast, the most frequent terms
				if nonEmpty > 1 {
					p := back[t] / backTotal
					if pc <= p {
						continue
					}
					score = pc * math.Log(pc/p)
				}
				kw = append(kw, Keyword{Term: ix.terms[t], Score: score, id: t})
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
			out[j] = ix.preferPhrases(kw, n)
		}
		for _, j := range js {
			for _, t := range groups[j].term {
				back[t] = 0
			}
		}
	}
	return out
}

// preferPhrases keeps the first n keywords of a ranked list, preferring
// phrases over their words: a word is left out when a phrase holding it
// scores at least half as much, or ranks above it ("hole" beside "black
// hole").
func (ix *termIndex) preferPhrases(kw []Keyword, n int) []Keyword {
	best := map[string]float64{} // best phrase score per word form
	for _, k := range kw[:min(len(kw), 4*n)] {
		if words := strings.Fields(k.Term); len(words) > 1 {
			for _, w := range words {
				f := WordForm(w)
				best[f] = max(best[f], k.Score)
			}
		}
	}
	out := make([]Keyword, 0, n)
	inPhrase := map[string]bool{}
	for _, k := range kw {
		if len(out) == n {
			break
		}
		words := strings.Fields(k.Term)
		if len(words) == 1 {
			f := WordForm(words[0])
			if inPhrase[f] || best[f] >= k.Score/2 {
				continue
			}
		}
		for _, w := range words {
			if len(words) > 1 {
				inPhrase[WordForm(w)] = true
			}
		}
		out = append(out, k)
	}
	return slices.Clip(out)
}

// npmi returns, for each list of terms, the mean normalised pointwise mutual
// information of its pairs (Bouma 2009) over sliding windows of window kept
// words in the indexed documents: the c_npmi measure of gensim's
// CoherenceModel that OCTIS and the BERTopic paper use. A document shorter
// than the window is one window. P(a,b) = 0 gives −1; a list with fewer than
// two terms gives 0.
//
// The windows are not visited one by one: an occurrence at kept-word position
// p lies in the windows max(0, p−window+1)..min(p, last), so each term of a
// document covers a union of such intervals, the number of windows holding a
// term is that union's length and the number holding a pair the length of
// the two unions' intersection; only pairs of a common list are counted.
func (ix *termIndex) npmi(lists [][]int32, window int) []float64 {
	// Wanted terms get dense slots; partners[s] are the slots above s that
	// share a list with s.
	slot := map[int32]int32{}
	for _, l := range lists {
		for _, a := range l {
			if _, ok := slot[a]; !ok {
				slot[a] = int32(len(slot))
			}
		}
	}
	ns := len(slot)
	partnerSet := make([]map[int32]bool, ns)
	for _, l := range lists {
		for _, a := range l {
			for _, b := range l {
				if sa, sb := slot[a], slot[b]; sa < sb {
					if partnerSet[sa] == nil {
						partnerSet[sa] = map[int32]bool{}
					}
					partnerSet[sa][sb] = true
				}
			}
		}
	}
	partners := make([][]int32, ns)
	for sa, set := range partnerSet {
		for sb := range set {
			partners[sa] = append(partners[sa], sb)
		}
		slices.Sort(partners[sa])
	}
	single := make([]float64, ns)
	pairs := map[[2]int32]float64{}
	windows := 0.0
	// Per document, ivs[s] holds slot s's merged window intervals as
	// flattened [lo, hi] pairs; seen[s] is the document (+1) they are of.
	seen := make([]int32, ns)
	ivs := make([][]int32, ns)
	var present []int32
	for di, doc := range ix.docs {
		if doc == nil {
			continue
		}
		mark := int32(di) + 1
		nwin := int32(max(1, ix.words[di]-window+1))
		windows += float64(nwin)
		present = present[:0]
		for q, t := range doc {
			s, ok := slot[t]
			if !ok {
				continue
			}
			p := ix.at[di][q]
			lo, hi := max(0, p-int32(window)+1), min(p, nwin-1)
			if seen[s] != mark {
				seen[s] = mark
				ivs[s] = ivs[s][:0]
				present = append(present, s)
			}
			// Positions increase along the document, and so do both ends
			// of the intervals: extend the last one or start another.
			iv := ivs[s]
			if n := len(iv); n > 0 && lo <= iv[n-1]+1 {
				iv[n-1] = max(iv[n-1], hi)
			} else {
				iv = append(iv, lo, hi)
			}
			ivs[s] = iv
		}
		for _, sa := range present {
			single[sa] += float64(coverLen(ivs[sa]))
			for _, sb := range partners[sa] {
				if seen[sb] != mark {
					continue
				}
				if c := overlapLen(ivs[sa], ivs[sb]); c > 0 {
					pairs[[2]int32{sa, sb}] += float64(c)
				}
			}
		}
	}
	const eps = 1e-12
	out := make([]float64, len(lists))
	for li, l := range lists {
		sum, cnt := 0.0, 0
		for i, a := range l {
			for _, b := range l[i+1:] {
				sa, sb := slot[a], slot[b]
				pab := pairs[[2]int32{min(sa, sb), max(sa, sb)}] / windows
				pa, pb := single[sa]/windows, single[sb]/windows
				v := -1.0
				if pab > 0 && sa != sb {
					v = math.Log((pab+eps)/(pa*pb)) / -math.Log(pab+eps)
				}
				sum += v
				cnt++
			}
		}
		if cnt > 0 {
			out[li] = sum / float64(cnt)
		}
	}
	return out
}

// coverLen is the number of windows in disjoint sorted intervals (flattened
// [lo, hi] pairs).
func coverLen(iv []int32) int32 {
	n := int32(0)
	for q := 0; q < len(iv); q += 2 {
		n += iv[q+1] - iv[q] + 1
	}
	return n
}

// overlapLen is the number of windows in both of two lists of disjoint
// sorted intervals.
func overlapLen(a, b []int32) int32 {
	n := int32(0)
	for i, j := 0, 0; i < len(a) && j < len(b); {
		if lo, hi := max(a[i], b[j]), min(a[i+1], b[j+1]); lo <= hi {
			n += hi - lo + 1
		}
		if a[i+1] < b[j+1] {
			i += 2
		} else {
			j += 2
		}
	}
	return n
}

// Diversity is the share of distinct words among the top-n keywords of all
// themes (Dieng et al. 2020's topic diversity, as in the BERTopic paper):
// 1 when no two themes share a word, near 0 when all repeat the same words.
// Phrases count word by word, under their word form. It returns 0 when there
// are no keywords.
func Diversity(keywords [][]string, n int) float64 {
	seen := map[string]bool{}
	total := 0
	for _, kw := range keywords {
		for _, t := range kw[:min(n, len(kw))] {
			for _, w := range strings.Fields(t) {
				seen[WordForm(w)] = true
				total++
			}
		}
	}
	if total == 0 {
		return 0
	}
	return float64(len(seen)) / float64(total)
}
