package testmodel

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestReference(t *testing.T) {
	ref, err := NewReference(Tiny)
	if err != nil {
		t.Fatal(err)
	}
	cos := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	embed := func(s string) []float32 {
		t.Helper()
		v, err := ref.Embed(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	t.Run("unit length", func(t *testing.T) {
		for _, s := range []string{"", "graph", "dark matter in galaxy clusters"} {
			v := embed(s)
			if len(v) != Tiny.HiddenSize {
				t.Fatalf("%d dimensions", len(v))
			}
			// Normalised in float64, rounded to float32: within 1e-6.
			if n := math.Sqrt(cos(v, v)); math.Abs(n-1) > 1e-6 {
				t.Errorf("norm of %q is %v", s, n)
			}
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		other, err := NewReference(Tiny)
		if err != nil {
			t.Fatal(err)
		}
		s := "quantum chromodynamics"
		w, _ := other.Embed(s)
		if !slices.Equal(embed(s), w) {
			t.Error("two references of one spec disagree")
		}
	})
	t.Run("word order matters", func(t *testing.T) {
		// Position embeddings and attention make the encoder more than a
		// bag of words, if only a little.
		a, b := embed("dark matter halo"), embed("halo matter dark")
		if slices.Equal(a, b) {
			t.Error("reordered words give the same vector")
		}
	})
	t.Run("shared words bring vectors closer", func(t *testing.T) {
		// Mean pooling of word-dominated token states: a text is closer to
		// one sharing most of its words than to one sharing none.
		base := embed("spectroscopy of dwarf galaxies and dark matter")
		near := embed("dark matter in dwarf galaxies")
		far := embed("graph colouring algorithms for planar maps")
		if cos(base, near) <= cos(base, far) {
			t.Errorf("cos(base, near) %.3f <= cos(base, far) %.3f", cos(base, near), cos(base, far))
		}
	})
	t.Run("too long", func(t *testing.T) {
		// "the" is one token; [CLS] and [SEP] take two of the 128 positions.
		if _, err := ref.Embed(strings.Repeat("the ", Tiny.MaxPositions-2)); err != nil {
			t.Errorf("%d tokens: %v", Tiny.MaxPositions, err)
		}
		if _, err := ref.Embed(strings.Repeat("the ", Tiny.MaxPositions-1)); !errors.Is(err, ErrTooLong) {
			t.Errorf("%d tokens: err = %v, want ErrTooLong", Tiny.MaxPositions+1, err)
		}
	})
}

func TestReferenceSpread(t *testing.T) {
	// The weights are scaled so that different abstracts get clearly
	// different vectors (weights.go). Over 20 testdata abstracts the
	// Reference gave a median pairwise cosine of 0.36 and a maximum of 0.75
	// when the scales were chosen; a collapse towards one direction (as
	// before the GELU mean was cancelled: median 0.93, maximum 0.99) fails.
	ref, err := NewReference(Tiny)
	if err != nil {
		t.Fatal(err)
	}
	in := asciiTexts(t, 20, ref.Tokenizer(), Tiny.MaxPositions-8)
	var vs [][]float32
	for _, s := range in {
		v, err := ref.Embed(s)
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	var cs []float64
	for i := range vs {
		for j := i + 1; j < len(vs); j++ {
			var d float64
			for k := range vs[i] {
				d += float64(vs[i][k]) * float64(vs[j][k])
			}
			cs = append(cs, d)
		}
	}
	slices.Sort(cs)
	median, top := cs[len(cs)/2], cs[len(cs)-1]
	if median > 0.6 || top > 0.9 {
		t.Errorf("pairwise cosines: median %.3f, max %.3f; want at most 0.6 and 0.9", median, top)
	}
}
