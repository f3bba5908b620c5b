package corpus

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"

	"github.com/papermap/papermap/topicmap"

	"github.com/papermap/papermap/paper"
)

// The map of a writable corpus saves its layout (t-SNE at 2,000 papers);
// papers added later are placed from their neighbours while every other
// paper keeps its place; --layout umap and pca give the other layouts.
func TestMapLayoutSavedAndExtended(t *testing.T) {
	papers := readArxiv(t)
	c := ingestArxiv(t, nil)
	m, err := c.ComputeThemes(t.Context(), ThemeOptions{K: 8})
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Map(t.Context(), m, MapOptions{Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	chosen := 0
	for _, th := range first.Themes {
		if th.Level == m.Chosen {
			chosen++
		}
	}
	if first.Layout != LayoutTSNE || len(first.Points) != 2000 || chosen != 8 {
		t.Fatalf("map: layout %q, %d points, %d themes at the chosen level", first.Layout, len(first.Points), chosen)
	}
	if _, err := c.store.ReadFile(layoutFile); err != nil {
		t.Fatalf("layout not saved: %v", err)
	}
	if len(first.Fields) != 1 || first.Fields[0].Name != "archive" {
		t.Errorf("fields %v, want archive", first.Fields)
	}
	// A copy of paper 0 under a new ID lands next to it.
	twin := papers[0]
	twin.ID = "twin-of-" + papers[0].ID
	if _, err := c.Ingest(t.Context(), []paper.Paper{twin}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	second, err := c.Map(t.Context(), m, MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string][2]float32{}
	for _, p := range second.Points {
		pos[p.ID] = [2]float32{p.X, p.Y}
	}
	for _, p := range first.Points {
		if pos[p.ID] != [2]float32{p.X, p.Y} {
			t.Fatalf("paper %s moved from (%v, %v) to %v after one paper was added", p.ID, p.X, p.Y, pos[p.ID])
		}
	}
	orig, tw := pos[papers[0].ID], pos[twin.ID]
	// Within a small fraction of the map's width of its original.
	var x0, x1 float32
	for _, p := range first.Points {
		x0, x1 = min(x0, p.X), max(x1, p.X)
	}
	if dx, dy := tw[0]-orig[0], tw[1]-orig[1]; dx*dx+dy*dy > (0.05*(x1-x0))*(0.05*(x1-x0)) {
		t.Errorf("the twin of %s is at %v, its original at %v (map width %v)", papers[0].ID, tw, orig, x1-x0)
	}
	pca, err := c.Map(t.Context(), m, MapOptions{Layout: LayoutPCA})
	if err != nil {
		t.Fatal(err)
	}
	if pca.Layout != LayoutPCA || pca.Points[0].X == second.Points[0].X {
		t.Errorf("pca layout %q gives the same coordinates as t-SNE", pca.Layout)
	}
	umap, err := c.Map(t.Context(), m, MapOptions{Layout: LayoutUMAP})
	if err != nil {
		t.Fatal(err)
	}
	if umap.Layout != LayoutUMAP || umap.Points[0].X == second.Points[0].X {
		t.Errorf("umap layout %q gives the same coordinates as t-SNE", umap.Layout)
	}
	if _, err := c.Map(t.Context(), m, MapOptions{Layout: "spectral"}); err == nil {
		t.Error("unknown layout accepted")
	}
}

// The map carries every level of the theme hierarchy: `map -o FILE.json`
// gives each theme its level and parent as the theme model has them, each
// paper its theme at the chosen level and its themes at every level, the
// same as PlaceAll's.
func TestMapThemeHierarchyJSON(t *testing.T) {
	c := ingestArxiv(t, nil)
	// 24 themes is more than the 20 a broad level holds (ThemeSettings.
	// TopMax), so the model has a broad level above the chosen one.
	m, err := c.ComputeThemes(t.Context(), ThemeOptions{K: 24})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Levels) < 2 || m.Chosen < 1 {
		t.Fatalf("theme model has %d levels, chosen %d: want a broad level above the chosen one", len(m.Levels), m.Chosen)
	}
	mp, err := c.Map(t.Context(), m, MapOptions{Layout: LayoutPCA})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := topicmap.WriteJSON(&buf, mp); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ThemeLevel int `json:"theme_level"`
		Papers     []struct {
			ID     string `json:"id"`
			Theme  *int   `json:"theme"`
			Themes []int  `json:"themes"`
		} `json:"papers"`
		Themes []struct {
			ID     int    `json:"id"`
			Label  string `json:"label"`
			Size   int    `json:"size"`
			Level  int    `json:"level"`
			Parent *int   `json:"parent"`
		} `json:"themes"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ThemeLevel != m.Chosen {
		t.Errorf("theme_level %d, want the chosen level %d", doc.ThemeLevel, m.Chosen)
	}
	type key struct{ level, id int }
	got := map[key]int{} // size
	for _, th := range doc.Themes {
		if th.Level < 0 || th.Level >= len(m.Levels) {
			t.Fatalf("theme %d at level %d: the model has %d levels", th.ID, th.Level, len(m.Levels))
		}
		if _, dup := got[key{th.Level, th.ID}]; dup {
			t.Errorf("theme %d appears twice at level %d", th.ID, th.Level)
		}
		got[key{th.Level, th.ID}] = th.Size
		if th.ID < 0 || th.ID >= len(m.Levels[th.Level].Themes) {
			t.Fatalf("theme id %d out of range at level %d", th.ID, th.Level)
		}
		want := m.Levels[th.Level].Themes[th.ID]
		if th.Label != want.Label {
			t.Errorf("level %d theme %d labelled %q, model %q", th.Level, th.ID, th.Label, want.Label)
		}
		switch {
		case th.Level == 0 && th.Parent != nil:
			t.Errorf("broad theme %d has parent %d", th.ID, *th.Parent)
		case th.Level > 0 && (th.Parent == nil || *th.Parent != want.Parent):
			t.Errorf("level %d theme %d has parent %v, model %d", th.Level, th.ID, th.Parent, want.Parent)
		}
	}
	for l, lv := range m.Levels {
		for _, th := range lv.Themes {
			if _, ok := got[key{l, th.ID}]; !ok {
				t.Errorf("level %d theme %d (%q) missing from the map", l, th.ID, th.Label)
			}
		}
	}
	ids, levels := c.PlaceAll(m)
	row := make(map[string]int, len(ids))
	for q, id := range ids {
		row[id] = q
	}
	sizes := map[key]int{}
	for _, p := range doc.Papers {
		q, ok := row[p.ID]
		if !ok {
			t.Fatalf("paper %s on the map is not stored", p.ID)
		}
		if len(p.Themes) != len(m.Levels) {
			t.Fatalf("paper %s has themes %v, want one per level (%d)", p.ID, p.Themes, len(m.Levels))
		}
		for l := range m.Levels {
			if p.Themes[l] != levels[l][q] {
				t.Errorf("paper %s at level %d: theme %d, model %d", p.ID, l, p.Themes[l], levels[l][q])
			}
			sizes[key{l, p.Themes[l]}]++
		}
		if p.Theme == nil || *p.Theme != levels[m.Chosen][q] {
			t.Errorf("paper %s: theme %v, want its chosen-level theme %d", p.ID, p.Theme, levels[m.Chosen][q])
		}
	}
	for k, n := range got {
		if sizes[k] != n {
			t.Errorf("level %d theme %d: size %d, %d papers on the map", k.level, k.id, n, sizes[k])
		}
	}
}

// papermap map opens the store read-only; it saves the layout it computed
// all the same, unless a writer holds the store (then it says so and saves
// nothing), so that the next map of a large corpus does not lay it out
// again.
func TestMapLayoutSavedByReader(t *testing.T) {
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "store")
	w, err := Open(ctx, dir, Options{Embedder: backend.Settings{Backend: embed.BackendLexical}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Ingest(ctx, readArxiv(t)[:300], IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	m, err := w.ComputeThemes(ctx, ThemeOptions{K: 4})
	if err != nil {
		t.Fatal(err)
	}
	var notes bytes.Buffer
	r, err := Open(ctx, dir, Options{ReadOnly: true, Notice: &notes})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// The writer is still open: nothing is saved, and the map says so.
	if _, err := r.Map(ctx, m, MapOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.ReadFile(layoutFile); err == nil {
		t.Error("a reader saved the layout while a writer held the store")
	}
	if !strings.Contains(notes.String(), "layout was not saved: another papermap process is writing") {
		t.Errorf("notices %q do not say the layout was not saved", notes.String())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	notes.Reset()
	mp, err := r.Map(ctx, m, MapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.store.ReadFile(layoutFile)
	if err != nil {
		t.Fatalf("the reader's map did not save its layout: %v (notices %q)", err, notes.String())
	}
	var saved savedLayout
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	pos := map[string][2]float32{}
	for i, id := range saved.IDs {
		pos[id] = [2]float32{saved.XY[2*i], saved.XY[2*i+1]}
	}
	if len(pos) != len(mp.Points) {
		t.Fatalf("saved layout holds %d papers, the map %d", len(pos), len(mp.Points))
	}
	for _, p := range mp.Points {
		if pos[p.ID] != [2]float32{p.X, p.Y} {
			t.Fatalf("paper %s is at (%v, %v) on the map and at %v in the saved layout", p.ID, p.X, p.Y, pos[p.ID])
		}
	}
	// The lock was released: a writer opens.
	w, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("writer after the reader saved its layout: %v", err)
	}
	w.Close()
}
