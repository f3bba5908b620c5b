package paper

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
)

// Format names an input format. The zero value means FormatAuto.
type Format string

// The input formats. The string values are the names --format accepts.
const (
	FormatAuto   Format = "auto"
	FormatText   Format = "txt"
	FormatJSONL  Format = "jsonl"
	FormatJSON   Format = "json"
	FormatCSV    Format = "csv"
	FormatTSV    Format = "tsv"
	FormatBibTeX Format = "bib"
	// FormatRIS is RIS (.ris), as Zotero, Mendeley, EndNote, Scopus, Web
	// of Science and PubMed export it.
	FormatRIS Format = "ris"
	// FormatWoS is a Web of Science export: plain text (PT/AU/TI/AB/ER
	// lines) or tab-delimited (a header row of field tags).
	FormatWoS Format = "wos"
	// FormatMEDLINE is PubMed's MEDLINE format (.nbib, "PMID- ...").
	FormatMEDLINE Format = "medline"
)

// formatNames lists the accepted spellings of each format, the canonical one
// first.
var formatNames = []struct {
	f     Format
	names []string
}{
	{FormatAuto, []string{"auto", ""}},
	{FormatText, []string{"txt", "text"}},
	{FormatJSONL, []string{"jsonl", "ndjson"}},
	{FormatJSON, []string{"json"}},
	{FormatCSV, []string{"csv"}},
	{FormatTSV, []string{"tsv", "tab"}},
	{FormatBibTeX, []string{"bib", "bibtex"}},
	{FormatRIS, []string{"ris"}},
	{FormatWoS, []string{"wos", "isi", "webofscience"}},
	{FormatMEDLINE, []string{"medline", "nbib", "pubmed"}},
}

// ParseFormat turns a --format value into a Format. It accepts the canonical
// names (auto, txt, jsonl, json, csv, tsv, bib, ris, wos, medline), a few
// aliases (text, ndjson, tab, bibtex, isi, webofscience, nbib, pubmed) and
// the empty string (auto), in any case.
func ParseFormat(s string) (Format, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, fn := range formatNames {
		for _, n := range fn.names {
			if t == n {
				return fn.f, nil
			}
		}
	}
	return "", fmt.Errorf("unknown format %q (valid: auto, txt, jsonl, json, csv, tsv, bib, ris, wos, medline)", s)
}

// extFormats maps file extensions to formats.
var extFormats = map[string]Format{
	".txt":    FormatText,
	".text":   FormatText,
	".jsonl":  FormatJSONL,
	".ndjson": FormatJSONL,
	".json":   FormatJSON,
	".csv":    FormatCSV,
	".tsv":    FormatTSV,
	".tab":    FormatTSV,
	".bib":    FormatBibTeX,
	".bibtex": FormatBibTeX,
	".ris":    FormatRIS,
	".nbib":   FormatMEDLINE,
	".ciw":    FormatWoS,
}

// DetectFormat chooses the format of an input from its name and the first
// bytes of its content (head; 64 KiB is plenty, less works). It never
// returns FormatAuto.
//
// The extension decides when it is known (.txt .text .jsonl .ndjson .json
// .csv .tsv .tab .bib .bibtex .ris .nbib .ciw, in any case, also under a
// trailing .gz), except that a .txt or .text file whose content is RIS,
// Web of Science or MEDLINE is read as such: Web of Science
// (savedrecs.txt) and PubMed (pubmed-*.txt) save their exports as .txt.
// Otherwise the content decides: a gzip head is decompressed first, then
// '[' starts JSON; '{' starts JSON Lines when the first line is a complete
// JSON value (or longer than head), else JSON; a first line "TY  - " makes
// RIS, "PMID- " MEDLINE, "FN " or "PT " followed by a tag line, or a
// tab-separated header of field tags starting with PT, Web of Science; a
// line starting with @type{ or @type( makes BibTeX; a first line that
// names a title or abstract column, split by tabs or commas, makes TSV or
// CSV. Anything else is text.
func DetectFormat(name string, head []byte) Format {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".gz" {
		ext = strings.ToLower(filepath.Ext(strings.TrimSuffix(name, filepath.Ext(name))))
	}
	if f, ok := extFormats[ext]; ok {
		if f == FormatText {
			if t := sniffTagged(plainHead(head)); t != "" {
				return t
			}
		}
		return f
	}
	return sniffFormat(head)
}

// plainHead returns head decompressed when it is gzip, without a BOM.
func plainHead(head []byte) []byte {
	if isGzip(head) {
		zr, err := gzip.NewReader(bytes.NewReader(head))
		if err != nil {
			return nil
		}
		// A truncated stream still yields its first bytes.
		plain, _ := io.ReadAll(io.LimitReader(zr, 64<<10))
		head = plain
	}
	return bytes.TrimPrefix(head, utf8BOM)
}

// sniffTagged returns the tagged format (RIS, Web of Science, MEDLINE)
// whose first lines head holds, or "".
func sniffTagged(head []byte) Format {
	lines := bytes.SplitN(bytes.TrimLeft(head, " \t\r\n"), []byte{'\n'}, 3)
	for i := range lines {
		lines[i] = bytes.TrimSuffix(lines[i], []byte{'\r'})
	}
	first := lines[0]
	switch {
	case len(first) == 0:
		return ""
	case bytes.HasPrefix(first, []byte("TY  -")) || bytes.HasPrefix(first, []byte("TY -")):
		return FormatRIS
	case bytes.HasPrefix(first, []byte("PMID-")):
		return FormatMEDLINE
	case bytes.HasPrefix(first, []byte("FN ")):
		return FormatWoS
	case bytes.HasPrefix(first, []byte("PT\t")) && isWoSHeader(strings.Split(string(first), "\t")):
		return FormatWoS
	case bytes.HasPrefix(first, []byte("PT ")) && len(lines) > 1:
		if _, _, ok := wosSyntax.parse(lines[1]); ok {
			return FormatWoS
		}
	}
	return ""
}

var bibEntryStart = regexp.MustCompile(`(?m)^[ \t]*@[A-Za-z]+[ \t]*[{(]`)

func sniffFormat(head []byte) Format {
	head = plainHead(head)
	if t := sniffTagged(head); t != "" {
		return t
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) == 0 {
		return FormatText
	}
	switch trimmed[0] {
	case '[':
		return FormatJSON
	case '{':
		line, _, complete := bytes.Cut(trimmed, []byte{'\n'})
		if !complete || json.Valid(line) {
			return FormatJSONL
		}
		return FormatJSON
	}
	if bibEntryStart.Match(head) {
		return FormatBibTeX
	}
	first, _, _ := bytes.Cut(trimmed, []byte{'\n'})
	first = bytes.TrimSuffix(first, []byte{'\r'})
	if headerNamesColumns(first, '\t') {
		return FormatTSV
	}
	if headerNamesColumns(first, ',') {
		return FormatCSV
	}
	return FormatText
}

// headerNamesColumns reports whether line, split by sep, has at least two
// cells and one of them names a title or abstract column.
func headerNamesColumns(line []byte, sep byte) bool {
	cells := bytes.Split(line, []byte{sep})
	if len(cells) < 2 {
		return false
	}
	for _, c := range cells {
		name := strings.ToLower(strings.Trim(strings.TrimSpace(string(c)), `"`))
		if name == "title" || name == "abstract" || name == "summary" {
			return true
		}
	}
	return false
}

var (
	utf8BOM   = []byte{0xEF, 0xBB, 0xBF}
	gzipMagic = []byte{0x1f, 0x8b}
)

func isGzip(b []byte) bool { return bytes.HasPrefix(b, gzipMagic) }
