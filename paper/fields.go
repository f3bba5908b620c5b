package paper

import (
	"regexp"
	"strconv"
	"strings"
)

// Field names (lower case) that fill Paper's own fields, in order of
// preference. Any other field with a value goes into Paper.Extra.
var (
	idKeys       = []string{"id"}
	titleKeys    = []string{"title"}
	abstractKeys = []string{"abstract", "summary", "abstract_note"} // abstract_note: Zotero CSV
	authorKeys   = []string{"authors", "author"}
	yearKeys     = []string{"year", "publication_year"} // publication_year: Zotero CSV
	dateKeys     = []string{"published", "date", "publication_date", "issued", "update_date", "created"}
	categoryKeys = []string{"categories"}
	doiKeys      = []string{"doi"}
	urlKeys      = []string{"url", "link"} // link: Scopus CSV
	// accessionKeys name a database's own record number, the ID of a
	// record without an id or a DOI: Web of Science's UT (named accession),
	// Scopus's EID, PubMed's PMID (IDs "pmid:NNN").
	accessionKeys = []string{"accession", "eid", "pmid"}
)

// field is one named value of a flat record (a CSV row, a BibTeX entry).
type field struct {
	key   string // normalised by fieldKey
	value string // raw, not yet cleaned
}

// fieldKey normalises a column or field name: lower case, trimmed, inner
// spaces and dashes as underscores ("Update Date" -> "update_date").
func fieldKey(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 'a' && c <= 'z' || c == '_' || c >= '0' && c <= '9'
	}
	if plain {
		return s
	}
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
}

// flatRecord builds a Paper from flat string fields. The first field of a
// repeated name wins. Consumed reports the keys that filled Paper's own
// fields; every other field with a value goes to Extra.
func flatRecord(fields []field) Paper {
	byKey := make(map[string]string, len(fields))
	for _, f := range fields {
		if _, dup := byKey[f.key]; !dup && strings.TrimSpace(f.value) != "" {
			byKey[f.key] = f.value
		}
	}
	used := make(map[string]bool)
	pick := func(keys []string) string {
		for _, k := range keys {
			if v, ok := byKey[k]; ok {
				used[k] = true
				return v
			}
		}
		return ""
	}
	var p Paper
	p.ID = strings.TrimSpace(cleanText(pick(idKeys)))
	p.Title = cleanText(pick(titleKeys))
	p.Abstract = cleanText(pick(abstractKeys))
	p.Authors = splitAuthors(pick(authorKeys))
	if y := pick(yearKeys); y != "" {
		p.Year = parseYear(y)
		if p.Year == 0 {
			used["year"] = false // keep an unreadable year in Extra
		}
	}
	if p.Year == 0 {
		for _, k := range dateKeys {
			if v, ok := byKey[k]; ok {
				if p.Year = parseYear(v); p.Year != 0 {
					break
				}
			}
		}
	}
	p.Categories = splitCategories(pick(categoryKeys))
	p.DOI = cleanDOI(pick(doiKeys))
	p.URL = cleanText(pick(urlKeys))
	if p.ID == "" && p.DOI == "" {
		p.ID = accessionID(func(k string) string { return byKey[k] })
	}
	for _, f := range fields {
		if used[f.key] {
			continue
		}
		v := cleanText(f.value)
		if v == "" {
			continue
		}
		if p.Extra == nil {
			p.Extra = make(map[string]string)
		}
		if _, dup := p.Extra[f.key]; !dup {
			p.Extra[f.key] = v
		}
	}
	return p
}

// accessionID returns the ID made of a record's accession number (see
// accessionKeys), or "". value returns a field's raw value.
func accessionID(value func(key string) string) string {
	for _, k := range accessionKeys {
		if v := strings.TrimSpace(cleanText(value(k))); v != "" {
			if k == "pmid" {
				v = "pmid:" + v
			}
			return v
		}
	}
	return ""
}

// parseYear returns the first four-digit year (1000-2999) in s that is not
// part of a longer number, or 0.
func parseYear(s string) int {
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i == 4 && (s[i] == '1' || s[i] == '2') {
			y, _ := strconv.Atoi(s[i:j])
			return y
		}
		i = j
	}
	return 0
}

var andRE = regexp.MustCompile(`(?i)\s+and\s+`)

