package paper

import (
	"bytes"
	"fmt"
	"io"
	"strings"
)

// Tagged formats: RIS, Web of Science plain text and PubMed MEDLINE
// (.nbib). Each line of a record is "TAG<separator>value" or continues the
// value of the line before it; a record starts with a given tag and ends
// with another (RIS and Web of Science: ER) or with a blank line (MEDLINE).
// A record's lines become flat fields named by the format's tag table and
// are then read like a CSV row (flatRecord).

// taggedSyntax describes one tagged format.
type taggedSyntax struct {
	what  string // "RIS", ...: names the format in errors
	start string // the tag that starts a record
	end   string // the tag that ends one; "" = a blank line or the next start
	// parse splits a line into a tag and its value; ok is false for a line
	// that is not a tag line.
	parse func(b []byte) (tag, value string, ok bool)
	// cont reports whether a line that is not a tag line continues the
	// value before it (and returns that text).
	cont func(b []byte) (string, bool)
	// fileTags may stand outside records (Web of Science's FN, VR, EF).
	fileTags map[string]bool
	// names maps tags to field names; a tag not listed is named by itself
	// in lower case.
	names map[string]string
	// perLine tags hold one value per line (Web of Science's AU: one author
	// a line); other tags' continuation lines are joined with spaces.
	perLine map[string]bool
	// value adjusts a tag and value before they are named (MEDLINE's
	// "AID - 10.1000/x [doi]" is a DOI); nil = none.
	value func(tag, value string) (string, string)
	// example is a well-formed line, for error messages.
	example string
}

