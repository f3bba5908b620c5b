package cluster

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// newTermIndexReference is newTermIndex as first written (string keys for
// every occurrence): its test reference. It indexes docs (lower-case tokens; nil for a document left out).
// Stop words, one-character tokens and tokens without a letter are dropped; a
// bigram joins two kept tokens adjacent in the document, and one whose two
// words share a word form ("pi pi") is not made.
func newTermIndexReference(docs [][]string, stop map[string]bool, bigrams bool) *termIndex {
	ix := &termIndex{key: map[string]int32{}, docs: make([][]int32, len(docs)), at: make([][]int32, len(docs)), words: make([]int, len(docs))}
	id := func(surface, key string, two bool) int32 {
		i, ok := ix.key[key]
		if !ok {
			i = int32(len(ix.terms))
			ix.key[key] = i
			ix.terms = append(ix.terms, surface)
			ix.surf = append(ix.surf, nil)
			ix.df = append(ix.df, 0)
			ix.bigram = append(ix.bigram, two)
		}
		s := ix.surf[i]
		for q := range s {
			if s[q].s == surface {
				s[q].n++
				return i
			}
		}
		ix.surf[i] = append(s, surfCount{surface, 1})
		return i
	}
	seen := map[int32]bool{}
	for di, doc := range docs {
		if doc == nil {
			continue
		}
		clear(seen)
		var ids, at []int32
		prev, prevForm := "", ""
		w := int32(0)
		add := func(i int32) {
			ids = append(ids, i)
			at = append(at, w)
			if !seen[i] {
				seen[i] = true
				ix.df[i]++
			}
		}
		for _, tok := range doc {
			if stop[tok] || !hasLetter(tok) || utf8.RuneCountInString(tok) <= 1 {
				prev = ""
				continue
			}
			form := WordForm(tok)
			add(id(tok, form, false))
			if bigrams && prev != "" && prevForm != form {
				add(id(prev+" "+tok, prevForm+" "+form, true))
			}
			prev, prevForm = tok, form
			w++
		}
		ix.docs[di], ix.at[di], ix.words[di] = ids, at, int(w)
	}
	// Show each term in its most frequent spelling (ties: the smaller).
	for i, s := range ix.surf {
		if len(s) > 1 {
			best := s[0]
			for _, c := range s[1:] {
				if c.n > best.n || (c.n == best.n && c.s < best.s) {
					best = c
				}
			}
			ix.terms[i] = best.s
		}
	}
	ix.surf = nil
	return ix
}

