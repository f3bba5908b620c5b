package topicmap

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	"gonum.org/v1/gonum/mat"
)

// hostileTitles are titles and abstracts that try to inject markup or
// script into every output format.
var hostileTitles = []string{
	`<script>alert(1)</script>`,
	`</script><script>window.__pwned=1</script>`,
	`<img src=x onerror="window.__pwned=2">`,
	`javascript:alert(1)`,
	`Quotes "double" and 'single' & ampersands | pipes [brackets] ` + "`ticks`",
	`# Heading injection <!-- comment`,
}

var fixtureWords = strings.Fields(`graph neural network protein folding galaxy cluster quantum spin
	lattice gauge theory language model retrieval ranking dark matter supernova bayesian inference
	sparse coding vision transformer reinforcement policy gradient robot grasping traffic flow
	topology manifold spectral clustering kernel method privacy federated learning genome sequencing
	black hole accretion disk turbulence fluid plasma superconductivity magnet phonon catalysis`)

// syntheticMap returns a seeded map of n papers in k Gaussian clusters
// (about 4% in no theme), with years, snippets, and 48-dimensional
// neighbour vectors built from the cluster centres plus noise.
func syntheticMap(n, k int, seed uint64) *Map {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	const dim = 48
	m := &Map{Title: fmt.Sprintf("Synthetic map: %d papers, %d themes", n, k)}
	centres := make([][2]float64, k)
	dirs := make([][]float64, k)
	for t := range k {
		a := 2 * math.Pi * float64(t) / float64(k)
		rad := 6 + 4*rng.Float64()
		centres[t] = [2]float64{rad * math.Cos(a), rad * math.Sin(a)}
		dirs[t] = make([]float64, dim)
		for j := range dirs[t] {
			dirs[t][j] = rng.NormFloat64()
		}
		w1 := fixtureWords[rng.IntN(len(fixtureWords))]
		w2 := fixtureWords[rng.IntN(len(fixtureWords))]
		w3 := fixtureWords[rng.IntN(len(fixtureWords))]
		m.Themes = append(m.Themes, Theme{
			ID:       t,
			Label:    w1 + " " + w2 + " " + w3,
			Keywords: []string{w1, w2, w3, fixtureWords[rng.IntN(len(fixtureWords))]},
			X:        float32(centres[t][0]),
			Y:        float32(centres[t][1]),
		})
	}
	vecs := make([][]float32, n)
	for i := range n {
		t := rng.IntN(k)
		if rng.Float64() < 0.04 {
			t = -1
		}
		var x, y float64
		v := make([]float32, dim)
		if t >= 0 {
			m.Themes[t].Size++
			x = centres[t][0] + 1.6*rng.NormFloat64()
			y = centres[t][1] + 1.6*rng.NormFloat64()
			for j := range v {
				v[j] = float32(dirs[t][j] + 0.8*rng.NormFloat64())
			}
		} else {
			x, y = 24*rng.Float64()-12, 24*rng.Float64()-12
			for j := range v {
				v[j] = float32(rng.NormFloat64())
			}
		}
		vecs[i] = v
		var title strings.Builder
		fmt.Fprintf(&title, "Paper %d:", i)
		for range 3 + rng.IntN(5) {
			title.WriteString(" " + fixtureWords[rng.IntN(len(fixtureWords))])
		}
		var snip strings.Builder
		for snip.Len() < 300 {
			snip.WriteString(fixtureWords[rng.IntN(len(fixtureWords))] + " ")
		}
		m.Points = append(m.Points, Point{
			ID:      fmt.Sprintf("syn-%06d", i),
			Title:   title.String(),
			Snippet: snip.String(),
			URL:     fmt.Sprintf("https://example.org/abs/%d", i),
			X:       float32(x),
			Y:       float32(y),
			Theme:   t,
			Year:    1995 + rng.IntN(30),
		})
	}
	nb, err := QuantizeNeighbors(vecs)
	if err != nil {
		panic(err)
	}
	m.Neighbors = nb
	return m
}

