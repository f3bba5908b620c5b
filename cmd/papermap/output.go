package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/papermap/papermap/internal/textsafe"
)

// Terminal says which of the program's output streams are terminals and
// how wide they are, instead of asking the operating system: the override
// cli/cli's iostreams offers (SetStdoutTTY), so that tests, and scripts that
// read papermap through a pipe, get what a person at a terminal sees.
//
// Without it, Main asks $PAPERMAP_FORCE_TTY (see forcedTerminal), then the
// operating system about streams that are files.
type Terminal struct {
	Stdout, Stderr bool // whether each stream is a terminal
	Width          int  // columns of a terminal; 0 means defaultWidth
}

// defaultWidth is the width of a terminal whose size is not known.
const defaultWidth = 80

// forceTTYEnv names the environment variable that forces terminal output.
const forceTTYEnv = "PAPERMAP_FORCE_TTY"

// forcedTerminal reads $PAPERMAP_FORCE_TTY as cli/cli reads GH_FORCE_TTY:
// empty, "0" or "false" force nothing; a number of columns, or any other
// value (then defaultWidth columns), makes stdout and stderr terminals.
func forcedTerminal(v string) (Terminal, bool) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "0", "false", "no":
		return Terminal{}, false
	}
	t := Terminal{Stdout: true, Stderr: true, Width: defaultWidth}
	if n, err := strconv.Atoi(v); err == nil && n > 1 {
		t.Width = n
	}
	return t, true
}

// stream is an output stream with what is known of it: the writer every
// command is given, so that tables and progress bars ask it, not the OS.
type stream struct {
	io.Writer
	tty   bool
	width int
}

// streams wraps m.Stdout and m.Stderr once, deciding whether each is a
// terminal: m.Terminal, else $PAPERMAP_FORCE_TTY, else the OS.
func (m *Main) streams() {
	if _, done := m.Stdout.(*stream); done {
		return
	}
	t := m.Terminal
	if t == nil {
		if f, ok := forcedTerminal(m.Getenv(forceTTYEnv)); ok {
			t = &f
		}
	}
	wrap := func(w io.Writer, forced bool) *stream {
		if t != nil {
			return &stream{Writer: w, tty: forced, width: cmp.Or(t.Width, defaultWidth)}
		}
		f, ok := w.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return &stream{Writer: w}
		}
		width, _, err := term.GetSize(int(f.Fd()))
		if err != nil || width <= 0 {
			width = defaultWidth
		}
		return &stream{Writer: w, tty: true, width: width}
	}
	stdout, stderr := false, false
	if t != nil {
		stdout, stderr = t.Stdout, t.Stderr
	}
	m.Stdout, m.Stderr = wrap(m.Stdout, stdout), wrap(m.Stderr, stderr)
}

// isTerminal reports whether w is a terminal, to choose between a table for
// people and tab-separated rows for programs. Only the streams Main gives
// its commands can be terminals.
func isTerminal(w io.Writer) bool {
	s, ok := w.(*stream)
	return ok && s.tty
}

// terminalWidth is the width of w if it is a terminal, else 0.
func terminalWidth(w io.Writer) int {
	if s, ok := w.(*stream); ok && s.tty {
		return s.width
	}
	return 0
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

// add appends a row. Cells are made one line of plain text (textsafe.Line):
// a title's tabs or newlines cannot break the rows, nor its bidi controls
// or escape sequences change what the terminal shows.
func (t *table) add(cells ...string) {
	for i, c := range cells {
		cells[i] = textsafe.Line(c)
	}
	t.rows = append(t.rows, cells)
}

func (t *table) flush() error {
	if !t.pretty {
		for _, r := range t.rows {
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
