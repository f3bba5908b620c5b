package paper

import (
	"fmt"
)

// Paper is one bibliographic record: what papermap embeds, stores and clusters.
//
// ID is never empty once a reader returns a Paper. At least one of Title and
// Abstract is non-empty.
type Paper struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Abstract   string   `json:"abstract,omitempty"`
	Authors    []string `json:"authors,omitempty"`
	Year       int      `json:"year,omitempty"`
	Categories []string `json:"categories,omitempty"`
	DOI        string   `json:"doi,omitempty"`
	URL        string   `json:"url,omitempty"`
	// Extra holds every other field of the record that has a value, keyed by
	// its lower-case field name (venue, archive, keywords, booktitle, ...).
	Extra map[string]string `json:"extra,omitempty"`
	// Source is where the record starts in its input.
	Source Position `json:"-"`
}

// Position is a place in an input: a file name (or "stdin") and a 1-based line.
type Position struct {
	File string
	Line int
}

// String formats p as FILE:LINE, the form compilers and editors understand.
func (p Position) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}
