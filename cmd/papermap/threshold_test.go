package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestThemesHonoursIndexThreshold: themes writes to the store, and the
// store's Close brings the approximate index up to date when the store has
// at least $PAPERMAP_INDEX_THRESHOLD papers, so themes must pass the
// variable on like ingest does. With the default (50,000) the 66 seed
// papers get no index; with 10 the themes run leaves one.
func TestThemesHonoursIndexThreshold(t *testing.T) {
	store := seedStore(t)
	index := filepath.Join(store, "index.hnsw")
	if _, err := os.Stat(index); err == nil {
		t.Fatalf("%s exists after an ingest of 66 papers at the default threshold", index)
	}
	t.Setenv(indexThresholdEnv, "10")
	mustRun(t, "themes", "--store", store, "--k", "3")
	if _, err := os.Stat(index); err != nil {
		t.Fatalf("themes with %s=10 on 66 papers left no index: %v", indexThresholdEnv, err)
	}
}
