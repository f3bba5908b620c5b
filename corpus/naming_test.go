package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/internal/testharness/fakegen"
	"github.com/papermap/papermap/naming"
	"github.com/papermap/papermap/paper"
)

func TestNameThemesEveryLevel(t *testing.T) {
	papers, _, err := paper.ReadFile("../testdata/seed-abstracts.txt", paper.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "store")
	c, err := Open(t.Context(), dir, Options{Embedder: backend.Settings{Backend: embed.BackendLexical}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Ingest(t.Context(), papers, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := c.ComputeThemes(t.Context(), ThemeOptions{K: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Levels) < 2 {
		t.Fatalf("%d levels, want a hierarchy", len(m.Levels))
	}

	srv := fakegen.New(t, "llama", "sha256:1")
	var n atomic.Int64
	srv.Answer(func(fakegen.Request) string { return fmt.Sprintf("Subject %d", n.Add(1)) })
	namer, err := c.Namer(NamerOptions{Namer: NamerOllama, Model: "llama", OllamaHosts: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.NameThemes(t.Context(), m, namer); err != nil {
		t.Fatal(err)
	}

	total := 0
	for _, lv := range m.Levels {
		total += len(lv.Themes)
	}
	reqs := srv.Requests()
	if len(reqs) != total {
		t.Fatalf("%d requests for %d themes in %d levels", len(reqs), total, len(m.Levels))
	}
	prompts := map[string]string{} // answer -> prompt it answered
	for i, r := range reqs {
		prompts[fmt.Sprintf("Subject %d", i+1)] = r.Prompt
	}
	for l, lv := range m.Levels {
		for _, th := range lv.Themes {
			p, ok := prompts[th.Label]
			if !ok {
				t.Errorf("level %d theme %d: label %q is not a model's answer", l, th.ID, th.Label)
				continue
			}
			if l+1 == len(m.Levels) {
				if !strings.Contains(p, "following documents") {
					t.Errorf("finest level theme %d asked without documents:\n%s", th.ID, p)
				}
				continue
			}
			// A parent is asked with its children's names.
			for _, ch := range th.Children {
				if want := "- " + m.Levels[l+1].Themes[ch].Label + "\n"; !strings.Contains(p, want) {
					t.Errorf("level %d theme %d: prompt lacks child %q:\n%s", l, th.ID, want, p)
				}
			}
		}
	}
	for j, th := range m.Themes {
		if th.Label != m.Levels[m.Chosen].Themes[j].Label {
			t.Errorf("theme %d: %q, its level says %q", j, th.Label, m.Levels[m.Chosen].Themes[j].Label)
		}
	}
	saved, err := c.LoadThemes()
	if err != nil {
		t.Fatal(err)
	}
	if saved.Themes[0].Label != m.Themes[0].Label {
		t.Errorf("saved label %q, want %q", saved.Themes[0].Label, m.Themes[0].Label)
	}
	if _, err := os.Stat(filepath.Join(dir, naming.CacheFile)); err != nil {
		t.Errorf("no name cache in the store: %v", err)
	}
}
