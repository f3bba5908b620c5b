package naming_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/papermap/papermap/naming"
)

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Graph Theory", "Graph Theory"},
		{"  graph   theory \n", "graph theory"},
		{"Topic: Graph Theory", "Graph Theory"},
		{"topic label - Graph Theory.", "Graph Theory"},
		{"**Topic:** *Spin Glasses*", "Spin Glasses"},
		{`"Quantum Error Correction"`, "Quantum Error Correction"},
		{"“Dark Matter”", "Dark Matter"},
		{"# Bayesian Inference", "Bayesian Inference"},
		{"- Neural Networks", "Neural Networks"},
		{"1. Neural Networks", "Neural Networks"},
		{"`Monte Carlo`", "Monte Carlo"},
		{"<b>Black Holes</b>", "Black Holes"},
		{`\textbf{Black Holes} $\alpha$`, "Black Holes"},
		{"Graph\x00Theory\x1b[31m", "Graph Theory 31m"},
		{"Graph\u200bTheory", "Graph Theory"},
		{"Topic:\nGraph Theory\nIt is about graphs.", "Graph Theory"},
		{"\n\n\r\nGalaxy Formation\r\n", "Galaxy Formation"},
		{"<think>The documents are about stars...</think>Stellar Evolution", "Stellar Evolution"},
		{"Deep learning methods for the analysis of large graphs and networks", "Deep learning methods for the analysis"},
		{strings.Repeat("Supercalifragilistic ", 5), "Supercalifragilistic Supercalifragilistic"},
		{strings.Repeat("x", 100), strings.Repeat("x", naming.MaxRunes)},
		{"Bayes' Theorem", "Bayes Theorem"},
		{"3D Reconstruction", "3D Reconstruction"},
		{"C++ Compilers", "C++ Compilers"},
		{"", ""},
		{"   \n\t ", ""},
		{"L]*\x05\x11", ""},
		{"!!! ??? ...", ""},
		{"$x^2$", ""},
		{"a", ""},
		{"42 17 99", ""},
		{"%&@ ab #$%^&", "ab"}, // symbols dropped; "ab" passes
		{"\xff\xfe Graph Theory", "Graph Theory"},
	} {
		got := naming.Sanitize(tc.in)
		if got != tc.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzSanitize checks the bounds on any input.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"Graph Theory", "Topic: **x**\ny", "L]*\x05\x11", "<think>a</think>b c", "\\alpha{b}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := naming.Sanitize(in)
		if out == "" {
			return
		}
		if !utf8.ValidString(out) || utf8.RuneCountInString(out) > naming.MaxRunes || len(strings.Fields(out)) > naming.MaxWords {
			t.Fatalf("Sanitize(%q) = %q: over the bounds or invalid UTF-8", in, out)
		}
		if strings.TrimSpace(out) != out || strings.Contains(out, "  ") {
			t.Fatalf("Sanitize(%q) = %q: white space not collapsed", in, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || (unicode.IsSpace(r) && r != ' ') || strings.ContainsRune("*_#`<>\"{}$\\", r) {
				t.Fatalf("Sanitize(%q) = %q: has %q", in, out, r)
			}
		}
		if naming.Sanitize(out) != out {
			t.Fatalf("Sanitize(%q) = %q, but Sanitize of that is %q", in, out, naming.Sanitize(out))
		}
	})
}
