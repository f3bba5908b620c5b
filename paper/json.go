package paper

import (
	"bufio"
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

func newJSONLSource(r io.Reader, name string, max int) *jsonlSource {
	return &jsonlSource{lr: newLineReader(r, max), name: name}
}

func (s *jsonlSource) next() (Paper, error) {
	for {
		b, err := s.lr.next()
		if err == errLineTooLong {
			return Paper{}, tooLong(Position{File: s.name, Line: s.lr.line}, s.lr.max)
		}
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
	if p.Year == 0 {
		p.Year = arxivYear(p.ID)
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
	p.DOI = cleanDOI(pick(doiKeys, scalarString))
	p.URL = cleanText(pick(urlKeys, scalarString))
	if p.ID == "" && p.DOI == "" {
		p.ID = accessionID(func(k string) string { return scalarString(obj[k]) })
	}
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
// The document's structure (brackets, commas, colons, the strings that are
// keys) is read here, byte by byte; each record is cut out as raw bytes,
// at most max of them, and decoded with encoding/json. So a record that is
// too long, or that is not valid JSON inside balanced brackets, is a
// RecordError and reading goes on at the next element. A break in the
// structure itself (a missing comma between elements, a document cut
// short) is fatal, since the records after it cannot be found reliably.
type jsonSource struct {
	r     *bufio.Reader
	name  string
	max   int
	line  int // line of the next byte
	state int
	after int  // state to return to at the end of an array
	first bool // no element of the current array read yet
	buf   []byte
}

const (
	jsonTop = iota
	jsonArray
	jsonWrapperRest // the rest of a wrapper object after its array
)

func newJSONSource(r io.Reader, name string, max int) *jsonSource {
	return &jsonSource{r: bufio.NewReaderSize(r, 64<<10), name: name, max: max, line: 1}
}

// syntax returns the fatal error for a break in the document's structure.
func (s *jsonSource) syntax(format string, args ...any) error {
	return &InputError{Pos: Position{File: s.name, Line: s.line}, Err: fmt.Errorf("invalid JSON: %s (nothing after this point can be read)", fmt.Sprintf(format, args...))}
}

// readErr turns a read error into the error to return: the text reader's
// own InputError (binary data), a fatal "cut short" at io.EOF, or the I/O
// error.
func (s *jsonSource) readErr(err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	if err == io.EOF {
		return s.syntax("the document ends inside a value")
	}
	return err
}

func (s *jsonSource) readByte() (byte, error) {
	c, err := s.r.ReadByte()
	if c == '\n' && err == nil {
		s.line++
	}
	return c, err
}

func (s *jsonSource) unreadByte(c byte) {
	s.r.UnreadByte()
	if c == '\n' {
		s.line--
	}
}

// skipSpace returns the next byte that is not JSON white space, consumed;
// io.EOF at the end.
func (s *jsonSource) skipSpace() (byte, error) {
	for {
		c, err := s.readByte()
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, nil
		}
	}
}

// value reads the JSON value that starts with c (already read), appending
// its bytes to s.buf while keep is set and s.buf holds at most s.max bytes;
// over reports that the value was longer. Only the structure is checked
// here (strings, nesting); encoding/json checks the rest.
func (s *jsonSource) value(c byte, keep bool) (over bool, err error) {
	add := func(b byte) {
		if !keep || over {
			return
		}
		if len(s.buf) >= s.max {
			over = true
			s.buf = s.buf[:0]
			return
		}
		s.buf = append(s.buf, b)
	}
	switch {
	case c == '{' || c == '[' || c == '"':
		depth, inStr, esc := 0, false, false
		for {
			add(c)
			switch {
			case inStr:
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
				}
			case c == '"':
				inStr = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
			}
			if depth == 0 && !inStr {
				return over, nil
			}
			if c, err = s.readByte(); err != nil {
				return over, s.readErr(err)
			}
		}
	case c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z':
		for {
			add(c)
			if c, err = s.readByte(); err == io.EOF {
				return over, nil
			} else if err != nil {
				return over, s.readErr(err)
			}
			if c == ',' || c == ']' || c == '}' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				s.unreadByte(c)
				return over, nil
			}
		}
	}
	return false, s.syntax("unexpected %q where a value should start", rune(c))
}

func (s *jsonSource) next() (Paper, error) {
	for {
		switch s.state {
		case jsonTop:
			c, err := s.skipSpace()
			if err != nil {
				return Paper{}, err
			}
			switch c {
			case '[':
				s.state, s.after, s.first = jsonArray, jsonTop, true
				continue
			case '{':
				p, ok, err := s.object()
				if err != nil || ok {
					return p, err
				}
				continue // a wrapper: its array comes next
			}
			pos := Position{File: s.name, Line: s.line}
			s.buf = s.buf[:0]
			over, err := s.value(c, true)
			if err != nil {
				return Paper{}, err
			}
			if over {
				return Paper{}, tooLong(pos, s.max)
			}
			var v any
			if json.Unmarshal(s.buf, &v) != nil {
				return Paper{}, s.syntax("%s at the top level", snippet(string(s.buf)))
			}
			return Paper{}, &RecordError{Pos: pos, Reason: fmt.Sprintf("top-level JSON value is not an object or a list (a %s)", jsonKind(v))}
		case jsonArray:
			c, err := s.skipSpace()
			if err != nil {
				return Paper{}, s.readErr(err)
			}
			if c == ']' {
				s.state = s.after
				continue
			}
			if !s.first {
				if c != ',' {
					return Paper{}, s.syntax("%q after an array element, want ',' or ']'", rune(c))
				}
				if c, err = s.skipSpace(); err != nil {
					return Paper{}, s.readErr(err)
				}
			}
			s.first = false
			pos := Position{File: s.name, Line: s.line}
			s.buf = s.buf[:0]
			over, err := s.value(c, true)
			if err != nil {
				return Paper{}, err
			}
			if over {
				return Paper{}, tooLong(pos, s.max)
			}
			return jsonRecord(s.buf, pos)
		case jsonWrapperRest:
			for {
				c, err := s.skipSpace()
				if err != nil {
					return Paper{}, s.readErr(err)
				}
				if c == '}' {
					break
				}
				if c != ',' {
					return Paper{}, s.syntax("%q after a value in an object, want ',' or '}'", rune(c))
				}
				if _, _, err := s.member(false); err != nil {
					return Paper{}, err
				}
			}
			s.state = jsonTop
		}
	}
}

// member reads `"key": value` after white space and returns the key; the
// value's bytes are left in s.buf when keep is set, else skipped. A value
// that is a list under a wrapper key (as in {"papers": [...]}) is not read:
// its '[' is consumed and list is true.
func (s *jsonSource) member(keep bool) (key string, list bool, err error) {
	c, err := s.skipSpace()
	if err != nil {
		return "", false, s.readErr(err)
	}
	if c != '"' {
		return "", false, s.syntax("%q where an object key should start", rune(c))
	}
	s.buf = s.buf[:0]
	if _, err := s.value(c, true); err != nil {
		return "", false, err
	}
	if json.Unmarshal(s.buf, &key) != nil {
		return "", false, s.syntax("invalid object key %s", snippet(string(s.buf)))
	}
	if c, err = s.skipSpace(); err != nil {
		return "", false, s.readErr(err)
	}
	if c != ':' {
		return "", false, s.syntax("%q after an object key, want ':'", rune(c))
	}
	if c, err = s.skipSpace(); err != nil {
		return "", false, s.readErr(err)
	}
	if keep && c == '[' && wrapperKeys[fieldKey(key)] {
		return key, true, nil
	}
	s.buf = s.buf[:0]
	over, err := s.value(c, keep)
	if over {
		s.buf = nil // marks a value over the bound
	}
	return key, false, err
}

// object reads a top-level object whose '{' has been read. If one of its
// keys is a wrapper key holding a list, it switches to streaming that list
// and returns ok == false; otherwise the object is one record, at most max
// bytes long in all.
func (s *jsonSource) object() (p Paper, ok bool, err error) {
	pos := Position{File: s.name, Line: s.line}
	fields := make(map[string]any)
	size, over := 0, false
	var bad *RecordError // a member value that is not valid JSON
	for first := true; ; first = false {
		c, err := s.skipSpace()
		if err != nil {
			return Paper{}, false, s.readErr(err)
		}
		if c == '}' {
			break
		}
		if !first {
			if c != ',' {
				return Paper{}, false, s.syntax("%q after a value in an object, want ',' or '}'", rune(c))
			}
		} else {
			s.r.UnreadByte() // c is the key's '"' (or an error member reports)
		}
		key, list, err := s.member(!over)
		if err != nil {
			return Paper{}, false, err
		}
		if list {
			s.state, s.after, s.first = jsonArray, jsonWrapperRest, true
			return Paper{}, false, nil
		}
		if over {
			continue
		}
		if size += len(key) + len(s.buf); s.buf == nil || size > s.max {
			over, fields = true, nil
			continue
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(s.buf))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil && bad == nil {
			bad = &RecordError{Pos: pos, Reason: "invalid JSON: " + jsonErrText(err)}
		}
		fields[key] = v
	}
	if over {
		return Paper{}, true, tooLong(pos, s.max)
	}
	if bad != nil {
		return Paper{}, true, bad
	}
	p = objectRecord(fields)
	if err := finish(&p, pos, ""); err != nil {
		return Paper{}, true, err
	}
	return p, true, nil
}
