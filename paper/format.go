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
}

// ParseFormat turns a --format value into a Format. It accepts the canonical
// names (auto, txt, jsonl, json, csv, tsv, bib), a few aliases (text, ndjson,
// tab, bibtex) and the empty string (auto), in any case.
func ParseFormat(s string) (Format, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, fn := range formatNames {
		for _, n := range fn.names {
			if t == n {
				return fn.f, nil
			}
		}
	}
	return "", fmt.Errorf("unknown format %q (valid: auto, txt, jsonl, json, csv, tsv, bib)", s)
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
}

// DetectFormat chooses the format of an input from its name and the first
// bytes of its content (head; 64 KiB is plenty, less works). It never
// returns FormatAuto.
//
// The extension decides when it is known (.txt .text .jsonl .ndjson .json
// .csv .tsv .tab .bib .bibtex, in any case, also under a trailing .gz).
// Otherwise the content decides: a gzip head is decompressed first, then
// '[' starts JSON; '{' starts JSON Lines when the first line is a complete
// JSON value (or longer than head), else JSON; a line starting with
// @type{ or @type( makes BibTeX; a first line that names a title or
// abstract column, split by tabs or commas, makes TSV or CSV. Anything
// else is text.
func DetectFormat(name string, head []byte) Format {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".gz" {
		ext = strings.ToLower(filepath.Ext(strings.TrimSuffix(name, filepath.Ext(name))))
	}
	if f, ok := extFormats[ext]; ok {
		return f
	}
	return sniffFormat(head)
}

var bibEntryStart = regexp.MustCompile(`(?m)^[ \t]*@[A-Za-z]+[ \t]*[{(]`)

func sniffFormat(head []byte) Format {
	if isGzip(head) {
		zr, err := gzip.NewReader(bytes.NewReader(head))
		if err != nil {
			return FormatText
		}
		// A truncated stream still yields its first bytes.
		plain, _ := io.ReadAll(io.LimitReader(zr, 64<<10))
		head = plain
	}
	head = bytes.TrimPrefix(head, utf8BOM)
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