// isTag reports whether s is a field tag of n characters: an upper-case
// letter, then upper-case letters or digits.
func isTag(s string, n int) bool {
	if len(s) != n || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < n; i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// RIS: "TY  - JOUR", two-character tags, two spaces, a dash, a space. Some
// exporters write one space, or none after an empty ER's dash; both are
// read. Any other line inside a record continues the value before it.
var risSyntax = &taggedSyntax{
	what: "RIS", start: "TY", end: "ER",
	parse: func(b []byte) (string, string, bool) {
		if len(b) < 4 || !isTag(string(b[:2]), 2) {
			return "", "", false
		}
		i := 2
		for i < len(b) && b[i] == ' ' {
			i++
		}
		if i == 2 || i >= len(b) || b[i] != '-' {
			return "", "", false
		}
		if i+1 < len(b) && b[i+1] != ' ' {
			return "", "", false
		}
		return string(b[:2]), strings.TrimSpace(string(b[min(i+2, len(b)):])), true
	},
	cont: func(b []byte) (string, bool) { return strings.TrimSpace(string(b)), true },
	names: map[string]string{
		"TY": "type", "TI": "title", "T1": "title", "CT": "title", "BT": "title",
		"AB": "abstract", "N2": "abstract",
		"AU": "authors", "A1": "authors",
		"PY": "year", "Y1": "year", "DA": "date",
		"DO": "doi", "UR": "url", "KW": "keywords",
		"JO": "venue", "JF": "venue", "T2": "venue", "JA": "journal_abbreviation",
		"A2": "editors", "VL": "volume", "IS": "issue", "SP": "start_page", "EP": "end_page",
		"PB": "publisher", "SN": "issn", "LA": "language", "N1": "notes", "ID": "ris_id",
		"AN": "accession_number", "ST": "short_title", "CY": "place", "L1": "file", "L2": "link",
	},
	example: "TY  - JOUR",
}

// Web of Science plain text: "TI A title", a two-character tag at the
// start of the line and one space; continuation lines start with three
// spaces. PT starts a record, ER ends it; FN, VR (file header) and EF (end
// of file) stand outside records.
var wosSyntax = &taggedSyntax{
	what: "Web of Science", start: "PT", end: "ER",
	parse: func(b []byte) (string, string, bool) {
		if len(b) < 2 || !isTag(string(b[:2]), 2) || len(b) > 2 && b[2] != ' ' {
			return "", "", false
		}
		return string(b[:2]), strings.TrimSpace(string(b[2:])), true
	},
	cont: func(b []byte) (string, bool) {
		if bytes.HasPrefix(b, []byte("   ")) || bytes.HasPrefix(b, []byte{'\t'}) {
			return strings.TrimSpace(string(b)), true
		}
		return "", false
	},
	fileTags: map[string]bool{"FN": true, "VR": true, "EF": true},
	names:    wosTagNames,
	perLine:  map[string]bool{"AU": true, "AF": true, "BA": true, "BF": true, "BE": true, "CA": true, "CR": true, "C1": true, "C3": true},
	example:  "TI A title",
}

// wosTagNames names Web of Science's field tags, in its plain text and its
// tab-delimited export. AF (full names) is preferred to AU ("Smith, J");
// ID is Keywords Plus, not an identifier; UT, the accession number
// ("WOS:000291234500012"), is the ID of a record without a DOI.
var wosTagNames = map[string]string{
	"PT": "publication_type", "DT": "document_type",
	"TI": "title", "AB": "abstract", "PY": "year", "PD": "publication_date",
	"DI": "doi", "AF": "authors", "AU": "author", "BE": "editors",
	"SO": "venue", "J9": "journal_abbreviation", "JI": "iso_abbreviation",
	"DE": "keywords", "ID": "keywords_plus", "UT": "accession",
	"VL": "volume", "IS": "issue", "BP": "start_page", "EP": "end_page",
	"SN": "issn", "EI": "eissn", "BN": "isbn", "PU": "publisher", "LA": "language",
	"TC": "times_cited", "Z9": "times_cited_all", "NR": "cited_reference_count",
	"CR": "cited_references", "C1": "addresses", "RP": "reprint_address", "EM": "email",
	"WC": "wos_categories", "SC": "research_areas", "PM": "pmid",
	"CT": "conference_title", "CY": "conference_date", "CL": "conference_location",
	"SE": "series", "OA": "open_access", "FU": "funding", "FX": "funding_text",
}

// PubMed MEDLINE (.nbib): "TI  - A title", a tag of up to four characters
// padded with spaces to four, a dash and a space; continuation lines start
// with six spaces. PMID starts a record, a blank line ends it.
var medlineSyntax = &taggedSyntax{
	what: "MEDLINE", start: "PMID",
	parse: func(b []byte) (string, string, bool) {
		if len(b) < 5 || b[4] != '-' || len(b) > 5 && b[5] != ' ' {
			return "", "", false
		}
		tag := strings.TrimRight(string(b[:4]), " ")
		if tag == "" || !isTag(tag, len(tag)) {
			return "", "", false
		}
		return tag, strings.TrimSpace(string(b[min(6, len(b)):])), true
	},
	cont: func(b []byte) (string, bool) {
		if len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
			return strings.TrimSpace(string(b)), true
		}
		return "", false
	},
	names: map[string]string{
		"PMID": "pmid", "TI": "title", "BTI": "title", "AB": "abstract",
		"FAU": "authors", "AU": "author", "DP": "date", "DOI": "doi",
		"JT": "venue", "TA": "journal_abbreviation", "MH": "mesh_terms", "OT": "keywords",
		"PT": "publication_type", "LA": "language", "AD": "affiliation", "IS": "issn",
		"VI": "volume", "IP": "issue", "PG": "pages", "SO": "source", "AID": "article_id",
		"LID": "location_id",
	},
	// "LID - 10.1016/j.x.2011.01.001 [doi]", "AID - ... [doi]": the DOI.
	value: func(tag, v string) (string, string) {
		if (tag == "LID" || tag == "AID") && strings.HasSuffix(v, "[doi]") {
			return "DOI", strings.TrimSpace(strings.TrimSuffix(v, "[doi]"))
		}
		return tag, v
	},
	example: "TI  - A title",
}

// taggedField is one tag of a record and its lines.
type taggedField struct {
	tag   string
	lines []string
}

type taggedSource struct {
	lr   *lineReader
	name string
	syn  *taggedSyntax

	open     bool // inside a record
	start    int  // its first line
	fields   []taggedField
	size     int    // bytes of the record so far
	over     bool   // longer than the bound
	bad      string // why the record is malformed, "" if it is not
	stray    bool   // lines outside records have been reported since the last record
	pending  []byte // a line read but not yet handled
	pendNo   int
	havePend bool
}

func newTaggedSource(r io.Reader, name string, max int, syn *taggedSyntax) *taggedSource {
	return &taggedSource{lr: newLineReader(r, max), name: name, syn: syn}
}

func (s *taggedSource) pos(line int) Position { return Position{File: s.name, Line: line} }

// begin opens a record at line with its first tag.
func (s *taggedSource) begin(line int, tag, value string) {
	s.open, s.start, s.size, s.over, s.bad, s.stray = true, line, 0, false, "", false
	s.fields = append(s.fields[:0], taggedField{tag: tag, lines: []string{value}})
}

