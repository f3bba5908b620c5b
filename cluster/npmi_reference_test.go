package cluster

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"
)

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
