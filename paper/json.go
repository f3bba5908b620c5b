package paper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// jsonlSource reads JSON Lines: one JSON object per line, blank lines
// ignored. A line that is not a JSON object is a RecordError.
type jsonlSource struct {
	lr   *lineReader
	name string
}

func newJSONLSource(r io.Reader, name string) *jsonlSource {
	return &jsonlSource{lr: newLineReader(r), name: name}
}

func (s *jsonlSource) next() (Paper, error) {
	for {
		b, err := s.lr.next()
		if err != nil {
			return Paper{}, err
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		pos := Position{File: s.name, Line: s.lr.line}
		return jsonRecord(b, pos)
	}
}

// jsonRecord decodes one JSON object into a Paper.
//
// json.Unmarshal reads numbers as float64, which is exact for years and
// counts; an id given as a number is read again as written (json.Number),
// so 12345678901234567890 stays 12345678901234567890.
func jsonRecord(b []byte, pos Position) (Paper, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return Paper{}, &RecordError{Pos: pos, Reason: "invalid JSON: " + jsonErrText(err)}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Paper{}, &RecordError{Pos: pos, Reason: fmt.Sprintf("not a JSON object (a %s)", jsonKind(v))}
	}
	for k, v := range m {
		if _, isNum := v.(float64); isNum && fieldKey(k) == "id" {
			var exact struct {
				ID json.Number `json:"id"`
			}
			if json.Unmarshal(b, &exact) == nil && exact.ID != "" {
				m[k] = exact.ID
			}
		}
	}
	p := objectRecord(m)
	if err := finish(&p, pos, ""); err != nil {
		return Paper{}, err
	}
	return p, nil
}

func jsonErrText(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of JSON input"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// objectRecord maps a decoded JSON object to a Paper (field names in
// doc.go). Keys are matched case-insensitively.
func objectRecord(m map[string]any) Paper {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	obj := make(map[string]any, len(m))
	order := make([]string, 0, len(m))
	for _, k := range keys {
		lk := fieldKey(k)
		if _, dup := obj[lk]; dup {
			continue
		}
		obj[lk] = m[k]
		order = append(order, lk)
	}
	used := make(map[string]bool)
	pick := func(names []string, conv func(any) string) string {
		for _, n := range names {
			if v, ok := obj[n]; ok {
				if s := conv(v); s != "" {
					used[n] = true
					return s
				}
			}
		}
		return ""
	}
	var p Paper
	p.ID = strings.TrimSpace(cleanText(pick(idKeys, scalarString)))
	p.Title = cleanText(pick(titleKeys, textString))
	p.Abstract = cleanText(pick(abstractKeys, textString))
	for _, n := range authorKeys {
		if a := jsonAuthors(obj[n]); len(a) > 0 {
			p.Authors, used[n] = a, true
			break
		}
	}
	if len(p.Authors) == 0 {
		if a := parsedAuthors(obj["authors_parsed"]); len(a) > 0 {
			p.Authors, used["authors_parsed"] = a, true
		}
	} else if _, ok := obj["authors_parsed"].([]any); ok {
		used["authors_parsed"] = true // the same names again, as lists
	}
	if y := pick(yearKeys, scalarString); y != "" {
		if p.Year = parseYear(y); p.Year == 0 {
			used["year"] = false
		}
	}
	for _, n := range dateKeys {
		if p.Year != 0 {
			break
		}
		p.Year = parseYear(scalarString(obj[n]))
	}
	if p.Year == 0 {
		p.Year = versionsYear(obj["versions"])
	}
	for _, n := range categoryKeys {
		switch v := obj[n].(type) {
		case string:
			p.Categories = splitCategories(v)
		case []any:
			p.Categories = tidyNames(cleanList(v))
		}
		if len(p.Categories) > 0 {
			used[n] = true
			break
		}
	}
	p.DOI = normalizeDOI(pick(doiKeys, scalarString))
	p.URL = cleanText(pick(urlKeys, scalarString))
	for _, k := range order {
		if used[k] {
			continue
		}
		var v string
		switch x := obj[k].(type) {
		case []any:
			v = strings.Join(cleanList(x), ", ")
		default:
			v = cleanText(scalarString(x))
		}
		if v == "" {
			continue
		}
		if p.Extra == nil {
			p.Extra = make(map[string]string)
		}
		p.Extra[k] = v
	}
	return p
}

// scalarString renders a JSON string, number or boolean; anything else
// gives "".
func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return ""
}

