package textsafe

import "testing"

func TestLine(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "Deep learning for graphs", "Deep learning for graphs"},
		{"empty", "", ""},
		{"white space folded and trimmed", "  A\tB\n\nC \r\n", "A B C"},
		{"right-to-left override", "Invoice \u202Efdp.exe", "Invoice fdp.exe"},
		{"every bidi control", "\u202Aa\u202Bb\u202Cc\u202Dd\u202Ee\u2066f\u2067g\u2068h\u2069i\u200Ej\u200Fk\u061Cl", "abcdefghijkl"},
		{"terminal escape", "red\x1b[31m title\x1b[0m", "red [31m title [0m"},
		{"C1 control", "a\u009Bb", "a b"},
		{"line and paragraph separators", "a\u2028b\u2029c", "a b c"},
		{"zero-width space and BOM", "\uFEFFzero\u200Bwidth", "zerowidth"},
		{"soft hyphen", "hy\u00ADphen", "hyphen"},
		{"tag characters", "flag\U000E0067\U000E0062", "flag"},
		{"joiners kept", "می\u200Cخواهم क्\u200Dष", "می\u200Cخواهم क्\u200Dष"},
		{"non-ASCII kept", "Schrödinger — 量子", "Schrödinger — 量子"},
		{"no-break space folded", "a\u00A0\u00A0b", "a b"},
		{"only controls", "\u202E\x1b\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Line(tc.in); got != tc.want {
				t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLineKeepsCleanTextWithoutAllocating(t *testing.T) {
	s := "A clean title of 2019"
	if n := testing.AllocsPerRun(100, func() { _ = Line(s) }); n != 0 {
		t.Errorf("Line allocated %v times on clean text, want 0", n)
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"a b", "\u202Ex", " \t", "\x1b[0m", "क्\u200Dष"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Line(s)
		if Line(got) != got {
			t.Fatalf("Line(%q) = %q, which Line changes again", s, got)
		}
		for _, r := range got {
			if r == '\u202E' || r == '\x1b' || r == '\n' || r == '\t' {
				t.Fatalf("Line(%q) = %q keeps %U", s, got, r)
			}
		}
	})
}
