package lexical

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestHashedNgrams(t *testing.T) {
	const dims = 256
	a := HashedNgrams("A galaxy redshift survey", dims)
	if a == nil {
		t.Fatal("no vector")
	}
	var n float64
	for _, x := range a {
		n += float64(x) * float64(x)
	}
	if math.Abs(n-1) > 1e-6 {
		t.Errorf("norm² %v, want 1", n)
	}
	if b := HashedNgrams("a GALAXY   redshift, survey!", dims); !slices.Equal(a, b) {
		t.Error("the same words (case, spacing, punctuation aside) gave another vector")
	}
	// Sharing words, or parts of words, brings vectors closer.
	near := cos(a, HashedNgrams("redshift survey of galaxies", dims))
	far := cos(a, HashedNgrams("touch screen interaction study", dims))
	if near < 0.4 || far > 0.25 || near <= far {
		t.Errorf("cosine with a text sharing words %.3f, with an unrelated one %.3f", near, far)
	}
	if v := HashedNgrams("1 + 2 = 3 !!", dims); v == nil {
		t.Error("numbers are words here: got no vector")
	}
	for _, s := range []string{"", " ... !!", "—"} {
		if v := HashedNgrams(s, dims); v != nil {
			t.Errorf("%q has no word but got a vector", s)
		}
	}
}

func TestFallbackPlacesUnknownWords(t *testing.T) {
	docs := []string{
		"graph neural networks for molecules",
		"message passing graph networks",
		"touch screen interaction study",
		"user study of touch interaction",
	}
	m, _, err := Fit(t.Context(), docs, Options{MinDF: 1, MaxDF: 1})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"graph networks", "Do That Again?", "galaxy redshift survey", "?!"}
	if _, err := m.Embed(t.Context(), texts, 0); err == nil {
		t.Fatal("the model alone embedded texts of unknown words")
	}
	vecs, err := Fallback{Model: m}.Embed(t.Context(), texts, 0)
	var nk *NoKnownTermsError
	if !errors.As(err, &nk) || !slices.Equal(nk.Indices, []int{3}) {
		t.Fatalf("err = %v, want only text 3 (no word) unplaced", err)
	}
	want, _ := m.Embed(t.Context(), texts[:1], 0)
	if !slices.Equal(vecs[0], want[0]) {
		t.Error("a text of known words changed vector")
	}
	if !slices.Equal(vecs[1], HashedNgrams(texts[1], m.Info().Dimensions)) || vecs[2] == nil || vecs[3] != nil {
		t.Error("texts of unknown words did not get their hashed vectors")
	}
	if m.FittedOn() != 4 {
		t.Errorf("FittedOn = %d, want 4", m.FittedOn())
	}
}
