package naming

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"
)

// CacheFile is the file, among a store's auxiliary files, that holds the
// names a model gave.
const CacheFile = "theme-names.json"

// cacheVersion is bumped when the cache file changes incompatibly; a file
// of another version is ignored (and replaced).
const cacheVersion = 1

// Files reads and writes auxiliary files by name, as a papermap store
// (vectorstore.Store) does: ReadFile's error matches fs.ErrNotExist when
// there is no such file; WriteFile replaces a file atomically.
type Files interface {
	ReadFile(name string) ([]byte, error)
	WriteFile(name string, data []byte) error
}

// cacheEntry is one theme's name with where it came from.
type cacheEntry struct {
	// Label is the model's answer, sanitised; "" when nothing name-like
	// was left, in which case the keyword label is used (without asking
	// again: the same prompt gets the same answer).
	Label   string    `json:"label"`
	Model   string    `json:"model"`
	Digest  string    `json:"digest"`
	Prompt  string    `json:"prompt"` // promptHash
	Created time.Time `json:"created"`
}

// cacheDoc is the content of CacheFile.
type cacheDoc struct {
	Version int `json:"version"`
	// Names are keyed by theme fingerprint.
	Names map[string]cacheEntry `json:"names"`
}

// loadCache reads the cache; a missing file is an empty cache, and a
// damaged one is reported (to be replaced) with an empty cache.
func loadCache(f Files) (map[string]cacheEntry, error) {
	if f == nil {
		return map[string]cacheEntry{}, nil
	}
	data, err := f.ReadFile(CacheFile)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]cacheEntry{}, nil
	}
	if err != nil {
		return map[string]cacheEntry{}, fmt.Errorf("reading the theme-name cache: %w", err)
	}
	var doc cacheDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return map[string]cacheEntry{}, fmt.Errorf("the theme-name cache %s is damaged and will be replaced: %w", CacheFile, err)
	}
	if doc.Version != cacheVersion || doc.Names == nil {
		return map[string]cacheEntry{}, nil
	}
	return doc.Names, nil
}

func saveCache(f Files, names map[string]cacheEntry) error {
	data, err := json.MarshalIndent(cacheDoc{Version: cacheVersion, Names: names}, "", " ")
	if err != nil {
		return fmt.Errorf("encoding the theme-name cache: %w", err)
	}
	if err := f.WriteFile(CacheFile, append(data, '\n')); err != nil {
		return fmt.Errorf("saving the theme-name cache: %w", err)
	}
	return nil
}
