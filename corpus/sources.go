package corpus

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/papermap/papermap/paper"
)

// sourcesFile is the store file that lists the input files the stored
// papers were read from.
const sourcesFile = "sources.json"

// Sources returns the names of the input files papers were ingested from,
// as they were given (paper.Position.File; "stdin" for standard input), in
// the order of their first ingest. It is nil for a store written before
// papermap recorded them.
func (c *Corpus) Sources() ([]string, error) {
	data, err := c.store.ReadFile(sourcesFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	if err := json.Unmarshal(data, &names); err != nil {
		return nil, fmt.Errorf("store %s: %s is damaged: %w", c.store.Dir(), sourcesFile, err)
	}
	return names, nil
}

// addSources adds the files of papers to the store's sources.
func (c *Corpus) addSources(papers []paper.Paper) error {
	names, err := c.Sources()
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		seen[n] = true
	}
	before := len(names)
	for _, p := range papers {
		if f := p.Source.File; f != "" && !seen[f] {
			seen[f] = true
			names = append(names, f)
		}
	}
	if len(names) == before {
		return nil
	}
	data, err := json.Marshal(names)
	if err != nil {
		return err
	}
	return c.store.WriteFile(sourcesFile, data)
}
