package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReindexThemesStale: after reindex the saved themes are reported
// stale (not "none"), report recomputes the same number of themes for its
// run and says so, and `themes` makes them current again.
func TestReindexThemesStale(t *testing.T) {
	store := seedStore(t)
	mustRun(t, "themes", "--store", store, "--k", "4")
	if out := mustRun(t, "info", "--store", store); !strings.Contains(out, "themes:     4, computed") || !strings.Contains(out, "up to date") {
		t.Fatalf("info before reindex:\n%s", out)
	}
	mustRun(t, "reindex", "--quiet", "--store", store)

	out := mustRun(t, "info", "--store", store)
	if !strings.Contains(out, "themes:     4, computed") || !strings.Contains(out, "STALE: the papers were embedded again") {
		t.Errorf("info after reindex does not say the 4 themes are stale:\n%s", out)
	}
	info := decode[struct {
		Themes *struct {
			K          int  `json:"k"`
			Stale      bool `json:"stale"`
			Reembedded bool `json:"reembedded"`
		} `json:"themes"`
	}](t, mustRun(t, "info", "--store", store, "--json"))
	if info.Themes == nil || info.Themes.K != 4 || !info.Themes.Stale || !info.Themes.Reembedded {
		t.Errorf("info --json after reindex: themes %+v, want k 4, stale, reembedded", info.Themes)
	}

	md := filepath.Join(t.TempDir(), "report.md")
	_, errs, code := run(t, "", "report", "--store", store, "-o", md)
	if code != 0 || !strings.Contains(errs, "predate the last reindex: computed 4 again") {
		t.Errorf("report after reindex: exit %d, stderr:\n%s", code, errs)
	}
	if b, err := os.ReadFile(md); err != nil || len(b) == 0 {
		t.Errorf("report after reindex wrote nothing: %v", err)
	}

	mustRun(t, "themes", "--store", store, "--k", "4")
	if out := mustRun(t, "info", "--store", store); !strings.Contains(out, "up to date") {
		t.Errorf("info after themes again:\n%s", out)
	}
}
