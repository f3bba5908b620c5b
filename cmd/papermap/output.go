package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal, to choose between a table for
// people and tab-separated rows for programs.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is the width of w if it is a terminal, else 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

// table writes rows aligned for a terminal, or as tab-separated values
// (header included) when the output is not a terminal. The last column is
// cut to fit the terminal width.
type table struct {
	w      io.Writer
	pretty bool
	width  int
	rows   [][]string
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{w: w, pretty: isTerminal(w), width: terminalWidth(w)}
	t.rows = append(t.rows, header)
	return t
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) flush() error {
	if !t.pretty {
		for _, r := range t.rows {
			for i := range r {
				r[i] = tsvCell(r[i])
			}
			if _, err := fmt.Fprintln(t.w, strings.Join(r, "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	// Width taken by every column but the last, to cut the last one.
	widths := make([]int, len(t.rows[0]))
	for _, r := range t.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	used := 0
	for _, w := range widths[:len(widths)-1] {
		used += w + 2
	}
	tw := tabwriter.NewWriter(t.w, 0, 0, 2, ' ', 0)
	for i, r := range t.rows {
		if t.width > 0 && len(r) > 0 && used < t.width-10 {
			r[len(r)-1] = cut(r[len(r)-1], t.width-used-1)
		}
		if i == 0 {
			for j := range r {
				r[j] = strings.ToUpper(r[j])
			}
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// tsvCell keeps a value on one line and free of tabs.
func tsvCell(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// cut shortens s to n runes, marking the cut.
func cut(s string, n int) string {
	if n <= 1 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// writeJSON writes v as one line of JSON. HTML characters are not escaped:
// the output is for programs, not web pages.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
