package cluster

import (
	"errors"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

func TestCapPerLabel(t *testing.T) {
	labels := make([]int, 1000)
	for i := range labels {
		labels[i] = i % 3
		if i >= 990 {
			labels[i] = 3 // a small label: all of it kept
		}
	}
	got := capPerLabel(labels, 4, 100, 1)
	count := make([]int, 4)
	for i, l := range got {
		if l >= 0 {
			if l != labels[i] {
				t.Fatalf("row %d: label %d became %d", i, labels[i], l)
			}
			count[l]++
		}
	}
	if want := []int{100, 100, 100, 10}; !reflect.DeepEqual(count, want) {
		t.Errorf("kept %v per label, want %v", count, want)
	}
	if !reflect.DeepEqual(got, capPerLabel(labels, 4, 100, 1)) {
		t.Error("the same seed gave another sample")
	}
}

func TestWordForm(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"groups", "group"}, {"group", "group"}, {"equations", "equation"}, {"holes", "hole"},
		{"studies", "study"}, {"processes", "process"}, {"approaches", "approach"}, {"boxes", "box"},
		{"analysis", "analysis"}, {"physics", "physics"}, {"class", "class"}, {"corpus", "corpus"},
		{"series", "series"}, {"bias", "bias"}, {"gas", "gas"}, {"sizes", "size"}, {"curves", "curve"},
		{"gas", "gas"}, {"its", "its"}, {"continuous", "continuous"},
	} {
		if got := WordForm(tc.in); got != tc.want {
			t.Errorf("WordForm(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStripMarkup(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`the $\bar{p} p \to \pi\pi$ decay`, "the   decay"},
		{`a \emph{new} method`, "a   new  method"},
		{`<jats:p>Deep <i>nets</i> &amp; more</jats:p>`, " Deep  nets    more "},
		{`see https://example.org/x for code`, "see   for code"},
		{"plain text stays", "plain text stays"},
	} {
		if got := StripMarkup(tc.in); got != tc.want {
			t.Errorf("StripMarkup(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestKeywordsMergeForms(t *testing.T) {
	docs := [][]string{
		tokens("black holes and black hole entropy"),
		tokens("the black hole horizon of black holes"),
		tokens("groups of group theory"),
		tokens("finite groups and lie groups"),
	}
	kw := Keywords(docs, []int{0, 0, 1, 1}, 2, KeywordOptions{N: 5, Bigrams: true})
	var terms []string
	for _, k := range kw[0] {
		terms = append(terms, k.Term)
	}
	// "black hole" and "black holes" are one term, shown in the spelling
	// used most (a tie: the smaller); "black" and "hole" are in the
	// phrase and so left out.
	if len(terms) == 0 || terms[0] != "black hole" {
		t.Fatalf("cluster 0 keywords %q, want \"black hole\" first", terms)
	}
	for _, w := range terms[1:] {
		if w == "black holes" || w == "black" || w == "hole" || w == "holes" {
			t.Errorf("keywords %q repeat a form of \"black hole\"", terms)
		}
	}
	if l := Label(kw[1], 3); l != "groups" {
		t.Errorf("cluster 1 label %q, want \"groups\" (group and groups are one word)", l)
	}
}

func TestDiversity(t *testing.T) {
	// 2 themes × 2 keywords = 5 words (the phrase counts twice), of which
	// "graph" and "graphs" are one form: 4 distinct of 5.
	got := Diversity([][]string{{"graph", "neural network"}, {"graphs", "dark"}}, 10)
	if math.Abs(got-0.8) > 1e-12 {
		t.Errorf("Diversity = %v, want 0.8", got)
	}
}

func TestNPMI(t *testing.T) {
	// Four one-window documents (window 10 > their length): a and b
	// always together (P(a)=P(b)=P(a,b)=1/2: NPMI 1), c once alone
	// with d never (NPMI(c,d) = -1 as they never co-occur).
	ix := newTermIndex([][]string{{"aa", "bb"}, {"aa", "bb"}, {"cc"}, {"dd"}}, map[string]bool{}, false)
	id := func(w string) int32 { return ix.key[w] }
	got := ix.npmi([][]int32{{id("aa"), id("bb")}, {id("cc"), id("dd")}, {id("aa")}}, 10)
	want := []float64{1, -1, 0}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Errorf("npmi[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	// A sliding window: in "aa x x ... bb" with bb 11 words after aa,
	// no window of 10 holds both.
	ix = newTermIndex([][]string{strings.Fields("aa w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 bb")}, map[string]bool{}, false)
	if v := ix.npmi([][]int32{{ix.key["aa"], ix.key["bb"]}}, 10)[0]; v != -1 {
		t.Errorf("terms 11 words apart: NPMI %v, want -1", v)
	}
}

// themeData is three groups of papers with their own words (one group is
// conference front matter: titles without abstracts) as vectors and texts.
func themeData(n int) (ThemeInput, []int) {
	x, truth := Blobs(n, 16, 3, 10, 1, true, 9)
	words := [][]string{
		{"galaxy", "galaxies", "stars", "redshift", "dark matter", "halo", "survey"},
		{"neural", "networks", "graph", "training", "graph neural networks", "layers", "attention"},
	}
	text := func(i int) string {
		if truth[i] == 2 {
			return []string{"Session details: Keynote address", "Session details: Research track 1", "Session details: Panel"}[i%3]
		}
		w := words[truth[i]]
		var b strings.Builder
		for j := 0; j < 12; j++ {
			b.WriteString(w[(i+j*3)%len(w)])
			b.WriteString(" and $\\bar{p}$ ")
		}
		return b.String()
	}
	tok := func(s string) []string {
		return strings.Fields(strings.ToLower(strings.NewReplacer(":", " ").Replace(s)))
	}
	return ThemeInput{Vectors: x, Text: text, Tokenize: tok}, truth
}

func TestFitThemes(t *testing.T) {
	in, truth := themeData(600)
	m, err := FitThemes(in, ThemeSettings{MinK: 2, Seed: 1, FineK: 12})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Auto || m.K != 3 {
		t.Fatalf("k = %d (auto %v), want 3 chosen", m.K, m.Auto)
	}
	if len(m.Levels) != 2 || m.Chosen != 0 || len(m.Levels[1].Themes) < 6 {
		t.Fatalf("%d levels, chosen %d; want 2 with the chosen one first and at least 6 sub-themes", len(m.Levels), m.Chosen)
	}
	// The chosen level is the three groups, each stable, one flagged
	// boilerplate; no keyword carries TeX.
	_, _, v := VMeasure(truth, m.Levels[0].Labels)
	if v < 0.99 {
		t.Errorf("V-measure of the chosen level %.3f, want ≥ 0.99", v)
	}
	boiler := 0
	for _, th := range m.Levels[0].Themes {
		if th.Stability < 0.9 || th.Unstable {
			t.Errorf("theme %q: stability %.3f", th.Label, th.Stability)
		}
		if th.Boilerplate {
			boiler++
		}
		for _, k := range th.Keywords {
			if strings.Contains(k, "bar") || strings.ContainsAny(k, `$\{}`) {
				t.Errorf("theme %q has markup keyword %q", th.Label, k)
			}
		}
		if len(th.Children) == 0 {
			t.Errorf("theme %q has no sub-themes", th.Label)
		}
	}
	if boiler != 1 {
		t.Errorf("%d boilerplate themes, want 1", boiler)
	}
	// Sibling labels differ; every sub-theme of the front matter is
	// boilerplate too.
	for _, lv := range m.Levels {
		seen := map[[2]any]bool{}
		for _, th := range lv.Themes {
			key := [2]any{th.Parent, th.Label}
			if seen[key] {
				t.Errorf("two sibling themes labelled %q", th.Label)
			}
			seen[key] = true
		}
	}
	for _, th := range m.Levels[1].Themes {
		if m.Levels[0].Themes[th.Parent].Boilerplate && !th.Boilerplate {
			t.Errorf("sub-theme %q of a boilerplate theme is not flagged", th.Label)
		}
	}
	// New papers: a copy of paper 0 goes where paper 0 is, at every level.
	placed := m.Place(gatherRows(in.Vectors, []int{0}))
	for l := range m.Levels {
		if placed[l][0] != m.Levels[l].Labels[0] {
			t.Errorf("level %d: a copy of paper 0 placed in %d, paper 0 is in %d", l, placed[l][0], m.Levels[l].Labels[0])
		}
	}
	if p := m.Project(in.Vectors); p.Rows != 600 || p.Cols != 2 {
		t.Errorf("projection %d×%d", p.Rows, p.Cols)
	}
	// The same input and seed: the same model.
	m2, err := FitThemes(in, ThemeSettings{MinK: 2, Seed: 1, FineK: 12})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Error("the same input and seed gave another model")
	}
}

func TestFitThemesGivenK(t *testing.T) {
	in, _ := themeData(300)
	m, err := FitThemes(in, ThemeSettings{K: 25, Seed: 2, TopMax: 4})
	if err != nil {
		t.Fatal(err)
	}
	// 25 themes is more than TopMax: a broad level above, √25 = 5 capped
	// at 4 themes, whose stability is not measured.
	if m.Auto || m.K != 25 || m.Chosen != 1 || len(m.Levels[0].Themes) > 4 || len(m.Levels[0].Themes) < 2 {
		t.Fatalf("auto %v, k %d, chosen level %d, %d broad themes", m.Auto, m.K, m.Chosen, len(m.Levels[0].Themes))
	}
	for _, th := range m.Levels[0].Themes {
		if th.Stability != -1 {
			t.Errorf("broad theme stability %v, want -1 (not measured)", th.Stability)
		}
	}
	if _, err := FitThemes(in, ThemeSettings{K: 301}); !errors.Is(err, ErrBadOption) {
		t.Errorf("k above n: %v, want ErrBadOption", err)
	}
}

func TestFitThemesRefinesMiniBatch(t *testing.T) {
	// Above MiniBatchRows, the chosen level is mini-batch k-means refined
	// by Lloyd iterations on all rows; the refinement starts from the
	// mini-batch centroids and Lloyd's steps never raise the inertia, so
	// the refined inertia is at most the unrefined one, and on overlapping
	// blobs, where mini-batch k-means stops short of a local minimum,
	// lower.
	x, _ := Blobs(3000, 16, 12, 0.6, 1, true, 4)
	in := ThemeInput{Vectors: x}
	base := ThemeSettings{K: 12, MiniBatchRows: 1000, Neighbors: -1, Seed: 2}
	off := base
	off.RefineIter = -1
	raw, err := FitThemes(in, off)
	if err != nil {
		t.Fatal(err)
	}
	refined, err := FitThemes(in, base)
	if err != nil {
		t.Fatal(err)
	}
	if !raw.MiniBatch || !refined.MiniBatch {
		t.Fatalf("mini-batch %v, %v; want the large-corpus path", raw.MiniBatch, refined.MiniBatch)
	}
	t.Logf("inertia: mini-batch %.4f, refined %.4f", raw.Inertia, refined.Inertia)
	if refined.Inertia >= raw.Inertia {
		t.Errorf("refined inertia %.4f, want below mini-batch's %.4f", refined.Inertia, raw.Inertia)
	}
}

func TestFitThemesOnSample(t *testing.T) {
	// Above FitRows, the themes are fitted on a sample and every other
	// paper is placed: all levels still label every paper, nest, and find
	// the three groups; the same seed gives the same model.
	in, truth := themeData(3000)
	s := ThemeSettings{MinK: 2, Seed: 1, FineK: 24, FitRows: 600}
	m, err := FitThemes(in, s)
	if err != nil {
		t.Fatal(err)
	}
	if m.FitSample != 600 || m.K != 3 || len(m.Levels) != 2 {
		t.Fatalf("fit sample %d, k %d, %d levels; want 600, 3 and 2", m.FitSample, m.K, len(m.Levels))
	}
	for l, lv := range m.Levels {
		size := make([]int, len(lv.Themes))
		for i, c := range lv.Labels {
			if c < 0 || c >= len(lv.Themes) {
				t.Fatalf("level %d: paper %d has theme %d of %d", l, i, c, len(lv.Themes))
			}
			size[c]++
			if l > 0 && lv.Themes[c].Parent != m.Levels[l-1].Labels[i] {
				t.Fatalf("level %d: paper %d is in sub-theme %d of theme %d but in theme %d", l, i, c, lv.Themes[c].Parent, m.Levels[l-1].Labels[i])
			}
		}
		for j, th := range lv.Themes {
			if th.Size != size[j] || th.Size == 0 {
				t.Errorf("level %d theme %d: size %d, %d members", l, j, th.Size, size[j])
			}
		}
	}
	if _, _, v := VMeasure(truth, m.Levels[0].Labels); v < 0.99 {
		t.Errorf("V-measure of the chosen level %.3f, want ≥ 0.99", v)
	}
	m2, err := FitThemes(in, s)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Error("the same input and seed gave another model")
	}
}

func TestFitThemesSampleAgainstAll(t *testing.T) {
	// On overlapping blobs, themes fitted on a sample of a quarter of the
	// rows, the others placed, recover the blobs about as well as themes
	// fitted on all rows (means over 3 seeds; measured 0.564 and 0.570).
	x, truth := Blobs(8000, 16, 10, 0.7, 1, true, 5)
	in := ThemeInput{Vectors: x}
	var vAll, vSample float64
	for seed := uint64(0); seed < 3; seed++ {
		all, err := FitThemes(in, ThemeSettings{K: 10, Seed: seed, FitRows: -1})
		if err != nil {
			t.Fatal(err)
		}
		sample, err := FitThemes(in, ThemeSettings{K: 10, Seed: seed, FitRows: 2000})
		if err != nil {
			t.Fatal(err)
		}
		if all.FitSample != 0 || sample.FitSample != 2000 {
			t.Fatalf("fit samples %d and %d, want 0 and 2000", all.FitSample, sample.FitSample)
		}
		_, _, va := VMeasure(truth, all.Levels[all.Chosen].Labels)
		_, _, vs := VMeasure(truth, sample.Levels[sample.Chosen].Labels)
		t.Logf("seed %d: V-measure all %.4f, sample %.4f", seed, va, vs)
		vAll, vSample = vAll+va/3, vSample+vs/3
	}
	if vSample < vAll-0.01 {
		t.Errorf("mean V-measure on a sample %.4f, on all rows %.4f: more than 0.01 apart", vSample, vAll)
	}
}

func TestPlaceFine(t *testing.T) {
	// Rows 0-3 are sampled: theme 0 has sub-themes 0 (row 0, along x) and
	// 1 (row 1, along y); theme 1 has sub-theme 2 (rows 2, 3). Of the
	// others, row 4 (near y) is in theme 0, row 5 in theme 1, and row 6 in
	// theme 2, which has no sampled row and so becomes sub-theme 3.
	x := blas32.General{Rows: 7, Cols: 2, Stride: 2, Data: []float32{
		1, 0, 0, 1, -1, 0, -1, 0.1,
		0.1, 1, -1, -0.1, 0, -1,
	}}
	pick := []int{0, 1, 2, 3}
	fx := gatherRows(x, pick)
	theme := []int{0, 0, 1, 1, 0, 1, 2}
	got, fk, stab, err := placeFine(denseVectors(x), fx, pick, theme, []int{0, 1, 2, 2}, 3, 3, []float64{0.9, 0.8, 0.7})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2, 2, 1, 2, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("sub-themes %v, want %v", got, want)
	}
	if fk != 4 || !reflect.DeepEqual(stab, []float64{0.9, 0.8, 0.7, 1}) {
		t.Errorf("%d sub-themes, stabilities %v; want 4 and [0.9 0.8 0.7 1]", fk, stab)
	}
}

// scanOf returns a ThemeInput.Scan handing out copies of x's rows in blocks
// of size rows (the last shorter); with failAt ≥ 0 it fails with fail when
// asked for its failAt-th block, counted over all its scans.
func scanOf(x blas32.General, size, failAt int, fail error) func(func(int, blas32.General) error) error {
	blocks := 0
	return func(f func(int, blas32.General) error) error {
		for lo := 0; lo < x.Rows; lo += size {
			if blocks++; failAt >= 0 && blocks > failAt {
				return fail
			}
			idx := make([]int, 0, size)
			for i := lo; i < min(lo+size, x.Rows); i++ {
				idx = append(idx, i)
			}
			if err := f(lo, gatherRows(x, idx)); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestFitThemesScanMatchesMatrix(t *testing.T) {
	// Reading the vectors block by block (ThemeInput.Scan) gives the model
	// of the same vectors in one matrix, bit for bit: on a sample with the
	// others placed, with a broad level grouped above, and on all papers.
	in, _ := themeData(3000)
	for _, tc := range []struct {
		name string
		s    ThemeSettings
	}{
		{"sample, k chosen", ThemeSettings{MinK: 2, Seed: 1, FineK: 24, FitRows: 600}},
		{"sample, broad level", ThemeSettings{K: 25, TopMax: 4, Seed: 3, FitRows: 900}},
		{"all papers", ThemeSettings{K: 3, Seed: 2, FitRows: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := FitThemes(in, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			scan := in
			scan.Vectors = blas32.General{Rows: in.Vectors.Rows, Cols: in.Vectors.Cols}
			scan.Scan = scanOf(in.Vectors, 777, -1, nil)
			got, err := FitThemes(scan, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("scanned: k %d, %d levels, inertia %v; in one matrix: k %d, %d levels, inertia %v", got.K, len(got.Levels), got.Inertia, want.K, len(want.Levels), want.Inertia)
			}
		})
	}
}

func TestFitThemesScanError(t *testing.T) {
	// A scan that fails (a store that cannot be read) fails the fit with
	// its error, whichever pass it fails in: 6 blocks a pass, the first
	// pass checks the values, the second gathers the sample, the third
	// places every paper.
	in, _ := themeData(3000)
	gone := errors.New("disk gone")
	for _, failAt := range []int{0, 2, 8, 14} {
		scan := in
		scan.Vectors = blas32.General{Rows: in.Vectors.Rows, Cols: in.Vectors.Cols}
		scan.Scan = scanOf(in.Vectors, 500, failAt, gone)
		if _, err := FitThemes(scan, ThemeSettings{K: 3, FitRows: 600}); !errors.Is(err, gone) {
			t.Errorf("scan failing from block %d: %v, want the scan's error", failAt, err)
		}
	}
}

func TestFitThemesThreadsDoNotChangeModel(t *testing.T) {
	// The choice of k, the sub-theme splits and the naming's token batches
	// run concurrently on GOMAXPROCS threads; one thread and four give the
	// same model, bit for bit.
	in, _ := themeData(3000)
	s := ThemeSettings{MinK: 2, Seed: 4, FineK: 40, FitRows: 1500} // 3,000 texts: two token batches
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var got []*ThemeModel
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		m, err := FitThemes(in, s)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Errorf("one thread: k %d, inertia %v; four: k %d, inertia %v", got[0].K, got[0].Inertia, got[1].K, got[1].Inertia)
	}
	if len(got[0].Levels) < 2 {
		t.Errorf("%d levels: no sub-themes were split", len(got[0].Levels))
	}
}

func TestFitThemesNotFinite(t *testing.T) {
	// A NaN or an infinity is reported with its row, whether the vectors
	// come in one matrix or scanned in blocks.
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		in, _ := themeData(3000)
		in.Vectors = cloneGeneral(in.Vectors)
		in.Vectors.Data[2345*in.Vectors.Stride+3] = float32(bad)
		scan := in
		scan.Vectors = blas32.General{Rows: in.Vectors.Rows, Cols: in.Vectors.Cols}
		scan.Scan = scanOf(in.Vectors, 1000, -1, nil)
		for name, input := range map[string]ThemeInput{"matrix": in, "scan": scan} {
			_, err := FitThemes(input, ThemeSettings{K: 3, FitRows: 600})
			if !errors.Is(err, ErrNotFinite) || !strings.Contains(err.Error(), "row 2345") {
				t.Errorf("%v, %s: %v, want ErrNotFinite at row 2345", bad, name, err)
			}
		}
	}
}