// textString is scalarString, also taking the strings of a list
// (["A title"]), as some exports give titles as lists.
func textString(v any) string {
	if l, ok := v.([]any); ok {
		return strings.Join(cleanList(l), " ")
	}
	return scalarString(v)
}

// cleanList returns the cleaned non-empty scalars of a list.
func cleanList(l []any) []string {
	var out []string
	for _, e := range l {
		if s := cleanText(scalarString(e)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// jsonAuthors reads authors given as a string ("A, B and C"), a list of
// strings, or a list of objects with "name" (or given/family, first/last).
func jsonAuthors(v any) []string {
	switch x := v.(type) {
	case string:
		return splitAuthors(x)
	case []any:
		var names []string
		for _, e := range x {
			switch a := e.(type) {
			case string:
				names = append(names, cleanText(a))
			case map[string]any:
				names = append(names, objectName(a))
			case []any:
				names = append(names, listName(a))
			}
		}
		return tidyNames(names)
	}
	return nil
}

func objectName(a map[string]any) string {
	get := func(keys ...string) string {
		for _, k := range keys {
			for ak, v := range a {
				if strings.EqualFold(ak, k) {
					if s := cleanText(scalarString(v)); s != "" {
						return s
					}
				}
			}
		}
		return ""
	}
	if n := get("name", "full_name", "fullname"); n != "" {
		return n
	}
	return strings.TrimSpace(get("given", "first", "forename", "first_name") + " " + get("family", "last", "surname", "last_name"))
}

// listName reads one arXiv authors_parsed entry: [last, first, suffix].
func listName(l []any) string {
	parts := cleanListKeepEmpty(l)
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	name := strings.TrimSpace(parts[1] + " " + parts[0])
	if len(parts) > 2 && parts[2] != "" {
		name += " " + parts[2]
	}
	return name
}

func cleanListKeepEmpty(l []any) []string {
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = cleanText(scalarString(e))
	}
	return out
}

func parsedAuthors(v any) []string {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	var names []string
	for _, e := range l {
		if a, ok := e.([]any); ok {
			names = append(names, listName(a))
		}
	}
	return tidyNames(names)
}

// versionsYear reads the year of arXiv's first version:
// "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}].
func versionsYear(v any) int {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return 0
	}
	if m, ok := l[0].(map[string]any); ok {
		return parseYear(scalarString(m["created"]))
	}
	return 0
}

// wrapperKeys name the list of records in a {"papers": [...]}-style object.
var wrapperKeys = map[string]bool{
	"papers": true, "records": true, "items": true, "entries": true,
	"data": true, "results": true, "documents": true, "docs": true,
}

// jsonSource reads a JSON document: an array of objects, a single object,
// an object that wraps an array ({"papers": [...]}), or several of these
// one after the other. Arrays are streamed element by element.
//
// Elements that are not objects are RecordErrors. A syntax error is fatal,
// since nothing after it can be read reliably.
type jsonSource struct {
	tr    *textReader
	dec   *json.Decoder
	name  string
	state int
	after int // state to return to at the end of an array
}

const (
	jsonTop = iota
	jsonArray
	jsonWrapperRest // the rest of a wrapper object after its array
)

func newJSONSource(tr *textReader, name string) *jsonSource {
	tr.trackLines = true
	dec := json.NewDecoder(tr)
	dec.UseNumber()
	return &jsonSource{tr: tr, dec: dec, name: name}
}

func (s *jsonSource) fatal(err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err // the text reader's own error (binary data)
	}
	var se *json.SyntaxError
	line := 0
	if errors.As(err, &se) {
		line = s.tr.lineAt(se.Offset)
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		line = s.tr.lineAt(s.tr.off)
	}
	return &InputError{Pos: Position{File: s.name, Line: line}, Err: fmt.Errorf("invalid JSON: %w (nothing after this point can be read)", err)}
}

