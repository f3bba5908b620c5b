package cluster

import (
	"math"
	"strings"
	"testing"
)

func tokens(s string) []string { return strings.Fields(strings.ToLower(s)) }

func TestKeywords(t *testing.T) {
	docs := [][]string{
		tokens("control variates reduce the variance of monte carlo estimators"),
		tokens("we use control variates for variance reduction in monte carlo"),
		tokens("graph neural networks learn node embeddings"),
		tokens("message passing in graph neural networks"),
	}
	labels := []int{0, 0, 1, 1}
	t.Run("scores", func(t *testing.T) {
		kw := Keywords(docs, labels, 2, KeywordOptions{N: 3, MinDF: 1})
		// By hand: cluster 0 keeps 7 + 6 = 13 tokens (stop words "the", "of", "we",
		// "use", "for" and "in" dropped), cluster 1 keeps 6 + 5 = 11: 24 in all.
		// "control", "variates", "variance", "monte" and "carlo" occur twice in
		// cluster 0 and nowhere else: p_0 = 2/13, p = 2/24, score = p_0·ln(p_0/p).
		// Ties go to the smaller term.
		want := 2.0 / 13 * math.Log((2.0/13)/(2.0/24))
		got := kw[0]
		if len(got) != 3 {
			t.Fatalf("got %d keywords", len(got))
		}
		for i, term := range []string{"carlo", "control", "monte"} {
			if got[i].Term != term || math.Abs(got[i].Score-want) > 1e-12 {
				t.Errorf("keyword %d = %+v, want %q %.6f", i, got[i], term, want)
			}
		}
		// Cluster 1: "graph", "networks", "neural" twice among 11 kept tokens.
		want1 := 2.0 / 11 * math.Log((2.0/11)/(2.0/24))
		for i, term := range []string{"graph", "networks", "neural"} {
			if kw[1][i].Term != term || math.Abs(kw[1][i].Score-want1) > 1e-12 {
				t.Errorf("cluster 1 keyword %d = %+v, want %q", i, kw[1][i], term)
			}
		}
	})
	t.Run("bigrams", func(t *testing.T) {
		kw := Keywords(docs, labels, 2, KeywordOptions{N: 20, Bigrams: true, MinDF: 2})
		has := map[string]bool{}
		for _, k := range kw[0] {
			has[k.Term] = true
		}
		for _, want := range []string{"control variates", "monte carlo"} {
			if !has[want] {
				t.Errorf("missing bigram %q in %+v", want, kw[0])
			}
		}
		// "variance reduction" is in one document only (MinDF 2), and "variance
		// monte" would span the dropped "of".
		for _, bad := range []string{"variance reduction", "variance monte", "the variance", "reduction"} {
			if has[bad] {
				t.Errorf("unexpected term %q", bad)
			}
		}
	})
	t.Run("custom-stop-words-and-digits", func(t *testing.T) {
		d := [][]string{{"2020", "the", "graph", "x1"}, {"the", "graph", "x1", "2020"}}
		kw := Keywords(d, []int{0, 0}, 1, KeywordOptions{StopWords: []string{}, MinDF: 1})
		got := map[string]bool{}
		for _, k := range kw[0] {
			got[k.Term] = true
		}
		if !got["the"] || !got["x1"] || got["2020"] {
			t.Errorf("keywords %+v: want 'the' and 'x1' kept, '2020' dropped", kw[0])
		}
	})
	t.Run("empty-cluster", func(t *testing.T) {
		kw := Keywords(docs, labels, 3, KeywordOptions{MinDF: 1})
		if kw[2] == nil || len(kw[2]) != 0 {
			t.Errorf("empty cluster gave %v", kw[2])
		}
	})
}

func TestLabel(t *testing.T) {
	kw := func(terms ...string) []Keyword {
		out := make([]Keyword, len(terms))
		for i, s := range terms {
			out[i] = Keyword{Term: s, Score: float64(len(terms) - i)}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		kw   []Keyword
		n    int
		want string
	}{
		{"prefer-bigram", kw("variates", "control variates", "variance", "variance reduction", "monte carlo"), 2,
			"control variates / variance reduction"},
		{"skip-unigram-in-bigram", kw("monte carlo", "monte", "carlo", "sampling"), 2, "monte carlo / sampling"},
		{"skip-overlapping-bigram", kw("monte carlo", "monte python", "importance sampling"), 2,
			"monte carlo / importance sampling"},
		{"chain-bigrams", kw("monte carlo", "carlo methods", "importance sampling"), 2,
			"monte carlo methods / importance sampling"},
		{"unigrams", kw("graph", "neural", "networks"), 3, "graph / neural / networks"},
		{"chain", kw("graph", "graph neural", "networks", "neural", "neural networks", "message passing"), 2,
			"graph neural networks / message passing"},
		{"default-n", kw("a", "b", "c"), 0, "a / b"},
		{"empty", nil, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Label(tc.kw, tc.n); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
