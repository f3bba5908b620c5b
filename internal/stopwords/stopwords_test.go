package stopwords

import (
	"slices"
	"testing"
)

// TestEnglish checks the list against the facts stated for it: scikit-learn
// 1.2.1's ENGLISH_STOP_WORDS has 318 distinct lower-case words
// (len(sklearn.feature_extraction.text.ENGLISH_STOP_WORDS) == 318).
func TestEnglish(t *testing.T) {
	w := English()
	if len(w) != 318 {
		t.Errorf("len = %d, want 318", len(w))
	}
	if !slices.IsSorted(w) {
		t.Error("not sorted")
	}
	if len(slices.Compact(slices.Clone(w))) != len(w) {
		t.Error("has duplicates")
	}
	for _, s := range []string{"the", "and", "yourselves", "amoungst"} {
		if _, ok := slices.BinarySearch(w, s); !ok {
			t.Errorf("%q missing", s)
		}
	}
	w[0] = "changed"
	if English()[0] != "a" {
		t.Error("English returns the package's own slice, not a copy")
	}
}
