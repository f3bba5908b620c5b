package corpus

import (
	"path/filepath"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/paper"
)

// TestDOICaseRoundTrip: a DOI keeps its capitals in the store (issue 13
// §6), is found by ID in any case, and a later ingest of the same DOI in
// another case updates that paper instead of adding a second one.
func TestDOICaseRoundTrip(t *testing.T) {
	c, err := Open(t.Context(), filepath.Join(t.TempDir(), "store"), Options{Embedder: backend.Settings{Backend: embed.BackendLexical}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	papers := []paper.Paper{
		{ID: "10.1109/ASONAM.2011.23", Title: "Community detection in social networks", Abstract: "We detect communities in large social networks with a modularity heuristic."},
		{ID: "10.1145/1.2", Title: "Graph clustering by random walks", Abstract: "Random walks on graphs find clusters of densely connected nodes."},
		{ID: "t:0123456789abcdef", Title: "Spectral methods for networks", Abstract: "Eigenvectors of the graph Laplacian reveal the community structure of social networks."},
	}
	if _, err := c.Ingest(t.Context(), papers, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"10.1109/ASONAM.2011.23", "10.1109/asonam.2011.23", "https://doi.org/10.1109/Asonam.2011.23"} {
		p, ok := c.Paper(id)
		if !ok || p.ID != "10.1109/ASONAM.2011.23" {
			t.Errorf("Paper(%q) = %q, %v; want the paper as stored", id, p.ID, ok)
		}
		res, err := c.Similar(t.Context(), id, 2, SearchOptions{})
		if err != nil || len(res) != 2 {
			t.Errorf("Similar(%q) = %v, %v", id, res, err)
		}
		for _, r := range res {
			if r.ID == "10.1109/ASONAM.2011.23" {
				t.Errorf("Similar(%q) returned the paper itself", id)
			}
		}
	}
	if _, ok := c.Paper("T:0123456789ABCDEF"); ok {
		t.Errorf("an ID that is not a DOI matched in another case")
	}
	again := []paper.Paper{{ID: "10.1109/asonam.2011.23", Title: "Community detection in social networks", Abstract: "A changed abstract about communities."}}
	if _, err := c.Ingest(t.Context(), again, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	ps := c.Papers()
	if len(ps) != 3 {
		t.Fatalf("%d papers after ingesting the DOI in lower case, want 3", len(ps))
	}
	if p, _ := c.Paper("10.1109/ASONAM.2011.23"); p.Abstract != "A changed abstract about communities." {
		t.Errorf("the paper was not updated: %q", p.Abstract)
	}
}
