package corpus

import (
	"testing"

	"github.com/papermap/papermap/paper"
)

// The map of a writable corpus saves its UMAP layout; papers added later
// are placed from their neighbours while every other paper keeps its place,
// and --layout pca gives the theme model's projection.
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
	if first.Layout != LayoutUMAP || len(first.Points) != 2000 || len(first.Themes) != 8 {
		t.Fatalf("map: layout %q, %d points, %d themes", first.Layout, len(first.Points), len(first.Themes))
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
		t.Errorf("pca layout %q gives the same coordinates as umap", pca.Layout)
	}
	if _, err := c.Map(t.Context(), m, MapOptions{Layout: "tsne"}); err == nil {
		t.Error("unknown layout accepted")
	}
}