// splitAuthors splits an author string. Semicolons, when present, separate
// authors. Otherwise " and " separates authors, and commas do too unless the
// string is in BibTeX's "Last, First and Last, First" form: every part
// holds one comma and a one-word surname before it ("Hendler, James").
// "others" (BibTeX's et al.) is dropped.
func splitAuthors(s string) []string {
	s = cleanText(s)
	if s == "" {
		return nil
	}
	var parts []string
	if strings.Contains(s, ";") {
		parts = strings.Split(s, ";")
	} else {
		parts = andRE.Split(s, -1)
		if !lastFirstForm(parts) {
			var split []string
			for _, p := range parts {
				split = append(split, strings.Split(p, ",")...)
			}
			parts = split
		}
	}
	return tidyNames(parts)
}

// lastFirstForm reports whether every part reads "Surname, Given names".
func lastFirstForm(parts []string) bool {
	for _, p := range parts {
		if strings.Count(p, ",") != 1 {
			return false
		}
		last, first, _ := strings.Cut(p, ",")
		if len(strings.Fields(last)) != 1 || len(strings.Fields(first)) == 0 || len(strings.Fields(first)) > 3 {
			return false
		}
	}
	return true
}

// tidyNames trims names and drops empty ones and "others".
func tidyNames(parts []string) []string {
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" || strings.EqualFold(p, "others") || strings.EqualFold(p, "et al.") {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// splitCategories splits "cs.LG stat.ML" on white space, or on commas or
// semicolons when there are any.
func splitCategories(s string) []string {
	s = cleanText(s)
	if s == "" {
		return nil
	}
	var parts []string
	if strings.ContainsAny(s, ",;") {
		parts = strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
	} else {
		parts = strings.Fields(s)
	}
	return tidyNames(parts)
}

// doiPrefixes are stripped, longest first and in any case, from a DOI.
var doiPrefixes = []string{
	"https://dx.doi.org/", "http://dx.doi.org/", "https://doi.org/", "http://doi.org/",
	"dx.doi.org/", "doi.org/", "doi:",
}

// cleanDOI strips a resolver prefix from a DOI and keeps its case as
// written: "https://doi.org/10.1109/ASONAM.2011.23" -> "10.1109/ASONAM.2011.23".
// DOIs are case-insensitive; IDKey compares them so.
func cleanDOI(s string) string {
	s = strings.TrimSpace(cleanText(s))
	for _, p := range doiPrefixes {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			s = s[len(p):]
			break
		}
	}
	return strings.TrimSpace(s)
}

// isDOI reports whether s is a DOI ("10.NNNN/suffix"), with or without a
// resolver prefix.
func isDOI(s string) bool {
	s = cleanDOI(s)
	if !strings.HasPrefix(s, "10.") {
		return false
	}
	i := 3
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 3 && i+1 < len(s) && s[i] == '/'
}

// arxivIDRE matches an arXiv identifier as arXiv writes it, with an
// optional "arXiv:" prefix and version: the scheme of April 2007 on
// (YYMM.NNNN, YYMM.NNNNN from January 2015) and the older one
// (archive[.SUBJ]/YYMMNNN).
var arxivIDRE = regexp.MustCompile(`^(?i:arxiv:)?(?:(\d\d)(\d\d)\.(\d{4,5})|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/(\d\d)(\d\d)\d{3})(?:v\d+)?$`)

// arxivYear returns the year an arXiv identifier was assigned (its YYMM
// part), or 0 when id is not one: a record of arXiv's metadata without a
// date still gets its year.
func arxivYear(id string) int {
	m := arxivIDRE.FindStringSubmatch(id)
	if m == nil {
		return 0
	}
	if m[1] != "" { // new scheme, from 0704
		yy, _ := strconv.Atoi(m[1])
		mm, _ := strconv.Atoi(m[2])
		five := len(m[3]) == 5
		if mm < 1 || mm > 12 || yy*100+mm < 704 || five != (yy >= 15) {
			return 0
		}
		return 2000 + yy
	}
	yy, _ := strconv.Atoi(m[4])
	mm, _ := strconv.Atoi(m[5])
	switch {
	case mm < 1 || mm > 12:
		return 0
	case yy >= 91: // the old scheme ran from August 1991 to March 2007
		return 1900 + yy
	case yy*100+mm <= 703:
		return 2000 + yy
	}
	return 0
}
