package lexical

import (
	"context"
	"errors"
	"github.com/papermap/papermap/embed"
	"hash/fnv"
	"math"
)

// Fallback wraps a Model so that every text with at least one word
// gets a vector. A text none of whose terms the model knows (a title-only
// record such as "Do That Again?", made of stop words, or a paper on a
// subject the model was not fitted on) gets HashedNgrams' vector instead of
// none: the same text always gets the same vector, texts that share words
// get close vectors, and such vectors are nearly orthogonal to the model's
// LSA vectors, so they neither crowd nor displace the others. Only texts
// with no word at all still fail, with a *NoKnownTermsError.
type Fallback struct {
	*Model
}

var _ embed.Embedder = Fallback{}

// Embed is Model.Embed with the fallback for texts of unknown words.
func (f Fallback) Embed(ctx context.Context, texts []string, task embed.Task) ([][]float32, error) {
	vecs, err := f.Model.Embed(ctx, texts, task)
	var nk *NoKnownTermsError
	if err == nil || !errors.As(err, &nk) || len(vecs) != len(texts) {
		return vecs, err
	}
	return vecs, f.Fill(texts, vecs)
}

// Fill gives each text whose vector is nil its hashed n-gram vector, and
// returns a *NoKnownTermsError naming those that have no word at all.
func (f Fallback) Fill(texts []string, vecs [][]float32) error {
	var missing []int
	for i, v := range vecs {
		if v == nil {
			vecs[i] = HashedNgrams(texts[i], f.dims)
			if vecs[i] == nil {
				missing = append(missing, i)
			}
		}
	}
	if len(missing) > 0 {
		return &NoKnownTermsError{Indices: missing}
	}
	return nil
}

// HashedNgrams returns a unit vector of dims dimensions for text, or nil if
// text has no word: every word of Tokenize (stop words included), and every
// character 3- to 5-gram of the word padded with '<' and '>', adds ±1 to the
// coordinate its 64-bit FNV-1a hash picks (the sign from another bit of the
// hash), as fastText's subword hashing does. Texts that share words or parts
// of words get vectors whose cosine grows with what they share.
func HashedNgrams(text string, dims int) []float32 {
	if dims <= 0 {
		return nil
	}
	v := make([]float64, dims)
	any := false
	add := func(b []byte) {
		h := fnv.New64a()
		h.Write(b)
		s := h.Sum64()
		d := int((s >> 1) % uint64(dims))
		if s&1 == 0 {
			v[d]++
		} else {
			v[d]--
		}
		any = true
	}
	var sc tokenScanner
	var buf []byte
	sc.scan(text, func(tok []byte) {
		add(tok)
		buf = append(append(append(buf[:0], '<'), tok...), '>')
		for n := 3; n <= 5; n++ {
			for i := 0; i+n <= len(buf); i++ {
				add(buf[i : i+n])
			}
		}
	})
	if !any {
		return nil
	}
	var sum float64
	for _, x := range v {
		sum += x * x
	}
	if sum == 0 {
		// The ±1s cancelled out exactly; an axis keeps the text placeable.
		v[0], sum = 1, 1
	}
	out := make([]float32, dims)
	s := 1 / math.Sqrt(sum)
	for i, x := range v {
		out[i] = float32(x * s)
	}
	return out
}
