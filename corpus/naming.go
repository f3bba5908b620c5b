package corpus

import (
	"context"
	"fmt"
	"strings"

	"github.com/papermap/papermap/embed/ollama"
	"github.com/papermap/papermap/naming"
)

// Namers accepted by NamerOptions.Namer.
const (
	NamerKeywords = "keywords"
	NamerOllama   = "ollama"
)

// NamerOptions chooses how themes are named. The zero value keeps the
// keyword labels.
type NamerOptions struct {
	// Namer is "keywords" (default) or "ollama".
	Namer string
	// Model is the Ollama generative model; required for "ollama".
	Model string
	// OllamaHosts are the Ollama servers; nil means OLLAMA_HOST or the
	// local default.
	OllamaHosts []string
	// Seed is the model's sampling seed.
	Seed int
}

// Namer returns the namer opts choose: naming.Keywords, or a naming.Ollama
// that caches its names in the store (unless the corpus is read-only) and
// tells Options.Notice, once, when themes keep their keyword labels. It
// sends nothing yet.
func (c *Corpus) Namer(opts NamerOptions) (naming.Namer, error) {
	switch opts.Namer {
	case "", NamerKeywords:
		return naming.Keywords{}, nil
	case NamerOllama:
	default:
		return nil, fmt.Errorf("unknown namer %q: want %s or %s", opts.Namer, NamerKeywords, NamerOllama)
	}
	if opts.Model == "" {
		return nil, fmt.Errorf("the %s namer needs a model: a generative model the Ollama server has (`ollama list`)", NamerOllama)
	}
	g, err := ollama.NewGenerator(ollama.Options{Model: opts.Model, Hosts: opts.OllamaHosts})
	if err != nil {
		return nil, err
	}
	n := &naming.Ollama{Generator: g, Seed: opts.Seed, Warn: func(msg string) { c.opts.Embedder.Notify("%s", msg) }}
	if !c.opts.ReadOnly {
		n.Cache = c.store
	}
	return n, nil
}

// NameThemes names the themes of every level of m with namer, from each
// theme's keyword label, keywords, members and the titles and abstracts
// of its representatives (a theme with sub-themes from their names, which
// are asked first), and saves m with the new labels (unless the corpus is
// read-only). A theme the namer cannot name keeps its keyword label;
// NameThemes fails only when ctx ends or m cannot be saved.
func (c *Corpus) NameThemes(ctx context.Context, m *ThemeModel, namer naming.Namer) error {
	if _, ok := namer.(naming.Keywords); ok {
		return nil
	}
	// One slice for all levels: level l's theme j is texts[offset[l]+j].
	offset := make([]int, len(m.Levels)+1)
	for l, lv := range m.Levels {
		offset[l+1] = offset[l] + len(lv.Themes)
	}
	texts := make([]naming.ThemeText, offset[len(m.Levels)])
	for l, lv := range m.Levels {
		members := make([][]string, len(lv.Themes))
		for i, t := range lv.Labels {
			members[t] = append(members[t], m.IDs[i])
		}
		for j, t := range lv.Themes {
			reps := make([]string, len(t.Representatives))
			for k, r := range t.Representatives {
				reps[k] = m.IDs[r]
			}
			tt := naming.ThemeText{Label: t.Label, Keywords: t.Keywords, Members: members[j], Docs: c.representativeTexts(reps)}
			if l+1 < len(m.Levels) {
				for _, ch := range t.Children {
					tt.Children = append(tt.Children, offset[l+1]+ch)
				}
			}
			texts[offset[l]+j] = tt
		}
	}
	names, err := namer.Name(ctx, texts)
	if err != nil {
		return fmt.Errorf("naming the themes: %w", err)
	}
	for l, lv := range m.Levels {
		for j := range lv.Themes {
			lv.Themes[j].Label = names[offset[l]+j].Label
		}
	}
	m.derive()
	if !c.opts.ReadOnly {
		return c.saveThemes(m)
	}
	return nil
}

// representativeTexts are the title and abstract of each paper in ids.
func (c *Corpus) representativeTexts(ids []string) []string {
	var out []string
	for _, id := range ids {
		if p, ok := c.Paper(id); ok {
			var parts []string
			for _, s := range []string{p.Title, p.Abstract} {
				if s = strings.TrimSpace(s); s != "" {
					parts = append(parts, strings.TrimSuffix(s, "."))
				}
			}
			out = append(out, strings.Join(parts, ". "))
		}
	}
	return out
}
