package sparse

import (
	"errors"
	"slices"
	"testing"

	"github.com/papermap/papermap/embed/lexical"
)

func TestStemmedTerms(t *testing.T) {
	// Expected stems: the Snowball English algorithm
	// (snowballstem.org/algorithms/english/stemmer.html), which also
	// drops the lexical model's stop words ("of", "the"), numbers and
	// one-letter tokens before stemming.
	for _, c := range []struct {
		text string
		want []string
	}{
		{"Galaxies of the Galaxy", []string{"galaxi", "galaxi"}},
		{"Recommender systems recommend recommendations", []string{"recommend", "system", "recommend", "recommend"}},
		{"relevance feedback, 2019, a b", []string{"relev", "feedback"}},
		{"running runs runner", []string{"run", "run", "runner"}},
	} {
		for range 2 { // the second time from the cache
			var got []string
			StemmedTerms(c.text, func(term []byte) { got = append(got, string(term)) })
			if !slices.Equal(got, c.want) {
				t.Errorf("StemmedTerms(%q) = %q, want %q", c.text, got, c.want)
			}
		}
	}
}

func TestStemmingFindsOtherForms(t *testing.T) {
	texts := []string{"galaxy redshift survey", "graph neural networks", "protein folding"}
	ids := []string{"a", "b", "c"}
	stemmed := New(Options{MaxDF: 1})
	stemmed.Add(ids, texts)
	plain := New(Options{MaxDF: 1, Terms: lexical.EachTerm})
	plain.Add(ids, texts)
	if h, _ := stemmed.Search("surveys of galaxies", 10, nil, nil); len(h) != 1 || h[0].ID != "a" {
		t.Errorf("stemmed index: %v, want a", h)
	}
	if h, _ := plain.Search("surveys of galaxies", 10, nil, nil); len(h) != 0 {
		t.Errorf("unstemmed index found %v for words it does not hold", h)
	}
}

func TestReadOldFormat(t *testing.T) {
	// The start of an index saved by version 1 (unstemmed terms).
	old := []byte("papermap-sparse v1\n\x04fp-1\x00\x00\x00\x00\x00\x00")
	_, err := Read(old, Options{})
	if !errors.Is(err, ErrOldFormat) || !errors.Is(err, ErrCorrupt) {
		t.Errorf("Read of a version 1 file: %v, want ErrOldFormat wrapping ErrCorrupt", err)
	}
}

func TestSetOptionsKeepsTerms(t *testing.T) {
	x := New(Options{MaxDF: 1})
	x.Add([]string{"a", "b"}, []string{"galaxy surveys", "protein folding"})
	// Scoring settings change; the terms stay the stemmed ones the index
	// holds, so another form of the word still finds the paper.
	x.SetOptions(Options{MaxDF: 1, Scoring: BM25, Terms: lexical.EachTerm})
	if h, _ := x.Search("galaxies", 10, nil, nil); len(h) != 1 || h[0].ID != "a" {
		t.Errorf("after SetOptions with other Terms: %v, want a (the index's own terms kept)", h)
	}
}
