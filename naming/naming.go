package naming

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
)

// ThemeText is what a namer is told of one theme. Themes are given in one
// slice; a theme of a coarser level lists its sub-themes in Children.
type ThemeText struct {
	// Label is the theme's keyword label: what Keywords returns, and the
	// name kept whenever a model gives none.
	Label string
	// Keywords are the theme's most distinctive words, most distinctive
	// first; the first MaxKeywords are sent.
	Keywords []string
	// Docs are the theme's representative documents (a title and its
	// abstract), most central first; the first MaxDocs are sent, each cut
	// to DocRunes characters. Sub-themes stand for a parent's documents:
	// a theme with Children is named from their names and its keywords.
	Docs []string
	// Children are the indexes, in the same slice, of the theme's
	// sub-themes. They are named before it. A theme must not be its own
	// descendant.
	Children []int
	// Members are the IDs of the theme's papers, in any order. With the
	// keywords, documents and children they make the theme's Fingerprint.
	Members []string
}

// Name is the name a namer gives one theme.
type Name struct {
	// Label is the name: the model's answer, sanitised, or the keyword
	// label.
	Label string `json:"label"`
	// Model is the model that gave Label; empty for a keyword label.
	Model string `json:"model,omitempty"`
	// Cached says Label was found in the cache rather than asked for.
	Cached bool `json:"cached,omitempty"`
}

// A Namer names themes. Name returns one Name per theme, in the order
// given. It fails only when ctx ends: a theme it cannot name otherwise
// keeps its keyword label.
type Namer interface {
	Name(ctx context.Context, themes []ThemeText) ([]Name, error)
}

// Keywords is the default namer: every theme keeps its keyword label.
type Keywords struct{}

// Name returns each theme's Label.
func (Keywords) Name(ctx context.Context, themes []ThemeText) ([]Name, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]Name, len(themes))
	for i, t := range themes {
		out[i] = Name{Label: t.Label}
	}
	return out, nil
}

// Fingerprints returns each theme's fingerprint: a hash of its sorted
// member IDs, keywords, documents and (for a parent) its children's
// fingerprints, so that it changes whenever anything a name is made from
// changes. It panics if a theme is its own descendant or a child index is
// out of range.
func Fingerprints(themes []ThemeText) []string {
	out := make([]string, len(themes))
	for _, i := range order(themes) {
		t := themes[i]
		h := sha256.New()
		field := func(tag string, values []string) {
			fmt.Fprintf(h, "%s %d\n", tag, len(values))
			for _, v := range values {
				fmt.Fprintf(h, "%d:%s\n", len(v), v)
			}
		}
		members := slices.Clone(t.Members)
		slices.Sort(members)
		field("members", members)
		field("keywords", t.Keywords)
		field("docs", t.Docs)
		children := make([]string, len(t.Children))
		for k, c := range t.Children {
			children[k] = out[c]
		}
		field("children", children)
		out[i] = hex.EncodeToString(h.Sum(nil)[:16])
	}
	return out
}

// order returns the indexes of themes with every child before its parent
// (a depth-first post-order, from the first theme on). It panics on a
// cycle or an out-of-range child.
func order(themes []ThemeText) []int {
	const (
		unseen = iota
		open
		done
	)
	state := make([]int, len(themes))
	out := make([]int, 0, len(themes))
	var visit func(i int)
	visit = func(i int) {
		switch state[i] {
		case done:
			return
		case open:
			panic(fmt.Sprintf("naming: theme %d is its own descendant", i))
		}
		state[i] = open
		for _, c := range themes[i].Children {
			if c < 0 || c >= len(themes) {
				panic(fmt.Sprintf("naming: theme %d has child %d of %d themes", i, c, len(themes)))
			}
			visit(c)
		}
		state[i] = done
		out = append(out, i)
	}
	for i := range themes {
		visit(i)
	}
	return out
}

// depths returns, for each theme, the length of its longest chain of
// descendants: 0 for a theme without children. Themes of one depth do not
// depend on each other and can be named together.
func depths(themes []ThemeText) []int {
	d := make([]int, len(themes))
	for _, i := range order(themes) {
		for _, c := range themes[i].Children {
			d[i] = max(d[i], d[c]+1)
		}
	}
	return d
}
