package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOllamaServerReindexModel: `reindex --model` moves an Ollama store to
// another model, every vector re-embedded by it (see checkOneModel).
func TestOllamaServerReindexModel(t *testing.T) {
	host := ollamaTestServer(t, "")
	bin := papermapBinary(t)
	dir := t.TempDir()
	data, err := os.ReadFile(ollamaArxivFile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfterN(string(data), "\n", 13)[:12]
	input := filepath.Join(dir, "a.jsonl")
	if err := os.WriteFile(input, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "store")
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "OLLAMA_HOST="+host)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("papermap %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	run("ingest", "--quiet", "--store", store, "--embedder", "ollama", "--model", tinyModel, input)
	ids := storedIDs(t, store)
	out := run("reindex", "--quiet", "--json", "--store", store, "--model", "papermap-minilm")
	var got reindexJSON
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Papers != len(ids) || got.Before.Model != tinyModel || got.Before.Dimensions != tinyDims ||
		got.After.Model != "papermap-minilm" || got.After.Dimensions != 384 {
		t.Fatalf("reindex --json: %+v; want %d papers moved from %s (%d dims) to papermap-minilm (384)", got, len(ids), tinyModel, tinyDims)
	}
	t.Setenv("OLLAMA_HOST", host)
	checkOneModel(t, store, ids)
}