// keywordsReference is keywords as first written (a map of term counts per
// group): the test reference of keywords, which must rank the same terms.
// It ranks terms of each group against a background. counts[j]
// holds group j's term counts; back[j] the background counts it is compared
// with (the corpus, or the parent theme). Documented at Keywords.
func (ix *termIndex) keywordsReference(labels []int, k int, parent []int, n, minDF int) [][]Keyword {
	counts := make([]map[int32]float64, k)
	cdf := make([]map[int32]int, k)
	size := make([]float64, k)
	for j := range counts {
		counts[j] = map[int32]float64{}
		cdf[j] = map[int32]int{}
	}
	seen := map[int32]bool{}
	for di, doc := range ix.docs {
		c := labels[di]
		if c < 0 || doc == nil {
			continue
		}
		if c >= k {
			panic("cluster: Keywords label out of range")
		}
		size[c]++
		clear(seen)
		for _, t := range doc {
			if ix.df[t] < minDF {
				continue
			}
			counts[c][t]++
			if !seen[t] {
				seen[t] = true
				cdf[c][t]++
			}
		}
	}
	// Background: the whole corpus, or each group's parent (the pooled
	// counts of the groups with the same parent).
	nb := 1
	bg := make([]int, k)
	if parent != nil {
		nb = 0
		for j := range bg {
			bg[j] = parent[j]
			nb = max(nb, parent[j]+1)
		}
	}
	back := make([]map[int32]float64, nb)
	backTotal := make([]float64, nb)
	groups := make([]int, nb) // non-empty groups per background
	for b := range back {
		back[b] = map[int32]float64{}
	}
	total := make([]float64, k)
	for j, m := range counts {
		for t, v := range m {
			back[bg[j]][t] += v
			total[j] += v
		}
		backTotal[bg[j]] += total[j]
		if total[j] > 0 {
			groups[bg[j]]++
		}
	}
	out := make([][]Keyword, k)
	for j, m := range counts {
		kw := make([]Keyword, 0, len(m))
		b := bg[j]
		for t, v := range m {
			if float64(cdf[j][t]) < math.Min(2, size[j]) {
				continue
			}
			pc := v / total[j]
			score := pc // a single group: nothing to contrast, the most frequent terms
			if groups[b] > 1 {
				p := back[b][t] / backTotal[b]
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
	return out
}

// npmiReference is npmi as first written (every window of every document
// scanned): the test reference of npmi, which counts the same windows.
// It returns, for each list of terms, the mean normalised pointwise mutual
// information of its pairs (Bouma 2009) over sliding windows of window kept
// words in the indexed documents: the c_npmi measure of gensim's
// CoherenceModel that OCTIS and the BERTopic paper use. A document shorter
// than the window is one window. P(a,b) = 0 gives −1; a list with fewer than
// two terms gives 0.
func (ix *termIndex) npmiReference(lists [][]int32, window int) []float64 {
	want := map[int32]bool{}
	pairs := map[[2]int32]float64{}
	for _, l := range lists {
		for i, a := range l {
			want[a] = true
			for _, b := range l[i+1:] {
				pairs[[2]int32{min(a, b), max(a, b)}] = 0
			}
		}
	}
	single := map[int32]float64{}
	windows := 0.0
	var present []int32
	for di, doc := range ix.docs {
		if doc == nil {
			continue
		}
		words := ix.words[di]
		nw := max(1, words-window+1)
		windows += float64(nw)
		// Occurrences of wanted terms, with positions.
		var occ []int32
		var pos []int32
		for q, t := range doc {
			if want[t] {
				occ = append(occ, t)
				pos = append(pos, ix.at[di][q])
			}
		}
		if len(occ) == 0 {
			continue
		}
		for w := 0; w < nw; w++ {
			present = present[:0]
			for q, t := range occ {
				if p := int(pos[q]); p >= w && p < w+window && !slices.Contains(present, t) {
					present = append(present, t)
				}
			}
			for i, a := range present {
				single[a]++
				for _, b := range present[i+1:] {
					key := [2]int32{min(a, b), max(a, b)}
					if _, ok := pairs[key]; ok {
						pairs[key]++
					}
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
				pab := pairs[[2]int32{min(a, b), max(a, b)}] / windows
				pa, pb := single[a]/windows, single[b]/windows
				v := -1.0
				if pab > 0 {
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

func TestNPMIMatchesWindowScan(t *testing.T) {
	// npmi counts windows through intervals; npmiReference visits every
	// window. On 2,000 real abstracts (the arXiv test file, lower-cased
	// and split on non-letters) with window 10 and with window 3, and
	// lists of each of 12 groups' top 10 keywords plus lists that repeat
	// terms across lists, both must give the same numbers.
	docs := arxivDocs(t)
	labels := make([]int, len(docs))
	for i := range labels {
		labels[i] = i % 12
	}
	ix := newTermIndex(docs, stopSet(nil), true)
	var lists [][]int32
	for _, kw := range ix.keywords(labels, 12, nil, 10, 2) {
		var l []int32
		for _, k := range kw {
			l = append(l, k.id)
		}
		lists = append(lists, l)
	}
	lists = append(lists, []int32{lists[0][0], lists[1][0], lists[2][0]}, []int32{lists[0][0]}, nil)
	for _, w := range []int{10, 3} {
		got, want := ix.npmi(lists, w), ix.npmiReference(lists, w)
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Errorf("window %d, list %d: npmi %v, window scan %v", w, i, got[i], want[i])
			}
		}
	}
}

func TestKeywordsMatchMapCounts(t *testing.T) {
	// keywords counts in dense arrays, keywordsReference in maps: on the
	// 2,000 arXiv abstracts split into 12 groups, against the corpus and
	// against 3 parents (4 groups each, one group left without documents),
	// both must rank the same keywords with the same scores.
	docs := arxivDocs(t)
	labels := make([]int, len(docs))
	for i := range labels {
		labels[i] = i % 11 // group 11 stays empty
		if i%50 == 0 {
			labels[i] = -1
		}
	}
	ix := newTermIndex(docs, stopSet(nil), true)
	parent := []int{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}
	for _, p := range [][]int{nil, parent} {
		for _, minDF := range []int{1, 2, 5} {
			got, want := ix.keywords(labels, 12, p, 10, minDF), ix.keywordsReference(labels, 12, p, 10, minDF)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parents %v, minDF %d: dense counts gave %v, map counts %v", p, minDF, got, want)
			}
		}
	}
}

// arxivDocs returns the 2,000 arXiv test abstracts (title and abstract),
// lower-cased and split on non-letters.
func arxivDocs(t *testing.T) [][]string {
	t.Helper()
	f, err := os.Open("../testdata/arxiv-2007-04-2000.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var docs [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var p struct{ Title, Abstract string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, strings.FieldsFunc(strings.ToLower(p.Title+". "+p.Abstract), func(r rune) bool { return !unicode.IsLetter(r) }))
	}
	if len(docs) != 2000 {
		t.Fatalf("%d documents, want 2000", len(docs))
	}
	return docs
}

func TestTermIndexMatchesStringKeys(t *testing.T) {
	// newTermIndex looks each distinct token up once, newTermIndexReference
	// every occurrence: on the 2,000 arXiv abstracts (one left out), with
	// and without bigrams, the indexes must be the same.
	docs := arxivDocs(t)
	docs[7] = nil
	for _, bigrams := range []bool{false, true} {
		got, want := newTermIndex(docs, stopSet(nil), bigrams), newTermIndexReference(docs, stopSet(nil), bigrams)
		want.surf = nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("bigrams %v: indexes differ: %d and %d terms", bigrams, len(got.terms), len(want.terms))
		}
	}
}