func (s *jsonSource) next() (Paper, error) {
	for {
		switch s.state {
		case jsonTop:
			tok, err := s.dec.Token()
			if err == io.EOF {
				return Paper{}, io.EOF
			}
			if err != nil {
				return Paper{}, s.fatal(err)
			}
			switch tok {
			case json.Delim('['):
				s.state, s.after = jsonArray, jsonTop
				continue
			case json.Delim('{'):
				p, ok, err := s.object(s.dec.InputOffset() - 1)
				if err != nil || ok {
					return p, err
				}
				continue // a wrapper: its array comes next
			}
			pos := Position{File: s.name, Line: s.tr.lineAt(s.dec.InputOffset())}
			return Paper{}, &RecordError{Pos: pos, Reason: fmt.Sprintf("top-level JSON value is not an object or a list (a %s)", jsonKind(tok))}
		case jsonArray:
			if !s.dec.More() {
				if _, err := s.dec.Token(); err != nil { // ']'
					return Paper{}, s.fatal(err)
				}
				s.state = s.after
				continue
			}
			var raw json.RawMessage
			if err := s.dec.Decode(&raw); err != nil {
				return Paper{}, s.fatal(err)
			}
			pos := Position{File: s.name, Line: s.tr.lineAt(s.dec.InputOffset() - int64(len(raw)))}
			return jsonRecord(raw, pos)
		case jsonWrapperRest:
			for s.dec.More() {
				if _, err := s.dec.Token(); err != nil { // key
					return Paper{}, s.fatal(err)
				}
				var skip json.RawMessage
				if err := s.dec.Decode(&skip); err != nil {
					return Paper{}, s.fatal(err)
				}
			}
			if _, err := s.dec.Token(); err != nil { // '}'
				return Paper{}, s.fatal(err)
			}
			s.state = jsonTop
		}
	}
}

// object reads a top-level object whose '{' is at offset start. If one of
// its keys is a wrapper key holding a list, it switches to streaming that
// list and returns ok == false; otherwise the object is one record.
func (s *jsonSource) object(start int64) (p Paper, ok bool, err error) {
	line := s.tr.lineAt(start)
	fields := make(map[string]any)
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return Paper{}, false, s.fatal(err)
		}
		key, _ := tok.(string)
		if wrapperKeys[fieldKey(key)] {
			tok, err := s.dec.Token()
			if err != nil {
				return Paper{}, false, s.fatal(err)
			}
			switch tok {
			case json.Delim('['):
				s.state, s.after = jsonArray, jsonWrapperRest
				return Paper{}, false, nil
			case json.Delim('{'):
				if err := s.skipObject(); err != nil {
					return Paper{}, false, err
				}
			default:
				fields[key] = tok
			}
			continue
		}
		var v any
		if err := s.dec.Decode(&v); err != nil {
			return Paper{}, false, s.fatal(err)
		}
		fields[key] = v
	}
	if _, err := s.dec.Token(); err != nil { // '}'
		return Paper{}, false, s.fatal(err)
	}
	p = objectRecord(fields)
	if err := finish(&p, Position{File: s.name, Line: line}, ""); err != nil {
		return Paper{}, true, err
	}
	return p, true, nil
}

// skipObject consumes tokens up to the '}' closing an object whose '{' has
// been read.
func (s *jsonSource) skipObject() error {
	for depth := 1; depth > 0; {
		tok, err := s.dec.Token()
		if err != nil {
			return s.fatal(err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}
