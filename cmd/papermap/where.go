package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/vectorstore"
)

// whereFlag is the repeatable --where KEY=VALUE flag: a flag.Value that
// reads the command line's syntax into the store's Filter, so that a
// mistake is reported as a usage error of the flag.
//
// Keys are made of ASCII letters, digits, '_', '.' and '-'. Spaces around
// the key and the value are dropped, and one pair of matching quotes
// ("..." or '...') around the value is optional; "==" may be used for "=".
// Giving one key two different values is an error, since no paper could
// match.
type whereFlag struct {
	filter vectorstore.Filter
	exprs  []string
}

func (w *whereFlag) String() string {
	if w == nil {
		return ""
	}
	return strings.Join(w.exprs, ",")
}

func (w *whereFlag) Set(expr string) error {
	k, v, ok := strings.Cut(expr, "=")
	if !ok {
		return fmt.Errorf("want KEY=VALUE, e.g. year=2019")
	}
	k = strings.TrimSpace(k)
	v = strings.TrimSpace(strings.TrimPrefix(v, "="))
	if k == "" {
		return fmt.Errorf("no key before '='")
	}
	if i := strings.IndexFunc(k, func(r rune) bool { return !whereKeyRune(r) }); i >= 0 {
		return fmt.Errorf("key %q has %q; keys are letters, digits, '_', '.' and '-'", k, []rune(k[i:])[0])
	}
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	if old, dup := w.filter[k]; dup && old != v {
		return fmt.Errorf("%s is given twice (%q and %q), and a paper has one value per field", k, old, v)
	}
	if w.filter == nil {
		w.filter = make(vectorstore.Filter)
	}
	w.filter[k] = v
	w.exprs = append(w.exprs, expr)
	return nil
}

func whereKeyRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_' || r == '.' || r == '-'
}

// unknownFieldError is a --where on a field that no stored paper has: the
// filter could only match nothing (or, with an empty value, everything).
type unknownFieldError struct {
	Fields []string // the unknown ones
	Known  []string // the fields stored papers have
}

func (e *unknownFieldError) Error() string {
	return fmt.Sprintf("--where %s: no stored paper has %s; the fields are: %s",
		strings.Join(e.Fields, ", "), plural(len(e.Fields), "this field", "these fields"), strings.Join(e.Known, ", "))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// check returns an unknownFieldError if a key of the filter is a field
// that no paper of cp has.
func (w *whereFlag) check(cp *corpus.Corpus) error {
	if len(w.filter) == 0 {
		return nil
	}
	known := cp.Store().Fields()
	var unknown []string
	for k := range w.filter {
		if _, ok := sort.Find(len(known), func(i int) int { return strings.Compare(k, known[i]) }); !ok {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return &unknownFieldError{Fields: unknown, Known: known}
}