// withHostile appends papers whose titles, snippets and URLs are the
// hostileTitles, next to theme 0's label, and returns their indices.
func withHostile(m *Map) []int {
	var idx []int
	for i, h := range hostileTitles {
		idx = append(idx, len(m.Points))
		m.Points = append(m.Points, Point{
			ID:      fmt.Sprintf("hostile-%d", i),
			Title:   h,
			Snippet: h + " " + hostileTitles[(i+1)%len(hostileTitles)],
			URL:     "javascript:alert(1)",
			X:       m.Themes[0].X + float32(i)*0.9,
			Y:       m.Themes[0].Y - 3,
			Theme:   0,
			Year:    2020,
		})
		m.Themes[0].Size++
	}
	if nb := m.Neighbors; nb != nil {
		for range hostileTitles {
			nb.Codes = append(nb.Codes, nb.Codes[:nb.Dim]...)
			nb.Scales = append(nb.Scales, nb.Scales[0])
		}
	}
	m.Themes[1].Label = `<b>bold</b> & "quoted" </script>`
	return idx
}

var stopwords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`the and for with that this from are our which these their have has
		been can also such than into more not but its both each other over via when while where what
		how all any new use using used based show shows propose proposed method methods approach paper
		results result existing work however large first two one well across between within without
		under only most many further then there they them data model models task tasks performance
		achieve achieves state art different multiple various novel efficient effective significantly
		demonstrate experiments extensive code available https github com project page`) {
		stopwords[w] = true
	}
}

