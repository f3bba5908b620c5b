package paper

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// DeriveID returns a stable ID for a record that has no ID, DOI or BibTeX
// key of its own: "t:" and the first 16 hex digits (64 bits) of the SHA-256
// of the normalised title. The title is normalised by Unicode NFC,
// lower-casing and collapsing white space, so "Deep  Learning" and
// "deep learning" share an ID. When the title is empty the abstract is
// used the same way, with the prefix "a:". Both empty gives "".
//
// The ID depends on nothing but the text, so the same input yields the same
// IDs whatever the order of its records. Two different papers with the same
// title get the same ID; Dedupe reports the second one.
func DeriveID(title, abstract string) string {
	if t := normKey(title); t != "" {
		return "t:" + hash16(t)
	}
	if a := normKey(abstract); a != "" {
		return "a:" + hash16(a)
	}
	return ""
}

// IDKey returns the key under which two IDs are the same paper. DOIs are
// case-insensitive and may carry a resolver prefix, so the key of a DOI is
// the DOI lower-cased without its prefix: "10.1109/ASONAM.2011.23",
// "https://doi.org/10.1109/asonam.2011.23" and "10.1109/asonam.2011.23"
// have one key. Any other ID is its own key (trimmed): "0704.0001" and
// "t:..." IDs are compared exactly.
//
// Readers keep IDs as written; Dedupe compares them by IDKey, and a
// lookup by an ID a user typed should too.
func IDKey(id string) string {
	id = strings.TrimSpace(id)
	if isDOI(id) {
		return strings.ToLower(cleanDOI(id))
	}
	return id
}

// NormalizeID returns IDKey(id).
//
// Deprecated: IDs are no longer lower-cased when read (a DOI keeps its
// case in every output); use IDKey to compare them.
func NormalizeID(id string) string { return IDKey(id) }

func normKey(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(s))), " ")
}

func hash16(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// ContentHash returns the hex SHA-256 of a canonical encoding of every field
// of p except Source: a JSON object with a fixed field order and Extra's
// keys sorted. It does not depend on where or in which field order the
// record was read, and it is stable across runs and versions of Go.
func (p Paper) ContentHash() string {
	canon := struct {
		V          int               `json:"v"`
		ID         string            `json:"id"`
		Title      string            `json:"title"`
		Abstract   string            `json:"abstract"`
		Authors    []string          `json:"authors"`
		Year       int               `json:"year"`
		Categories []string          `json:"categories"`
		DOI        string            `json:"doi"`
		URL        string            `json:"url"`
		Extra      map[string]string `json:"extra"`
	}{1, p.ID, p.Title, p.Abstract, p.Authors, p.Year, p.Categories, p.DOI, p.URL, p.Extra}
	if len(canon.Authors) == 0 {
		canon.Authors = nil
	}
	if len(canon.Categories) == 0 {
		canon.Categories = nil
	}
	if len(canon.Extra) == 0 {
		canon.Extra = nil
	}
	b, err := json.Marshal(canon)
	if err != nil {
		panic("paper: cannot encode paper for hashing: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Text returns what gets embedded for p: the title and the abstract joined
// by ". " (by " " when the title already ends in . ? ! or :), or whichever
// of the two exists.
func (p Paper) Text() string {
	switch {
	case p.Title == "":
		return p.Abstract
	case p.Abstract == "":
		return p.Title
	}
	sep := ". "
	if strings.ContainsAny(p.Title[len(p.Title)-1:], ".?!:") {
		sep = " "
	}
	return p.Title + sep + p.Abstract
}

// Dedupe drops the later copies of papers that share an ID (compared by
// IDKey, so DOIs that differ only in case are one paper), keeping the
// order of the rest. A copy with the same content (ContentHash) is dropped
// with the reason "duplicate of FILE:LINE (identical)"; a copy with
// different content is dropped with the reason
// `duplicate id "X" with different content (first at FILE:LINE)`, since two
// papers cannot share an ID in a store. Each dropped copy is reported at its
// own position.
func Dedupe(papers []Paper) (kept []Paper, dropped []*RecordError) {
	type first struct {
		idx  int // in kept
		hash string
	}
	seen := make(map[string]first, len(papers))
	kept = make([]Paper, 0, len(papers))
	for _, p := range papers {
		key := IDKey(p.ID)
		f, dup := seen[key]
		if !dup {
			seen[key] = first{len(kept), ""}
			kept = append(kept, p)
			continue
		}
		if f.hash == "" {
			// Hash the first copy only once a duplicate shows up.
			f.hash = kept[f.idx].ContentHash()
			seen[key] = f
		}
		pos := kept[f.idx].Source
		reason := fmt.Sprintf("duplicate of %s (identical)", pos)
		if p.ContentHash() != f.hash {
			reason = fmt.Sprintf("duplicate id %q with different content (first at %s)", p.ID, pos)
		}
		dropped = append(dropped, &RecordError{Pos: p.Source, ID: p.ID, Reason: reason})
	}
	return kept, dropped
}
