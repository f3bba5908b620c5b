package naming

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/papermap/papermap/embed/ollama"
)

// DefaultNumPredict bounds the tokens of a model's answer: a three-word
// name needs about ten; a model that rambles is cut short (and its answer
// sanitised to MaxWords words).
const DefaultNumPredict = 16

// Ollama names themes with a generative model on one or more Ollama
// servers. Each theme is sent once: its name is cached, with the model,
// the model's digest and the prompt's hash, under the theme's
// fingerprint, and reused until any of them changes. See the package
// documentation for the prompts, the sanitising and the fallback.
type Ollama struct {
	// Generator asks the model; required.
	Generator *ollama.Generator
	// Cache holds the names between runs; nil caches nothing.
	Cache Files
	// Warn, if not nil, is told once per Name call why themes kept their
	// keyword labels, and of a cache that could not be read or written.
	Warn func(msg string)
	// Seed is sent as the sampler's seed; with temperature 0 the same
	// prompt then gets the same answer from the same model.
	Seed int
	// NumPredict bounds the tokens of each answer; default DefaultNumPredict.
	NumPredict int
}

// Name names every theme, children before parents. It fails only when ctx
// ends; if the model cannot be asked (no server, no such model) or stops
// answering, the themes not yet named keep their keyword labels and Warn
// is told once.
func (n *Ollama) Name(ctx context.Context, themes []ThemeText) ([]Name, error) {
	if n.Generator == nil {
		panic("naming: Ollama namer without a Generator")
	}
	numPredict := n.NumPredict
	if numPredict <= 0 {
		numPredict = DefaultNumPredict
	}
	model := n.Generator.Model()
	fps := Fingerprints(themes)
	out := make([]Name, len(themes))
	for i, t := range themes {
		out[i] = Name{Label: t.Label}
	}
	if len(themes) == 0 {
		return out, nil
	}
	cache, err := loadCache(n.Cache)
	if err != nil {
		n.warn("naming themes: " + err.Error())
	}
	digest, err := n.Generator.Digest(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		n.warn(fmt.Sprintf("naming themes with %s: %s; all %d themes keep their keyword labels", model, oneLine(err), len(themes)))
		return out, nil
	}
	ph := promptHash(n.Seed, numPredict)

	// Names are asked depth by depth: the themes without children, then
	// those whose children all have names, and so on.
	depth := depths(themes)
	maxDepth := 0
	for _, d := range depth {
		maxDepth = max(maxDepth, d)
	}
	var (
		mu       sync.Mutex // guards fresh, failErr and failed
		fresh    = map[string]cacheEntry{}
		failErr  error
		failed   int
		slots    = make(chan struct{}, max(1, n.Generator.Slots()))
		sampling = ollama.Sampling{Temperature: 0, Seed: n.Seed, NumPredict: numPredict}
	)
	for d := 0; d <= maxDepth; d++ {
		var wg sync.WaitGroup
		for i, t := range themes {
			if depth[i] != d {
				continue
			}
			if e, ok := cache[fps[i]]; ok && e.Model == model && e.Digest == digest && e.Prompt == ph {
				out[i] = nameOf(e, t)
				out[i].Cached = true
				fresh[fps[i]] = e
				continue
			}
			var children []string
			for _, c := range t.Children {
				children = append(children, out[c].Label)
			}
			p := prompt(t, children)
			if p == "" {
				continue // nothing to name it from: the keyword label stays
			}
			mu.Lock()
			stop := failErr != nil
			if stop {
				failed++
			}
			mu.Unlock()
			if stop {
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				wg.Wait()
				return nil, context.Cause(ctx)
			}
			wg.Go(func() {
				defer func() { <-slots }()
				answer, err := n.Generator.Generate(ctx, p, sampling)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					if failErr == nil {
						failErr = err
					}
					failed++
					return
				}
				e := cacheEntry{Label: Sanitize(answer), Model: model, Digest: digest, Prompt: ph,
					Created: time.Now().UTC().Truncate(time.Second)}
				fresh[fps[i]] = e
				out[i] = nameOf(e, t)
			})
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return nil, context.Cause(ctx)
		}
		// Before the parents are asked, so that they see the names the
		// themes end up with.
		distinguishSiblings(out, themes)
	}
	if failErr != nil {
		n.warn(fmt.Sprintf("naming themes with %s: %s; %d of %d themes keep their keyword labels",
			model, oneLine(failErr), failed, len(themes)))
	}
	if n.Cache != nil && !maps.EqualFunc(fresh, cache, func(a, b cacheEntry) bool { return a == b }) {
		if err := saveCache(n.Cache, fresh); err != nil {
			n.warn("naming themes: " + err.Error())
		}
	}
	return out, nil
}

// distinguishSiblings makes model names distinct among siblings (the
// children of one theme; the themes that are no theme's child): of two or
// more siblings with the same name (ignoring case), each but the first
// gets its first keyword not already in the name, in parentheses, when
// that fits in MaxRunes. Keyword labels are left as they are.
func distinguishSiblings(names []Name, themes []ThemeText) {
	isChild := make([]bool, len(themes))
	var groups [][]int
	for _, t := range themes {
		groups = append(groups, t.Children)
		for _, c := range t.Children {
			isChild[c] = true
		}
	}
	var roots []int
	for i := range themes {
		if !isChild[i] {
			roots = append(roots, i)
		}
	}
	groups = append(groups, roots)
	for _, g := range groups {
		seen := map[string]bool{}
		for _, i := range g {
			key := strings.ToLower(names[i].Label)
			if !seen[key] || names[i].Model == "" {
				seen[key] = true
				continue
			}
			for _, kw := range themes[i].Keywords {
				if strings.Contains(key, strings.ToLower(kw)) {
					continue
				}
				if l := names[i].Label + " (" + kw + ")"; utf8.RuneCountInString(l) <= MaxRunes && !seen[strings.ToLower(l)] {
					names[i].Label = l
					break
				}
			}
			seen[strings.ToLower(names[i].Label)] = true
		}
	}
}

// nameOf is the name e gives theme t: the model's, or t's keyword label
// when the model gave nothing name-like.
func nameOf(e cacheEntry, t ThemeText) Name {
	if e.Label == "" {
		return Name{Label: t.Label}
	}
	return Name{Label: e.Label, Model: e.Model}
}

func (n *Ollama) warn(msg string) {
	if n.Warn != nil {
		n.Warn(msg)
	}
}

// oneLine joins the lines of an error (several hosts' errors are joined
// with newlines) for a one-line message.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}