// seedMap builds a map of the 66-paper seed corpus
// (testdata/seed-abstracts.txt) the way papermap would, in miniature:
// TF-IDF, PCA for the coordinates and the neighbour vectors, spherical
// k-means (k = 6, seeded) for the themes, and the most distinctive terms of
// each theme as its label.
func seedMap(tb testing.TB) *Map {
	tb.Helper()
	f, err := os.Open("../testdata/seed-abstracts.txt")
	if err != nil {
		tb.Skipf("seed corpus not available: %v", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			lines = append(lines, s)
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	lines = lines[2:] // two lines of page header
	type doc struct{ title, abstract string }
	var docs []doc
	for i := 0; i+1 < len(lines); i += 2 {
		docs = append(docs, doc{strings.TrimPrefix(lines[i], "Subscribe"), lines[i+1]})
	}

	tokens := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
	}
	df := map[string]int{}
	tfs := make([]map[string]float64, len(docs))
	for i, d := range docs {
		tfs[i] = map[string]float64{}
		for _, w := range tokens(d.title + " " + d.title + " " + d.abstract) {
			if len(w) < 3 || stopwords[w] {
				continue
			}
			tfs[i][w]++
		}
		for w := range tfs[i] {
			df[w]++
		}
	}
	var vocab []string
	for w, c := range df {
		if c >= 2 && c < len(docs)/2 {
			vocab = append(vocab, w)
		}
	}
	slices.Sort(vocab)
	col := map[string]int{}
	for j, w := range vocab {
		col[w] = j
	}
	X := mat.NewDense(len(docs), len(vocab), nil)
	for i := range docs {
		var norm float64
		for w, tf := range tfs[i] {
			j, ok := col[w]
			if !ok {
				continue
			}
			v := (1 + math.Log(tf)) * math.Log(float64(len(docs))/float64(df[w]))
			X.Set(i, j, v)
			norm += v * v
		}
		if norm > 0 {
			row := X.RawRowView(i)
			for j := range row {
				row[j] /= math.Sqrt(norm)
			}
		}
	}
	// PCA by SVD of the centred matrix.
	r, c := X.Dims()
	C := mat.DenseCopyOf(X)
	for j := range c {
		var mean float64
		for i := range r {
			mean += C.At(i, j)
		}
		mean /= float64(r)
		for i := range r {
			C.Set(i, j, C.At(i, j)-mean)
		}
	}
	var svd mat.SVD
	if !svd.Factorize(C, mat.SVDThin) {
		tb.Fatal("svd failed")
	}
	var u mat.Dense
	svd.UTo(&u)
	vals := svd.Values(nil)
	const nbDim = 32
	proj := make([][]float64, r)
	for i := range r {
		proj[i] = make([]float64, nbDim)
		for j := range nbDim {
			proj[i][j] = u.At(i, j) * vals[j]
		}
	}

	// Spherical k-means on the TF-IDF rows, k-means++ seeded.
	const k = 6
	rng := rand.New(rand.NewPCG(7, 7))
	rows := make([][]float64, r)
	for i := range r {
		rows[i] = X.RawRowView(i)
	}
	dot := func(a, b []float64) float64 {
		var s float64
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	cents := [][]float64{slices.Clone(rows[rng.IntN(r)])}
	for len(cents) < k {
		d := make([]float64, r)
		var sum float64
		for i := range r {
			best := math.Inf(1)
			for _, ct := range cents {
				best = min(best, 1-dot(rows[i], ct))
			}
			d[i] = best * best
			sum += d[i]
		}
		x := rng.Float64() * sum
		pick := r - 1
		for i := range r {
			if x -= d[i]; x <= 0 {
				pick = i
				break
			}
		}
		cents = append(cents, slices.Clone(rows[pick]))
	}
	assign := make([]int, r)
	for range 50 {
		for i := range r {
			best, bi := -2.0, 0
			for t, ct := range cents {
				if s := dot(rows[i], ct); s > best {
					best, bi = s, t
				}
			}
			assign[i] = bi
		}
		for t := range cents {
			sum := make([]float64, c)
			for i := range r {
				if assign[i] == t {
					for j := range sum {
						sum[j] += rows[i][j]
					}
				}
			}
			norm := math.Sqrt(dot(sum, sum))
			if norm > 0 {
				for j := range sum {
					sum[j] /= norm
				}
				cents[t] = sum
			}
		}
	}

	m := &Map{Title: "Seed corpus: 66 trending papers"}
	overall := make([]float64, c)
	for i := range r {
		for j := range c {
			overall[j] += rows[i][j] / float64(r)
		}
	}
	for t := range k {
		score := make([]float64, c)
		var members []int
		for i := range r {
			if assign[i] == t {
				members = append(members, i)
				for j := range c {
					score[j] += rows[i][j]
				}
			}
		}
		if len(members) == 0 {
			continue
		}
		terms := make([]int, c)
		for j := range terms {
			terms[j] = j
			score[j] = score[j]/float64(len(members)) - overall[j]
		}
		slices.SortFunc(terms, func(a, b int) int { return cmp.Or(cmp.Compare(score[b], score[a]), cmp.Compare(a, b)) })
		var kw []string
		for _, j := range terms[:6] {
			kw = append(kw, vocab[j])
		}
		// Label position: the member nearest the centroid.
		best, bi := -2.0, members[0]
		for _, i := range members {
			if s := dot(rows[i], cents[t]); s > best {
				best, bi = s, i
			}
		}
		m.Themes = append(m.Themes, Theme{
			ID: len(m.Themes), Label: strings.Join(kw[:3], " · "), Keywords: kw, Size: len(members),
			X: float32(proj[bi][0]), Y: float32(proj[bi][1]),
		})
		for _, i := range members {
			assign[i] = -(len(m.Themes)) // remember the new index, negated
		}
	}
	vecs := make([][]float32, r)
	for i, d := range docs {
		snip := []rune(d.abstract)
		if len(snip) > 300 {
			snip = snip[:300]
		}
		vecs[i] = make([]float32, nbDim)
		for j := range nbDim {
			vecs[i][j] = float32(proj[i][j])
		}
		m.Points = append(m.Points, Point{
			ID:      fmt.Sprintf("seed-%02d", i),
			Title:   d.title,
			Snippet: string(snip),
			X:       float32(proj[i][0]),
			Y:       float32(proj[i][1]),
			Theme:   -assign[i] - 1,
		})
	}
	nb, err := QuantizeNeighbors(vecs)
	if err != nil {
		tb.Fatal(err)
	}
	m.Neighbors = nb
	return m
}

// sampleReport builds a report about m as the CLI would, from the map's
// own data: central papers are each theme's first members, outliers and
// duplicates are taken from the hostile papers when m has them, so every
// field carries hostile text.
func sampleReport(m *Map, embed bool) *Report {
	r := &Report{
		Title:   m.Title,
		Method:  "Spherical k-means (k-means++ seeding, 4 restarts, seed 1) on 48-dimensional vectors; k = 12 chosen by the best mean silhouette of k = 8..14. <b>not bold</b> | pipe",
		KScores: []KScore{{14, 0.601, 0.2, 0.401}, {8, 0.712, 0.3, 0.412}, {12, 0.643, 0.25, 0.393}, {10, 0.728, 0.27, 0.458}},
		Corpus: CorpusInfo{
			Papers: len(m.Points), Embedder: "lexical", Model: "lsa-256 <i>", Dimensions: 256,
			YearMin: 1995, YearMax: 2024, Sources: []string{"testdata/arxiv.jsonl", "refs|odd.bib"},
		},
		MapHTML: "map (final).html",
	}
	if embed {
		r.EmbedMap = m
	}
	for ti, t := range m.Themes {
		rt := ReportTheme{ID: t.ID, Label: t.Label, Keywords: t.Keywords, Size: t.Size, Years: map[int]int{}}
		for _, p := range m.Points {
			if p.Theme != ti {
				continue
			}
			rt.Years[p.Year]++
			if len(rt.Central) < 3 {
				rt.Central = append(rt.Central, PaperRef{ID: p.ID, Title: p.Title, Year: p.Year, Theme: t.ID, Score: 0.9 - 0.05*float64(len(rt.Central))})
			}
		}
		r.Themes = append(r.Themes, rt)
	}
	// A two-level tree: the themes, in pairs under broad themes whose
	// labels are hostile too; the first theme is boilerplate, the last
	// unstable.
	r.Quality = Quality{Silhouette: 0.052, Diversity: 0.81, Coherence: 0.11}
	r.ChosenLevel = 1
	var top, fine []TreeNode
	for i, t := range r.Themes {
		r.Themes[i].Stability = 0.9 - 0.05*float64(i)
		r.Themes[i].Coherence = 0.1
		if i%2 == 0 {
			top = append(top, TreeNode{ID: len(top), Label: "broad <b>" + t.Label + "</b> | x", Stability: -1})
		}
		p := &top[len(top)-1]
		p.Children = append(p.Children, i)
		p.Size += t.Size
		fine = append(fine, TreeNode{ID: t.ID, Label: t.Label, Keywords: t.Keywords, Size: t.Size, Stability: r.Themes[i].Stability})
	}
	if n := len(r.Themes); n > 1 {
		r.Themes[0].Boilerplate, fine[0].Boilerplate = true, true
		r.Themes[n-1].Stability, fine[n-1].Stability = 0.3, 0.3
		r.Themes[n-1].Unstable, fine[n-1].Unstable = true, true
	}
	r.Tree = [][]TreeNode{top, fine}
	for i := len(m.Points) - 1; i >= 0 && len(r.Outliers) < 6; i-- {
		p := m.Points[i]
		th := -1
		if p.Theme >= 0 {
			th = m.Themes[p.Theme].ID
		}
		r.Outliers = append(r.Outliers, PaperRef{ID: p.ID, Title: p.Title, Year: p.Year, Theme: th, Score: 0.1 + 0.01*float64(len(r.Outliers))})
	}
	for i := 0; i+1 < len(r.Outliers); i += 2 {
		r.NearDuplicates = append(r.NearDuplicates, DuplicatePair{A: r.Outliers[i], B: r.Outliers[i+1], Cosine: 0.99})
	}
	return r
}

// arxivHierMap reads testdata/arxiv-2000-hier-map.json, the map papermap
// drew of the same 2,000 arXiv papers with its theme hierarchy (`papermap
// analyze` then `papermap map -o FILE.json`: lexical vectors, k = 6 chosen
// automatically, 32 sub-themes below them, t-SNE layout): every level's
// themes with their level and parent, each paper in its finest theme.
func arxivHierMap(tb testing.TB) *Map {
	tb.Helper()
	b, err := os.ReadFile("testdata/arxiv-2000-hier-map.json")
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Title      string
		ThemeLevel int `json:"theme_level"`
		Papers     []struct {
			ID     string
			X, Y   float32
			Themes []int
			Title  string
		}
		Themes []struct {
			ID       int
			Label    string
			Keywords []string
			Size     int
			X, Y     float32
			Level    int
			Parent   *int
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	m := &Map{Title: doc.Title, Layout: "tsne", ThemeLevel: doc.ThemeLevel}
	type key struct{ level, id int }
	index := map[key]int{}
	for i, t := range doc.Themes {
		index[key{t.Level, t.ID}] = i
		th := Theme{ID: t.ID, Label: t.Label, Keywords: t.Keywords, Size: t.Size, X: t.X, Y: t.Y, Level: t.Level}
		if t.Parent != nil {
			th.Parent = index[key{t.Level - 1, *t.Parent}]
		}
		m.Themes = append(m.Themes, th)
	}
	for _, p := range doc.Papers {
		th := -1
		if l := len(p.Themes) - 1; l >= 0 {
			th = index[key{l, p.Themes[l]}]
		}
		m.Points = append(m.Points, Point{ID: p.ID, Title: p.Title, X: p.X, Y: p.Y, Theme: th})
	}
	if err := m.Validate(); err != nil {
		tb.Fatal(err)
	}
	return m
}

// arxivMap reads testdata/arxiv-2000-map.json, the map papermap drew of
// the 2,000 arXiv papers of testdata/arxiv-2007-04-2000.jsonl
// (`papermap ingest` then `papermap map -o FILE.json`: lexical vectors,
// 30 themes chosen automatically, UMAP layout), with the papers' archive as
// a field. With broad set, it adds a level of broad themes above the 30, as
// a theme hierarchy would: the themes grouped by k-means (k = 6) on their
// label positions, each broad theme at its members' median.
func arxivMap(tb testing.TB, broad bool) *Map {
	tb.Helper()
	b, err := os.ReadFile("testdata/arxiv-2000-map.json")
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Title  string
		Papers []struct {
			ID     string
			X, Y   float32
			Theme  *int
			Title  string
			Fields map[string]string
		}
		Themes []struct {
			ID       int
			Label    string
			Keywords []string
			Size     int
			X, Y     float32
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	m := &Map{Title: "arXiv 2007-04: 2,000 papers", Layout: "umap"}
	index := map[int]int{}
	for i, t := range doc.Themes {
		index[t.ID] = i
		m.Themes = append(m.Themes, Theme{ID: t.ID, Label: t.Label, Keywords: t.Keywords, Size: t.Size, X: t.X, Y: t.Y})
	}
	archive := Field{Name: "archive"}
	values := map[string]int32{}
	for _, p := range doc.Papers {
		th := -1
		if p.Theme != nil {
			th = index[*p.Theme]
		}
		m.Points = append(m.Points, Point{ID: p.ID, Title: p.Title, X: p.X, Y: p.Y, Theme: th})
		v, ok := values[p.Fields["archive"]]
		if !ok {
			v = int32(len(archive.Values))
			values[p.Fields["archive"]] = v
			archive.Values = append(archive.Values, p.Fields["archive"])
		}
		archive.Of = append(archive.Of, v)
	}
	m.Fields = []Field{archive}
	if !broad {
		return m
	}
	const kb = 6
	k := len(m.Themes)
	cx, cy := make([]float32, kb), make([]float32, kb)
	for g := range kb {
		cx[g], cy[g] = m.Themes[g*k/kb].X, m.Themes[g*k/kb].Y
	}
	group := make([]int, k)
	for range 20 {
		for i, t := range m.Themes {
			best := math.Inf(1)
			for g := range kb {
				if d := math.Hypot(float64(t.X-cx[g]), float64(t.Y-cy[g])); d < best {
					best, group[i] = d, g
				}
			}
		}
		for g := range kb {
			var sx, sy, n float32
			for i, t := range m.Themes {
				if group[i] == g {
					sx, sy, n = sx+t.X, sy+t.Y, n+1
				}
			}
			if n > 0 {
				cx[g], cy[g] = sx/n, sy/n
			}
		}
	}
	for g := range kb {
		var words []string
		size := 0
		for i, t := range m.Themes[:k] {
			if group[i] == g {
				size += t.Size
				if len(words) < 3 && len(t.Keywords) > 0 {
					words = append(words, t.Keywords[0])
				}
			}
		}
		m.Themes = append(m.Themes, Theme{ID: 100 + g, Label: "broad: " + strings.Join(words, ", "), Size: size})
	}
	for i := range k {
		m.Themes[i].Level, m.Themes[i].Parent = 1, k+group[i]
	}
	m.LabelPositions()
	if err := m.Validate(); err != nil {
		tb.Fatal(err)
	}
	return m
}
