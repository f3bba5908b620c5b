package corpus

import (
	"sort"
	"strconv"
	"strings"

	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/vectorstore"
)

// Metadata keys under which a paper's fields are stored. Extra fields keep
// their own (lower-case) names, so `--where venue=sigir` filters on them,
// unless they collide with one of these.
const (
	keyTitle      = "title"
	keyYear       = "year"
	keyAuthors    = "authors"
	keyCategories = "categories"
	keyDOI        = "doi"
	keyURL        = "url"
)

// authorSep joins author names in metadata; names themselves contain commas.
const authorSep = "; "

// record converts a paper to what the store keeps: the abstract as content,
// every other field as metadata. The embedding is filled in later.
func record(p paper.Paper) vectorstore.Record {
	md := make(map[string]string, 6+len(p.Extra))
	for k, v := range p.Extra {
		if v != "" {
			md[k] = v
		}
	}
	set := func(k, v string) {
		if v != "" {
			md[k] = v
		} else {
			delete(md, k)
		}
	}
	set(keyTitle, p.Title)
	if p.Year > 0 {
		set(keyYear, strconv.Itoa(p.Year))
	} else {
		delete(md, keyYear)
	}
	set(keyAuthors, strings.Join(p.Authors, authorSep))
	set(keyCategories, strings.Join(p.Categories, " "))
	set(keyDOI, p.DOI)
	set(keyURL, p.URL)
	return vectorstore.Record{ID: p.ID, Content: p.Abstract, Metadata: md}
}

// paperOf converts a stored record back into a paper.
func paperOf(r vectorstore.Record) paper.Paper {
	p := paper.Paper{ID: r.ID, Abstract: r.Content}
	for k, v := range r.Metadata {
		switch k {
		case keyTitle:
			p.Title = v
		case keyYear:
			p.Year, _ = strconv.Atoi(v)
		case keyAuthors:
			p.Authors = strings.Split(v, authorSep)
		case keyCategories:
			p.Categories = strings.Fields(v)
		case keyDOI:
			p.DOI = v
		case keyURL:
			p.URL = v
		default:
			if p.Extra == nil {
				p.Extra = make(map[string]string)
			}
			p.Extra[k] = v
		}
	}
	return p
}

// embedText is what gets embedded for a paper.
func embedText(r vectorstore.Record) string {
	title := r.Metadata[keyTitle]
	switch {
	case title == "":
		return r.Content
	case r.Content == "":
		return title
	}
	return paper.Paper{Title: title, Abstract: r.Content}.Text()
}

// Paper returns the stored paper with the given ID; a DOI matches
// whatever its case or resolver prefix (paper.IDKey).
func (c *Corpus) Paper(id string) (paper.Paper, bool) {
	r, ok := c.lookup(id)
	if !ok {
		return paper.Paper{}, false
	}
	return paperOf(r), true
}

// lookup returns the stored record whose ID is id or, failing that, has
// the same paper.IDKey: IDs are stored as written, and DOIs are
// case-insensitive, so "10.1109/asonam.2011.23" finds
// "10.1109/ASONAM.2011.23". The second step scans the IDs.
func (c *Corpus) lookup(id string) (vectorstore.Record, bool) {
	if r, ok := c.store.Get(id); ok {
		return r, true
	}
	key := paper.IDKey(id)
	if r, ok := c.store.Get(key); ok {
		return r, true
	}
	if key == strings.TrimSpace(id) && !strings.Contains(key, "/") {
		return vectorstore.Record{}, false // not a DOI: IDs match exactly
	}
	for _, sid := range c.store.IDs() {
		if paper.IDKey(sid) == key {
			return c.store.Get(sid)
		}
	}
	return vectorstore.Record{}, false
}

// storedSpelling maps the IDKey of every stored ID that is a DOI written
// with capitals or a resolver prefix to that ID, so that Ingest stores a
// paper under the spelling already stored instead of adding it twice.
func (c *Corpus) storedSpelling() map[string]string {
	m := make(map[string]string)
	for _, id := range c.store.IDs() {
		if k := paper.IDKey(id); k != id {
			m[k] = id
		}
	}
	return m
}

// Papers returns every stored paper, sorted by ID.
func (c *Corpus) Papers() []paper.Paper {
	ids := c.store.IDs()
	out := make([]paper.Paper, 0, len(ids))
	for _, id := range ids {
		if r, ok := c.store.Get(id); ok {
			out = append(out, paperOf(r))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