// close ends the open record and returns its paper or its error.
func (s *taggedSource) close() (Paper, error) {
	s.open = false
	switch {
	case s.over:
		return Paper{}, tooLong(s.pos(s.start), s.lr.max)
	case s.bad != "":
		return Paper{}, &RecordError{Pos: s.pos(s.start), Reason: s.bad + "; record skipped"}
	}
	p := flatRecord(s.flatFields())
	if err := finish(&p, s.pos(s.start), ""); err != nil {
		return Paper{}, err
	}
	return p, nil
}

// flatFields names the record's tags and joins their lines and repeats:
// continuation lines with a space (one value per line for perLine tags),
// repeated tags with "; " (authors, keywords).
func (s *taggedSource) flatFields() []field {
	var out []field
	at := make(map[string]int)
	for _, f := range s.fields {
		var v string
		if s.syn.perLine[f.tag] {
			v = strings.Join(f.lines, "; ")
		} else {
			v = strings.Join(f.lines, " ")
		}
		tag := f.tag
		if s.syn.value != nil {
			tag, v = s.syn.value(tag, v)
		}
		name, ok := s.syn.names[tag]
		if !ok {
			name = strings.ToLower(tag)
		}
		if strings.TrimSpace(v) == "" {
			continue
		}
		if i, seen := at[name]; seen {
			if name != "title" && name != "abstract" && name != "doi" && name != "year" && name != "date" {
				out[i].value += "; " + v
			}
			continue
		}
		at[name] = len(out)
		out = append(out, field{key: name, value: v})
	}
	return out
}

// line returns the next line to handle.
func (s *taggedSource) line() ([]byte, int, error) {
	if s.havePend {
		s.havePend = false
		return s.pending, s.pendNo, nil
	}
	b, err := s.lr.next()
	return b, s.lr.line, err
}

func (s *taggedSource) next() (Paper, error) {
	syn := s.syn
	for {
		b, no, err := s.line()
		if err == io.EOF {
			if s.open {
				// A last record without its end tag: nothing follows it,
				// so it is read as it is.
				return s.close()
			}
			return Paper{}, io.EOF
		}
		if err == errLineTooLong {
			if s.open {
				s.over = true
				continue
			}
			return Paper{}, tooLong(s.pos(no), s.lr.max)
		}
		if err != nil {
			return Paper{}, err
		}
		if isBlank(b) {
			if s.open && syn.end == "" {
				return s.close()
			}
			continue
		}
		if s.open {
			if s.size += len(b) + 1; s.size > s.lr.max && !s.over {
				s.over, s.fields = true, s.fields[:0]
			}
		}
		tag, value, isTagLine := syn.parse(b)
		switch {
		case isTagLine && tag == syn.start && s.open:
			if syn.end == "" {
				s.pending, s.pendNo, s.havePend = bytes.Clone(b), no, true
				return s.close()
			}
			// The record before has no end tag: it is reported, since
			// where it was cut short cannot be told.
			s.pending, s.pendNo, s.havePend = bytes.Clone(b), no, true
			s.open = false
			return Paper{}, &RecordError{Pos: s.pos(s.start), Reason: fmt.Sprintf("%s record has no %s line before the next %s at line %d; record skipped", syn.what, syn.end, syn.start, no)}
		case isTagLine && tag == syn.start:
			s.begin(no, tag, value)
			s.size = len(b) + 1
		case isTagLine && s.open && tag == syn.end:
			return s.close()
		case isTagLine && s.open:
			if !s.over && s.bad == "" {
				s.fields = append(s.fields, taggedField{tag: tag, lines: []string{value}})
			}
		case s.open:
			text, ok := syn.cont(b)
			switch {
			case s.over || s.bad != "":
			case ok && len(s.fields) > 0:
				f := &s.fields[len(s.fields)-1]
				f.lines = append(f.lines, text)
			default:
				s.bad = fmt.Sprintf("line %d is neither a tag line (%q) nor a continuation line: %s", no, syn.example, snippet(string(b)))
			}
		case isTagLine && syn.fileTags[tag]:
		default:
			// Outside a record: reported once for each run of such lines.
			if s.stray {
				continue
			}
			s.stray = true
			return Paper{}, &RecordError{Pos: s.pos(no), Reason: fmt.Sprintf("line outside a %s record (records start with %s): %s", syn.what, syn.start, snippet(string(b)))}
		}
	}
}
