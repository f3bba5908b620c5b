package corpus

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/topicmap"
)

// neighbourBudget bounds the bytes of quantised vectors a map carries for
// in-page nearest-neighbour lookups; the dimension shrinks (by PCA) as the
// corpus grows so that large maps stay a reasonable size.
const neighbourBudget = 6 << 20

// snippetRunes is how much of an abstract a map shows for a paper; large
// maps show less, since snippets are most of an HTML map's size (49 MB of
// a 100,000-paper map at 300 characters, 18 MB without them).
func snippetRunes(n int) int {
	if n > 20000 {
		return 100
	}
	return 300
}

// Map builds the topic map of the stored papers under theme model m: every
// paper at its two-dimensional projection, coloured by theme.
func (c *Corpus) Map(ctx context.Context, m *ThemeModel, title string) (*topicmap.Map, error) {
	ids, data, dim := c.store.Matrix()
	n := len(ids)
	if n == 0 {
		return nil, ErrEmpty
	}
	assign := c.Assignment(m)
	out := &topicmap.Map{Title: title, Points: make([]topicmap.Point, n)}
	xy := project(data, dim, m.Mean, m.Axes)
	for i, id := range ids {
		r, _ := c.store.Get(id)
		y, _ := strconv.Atoi(r.Metadata[keyYear])
		out.Points[i] = topicmap.Point{
			ID:      id,
			Title:   r.Metadata[keyTitle],
			Snippet: truncateRunes(r.Content, snippetRunes(n)),
			URL:     paperURL(r.Metadata),
			X:       xy[2*i],
			Y:       xy[2*i+1],
			Theme:   assign[id],
			Year:    y,
		}
		if out.Points[i].Title == "" {
			out.Points[i].Title = truncateRunes(r.Content, 80)
		}
	}
	for _, t := range c.CurrentThemes(m) {
		tx, ty := labelPosition(out.Points, t.ID)
		out.Themes = append(out.Themes, topicmap.Theme{
			ID: t.ID, Label: t.Label, Keywords: t.Keywords, Size: t.Size, X: tx, Y: ty,
		})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	nb, err := neighbours(data, n, dim, m.Seed)
	if err != nil {
		return nil, err
	}
	out.Neighbors = nb
	return out, nil
}

// project maps row vectors to two dimensions: (x - mean) · axes^T.
// Without a projection (fewer than three papers) everything sits at 0.
func project(data []float32, dim int, mean []float32, axes [][]float32) []float32 {
	n := len(data) / dim
	out := make([]float32, 2*n)
	if len(axes) < 2 || len(mean) != dim {
		return out
	}
	for i := 0; i < n; i++ {
		row := data[i*dim : (i+1)*dim]
		var a, b float32
		for j, v := range row {
			d := v - mean[j]
			a += d * axes[0][j]
			b += d * axes[1][j]
		}
		out[2*i], out[2*i+1] = a, b
	}
	return out
}

// labelPosition puts a theme's label at the coordinate-wise median of its
// members, which stays inside the theme's cloud where a mean may not.
func labelPosition(pts []topicmap.Point, theme int) (float32, float32) {
	var xs, ys []float32
	for _, p := range pts {
		if p.Theme == theme {
			xs = append(xs, p.X)
			ys = append(ys, p.Y)
		}
	}
	if len(xs) == 0 {
		return 0, 0
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	sort.Slice(ys, func(i, j int) bool { return ys[i] < ys[j] })
	return xs[len(xs)/2], ys[len(ys)/2]
}

// neighbours quantises the vectors (reduced by PCA when the corpus is large)
// to int8 with one scale per row, for the HTML map's neighbour panel.
func neighbours(data []float32, n, dim int, seed uint64) (*topicmap.Neighbors, error) {
	d := dim
	if n*d > neighbourBudget {
		d = max(16, neighbourBudget/n)
	}
	vecs := data
	if d < dim && n > d {
		x := blas32.General{Rows: n, Cols: dim, Stride: dim, Data: data}
		pca, err := cluster.FitPCA(x, d, cluster.PCAOptions{Seed: seed})
		if err != nil {
			return nil, fmt.Errorf("reduce vectors for the map: %w", err)
		}
		vecs = pca.Transform(x).Data
	} else {
		d = dim
	}
	nb := &topicmap.Neighbors{Dim: d, Codes: make([]int8, n*d), Scales: make([]float32, n)}
	for i := 0; i < n; i++ {
		row := vecs[i*d : (i+1)*d]
		var m float32
		for _, v := range row {
			m = max(m, float32(math.Abs(float64(v))))
		}
		if m == 0 {
			continue
		}
		scale := m / 127
		nb.Scales[i] = scale
		for j, v := range row {
			nb.Codes[i*d+j] = int8(math.Round(float64(v / scale)))
		}
	}
	return nb, nil
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k] + "…"
		}
		i++
	}
	return s
}

// ReportOptions tunes Report. The zero value is the documented default.
type ReportOptions struct {
	// Central is the number of central papers listed per theme (default 5).
	Central int
	// Outliers is the number of outlier papers listed (default 10).
	Outliers int
	// DuplicateCosine is the similarity above which two papers are listed
	// as near-duplicates (default 0.95).
	DuplicateCosine float64
	// MaxDuplicates bounds the near-duplicate pairs listed (default 50).
	MaxDuplicates int
}

// Report gathers the research report of the stored papers under m: a corpus
// summary, each theme with its central papers and its years, the outliers
// (papers far from every theme centre) and near-duplicate pairs.
func (c *Corpus) Report(ctx context.Context, m *ThemeModel, opts ReportOptions) (*topicmap.Report, error) {
	if opts.Central <= 0 {
		opts.Central = 5
	}
	if opts.Outliers <= 0 {
		opts.Outliers = 10
	}
	if opts.DuplicateCosine == 0 {
		opts.DuplicateCosine = 0.95
	}
	if opts.MaxDuplicates <= 0 {
		opts.MaxDuplicates = 50
	}
	ids, data, dim := c.store.Matrix()
	n := len(ids)
	if n == 0 {
		return nil, ErrEmpty
	}
	info := c.emb.Info()
	r := &topicmap.Report{Title: "papermap report"}
	r.Corpus.Papers = n
	r.Corpus.Embedder, r.Corpus.Model, r.Corpus.Dimensions = info.Backend, info.Model, info.Dimensions
	r.Corpus.Sources = []string{c.store.Dir()}
	for _, ks := range m.KScores {
		r.KScores = append(r.KScores, topicmap.KScore{K: ks.K, Stability: ks.Stability, NullStability: ks.NullStability, Score: ks.Score})
	}
	r.Method = methodText(m)
	lv := m.Levels[m.Chosen]
	r.Quality = topicmap.Quality{Silhouette: m.Silhouette, Diversity: lv.Diversity, Coherence: lv.Coherence}
	r.ChosenLevel = m.Chosen
	for _, level := range m.Hierarchy() {
		var nodes []topicmap.TreeNode
		for _, t := range level {
			nodes = append(nodes, topicmap.TreeNode{ID: t.ID, Label: t.Label, Keywords: t.Keywords, Size: t.Size, Children: t.Children,
				Stability: t.Stability, Unstable: t.Unstable, Boilerplate: t.Boilerplate})
		}
		r.Tree = append(r.Tree, nodes)
	}

	assign := c.Assignment(m)
	themes := c.CurrentThemes(m)
	index := make(map[string]int, n)
	for i, id := range ids {
		index[id] = i
	}
	ref := func(i int, score float64) topicmap.PaperRef {
		rec, _ := c.store.Get(ids[i])
		y, _ := strconv.Atoi(rec.Metadata[keyYear])
		return topicmap.PaperRef{ID: ids[i], Title: rec.Metadata[keyTitle], Year: y, Theme: assign[ids[i]], Score: score}
	}
	// Similarity of each paper to its own theme centre.
	own := make([]float64, n)
	for i, id := range ids {
		own[i] = dot(data[i*dim:(i+1)*dim], m.Centroids[assign[id]])
	}
	for _, y := range yearsOf(c, ids) {
		if y == 0 {
			continue
		}
		if r.Corpus.YearMin == 0 || y < r.Corpus.YearMin {
			r.Corpus.YearMin = y
		}
		r.Corpus.YearMax = max(r.Corpus.YearMax, y)
	}
	for _, t := range themes {
		rt := topicmap.ReportTheme{ID: t.ID, Label: t.Label, Keywords: t.Keywords, Size: t.Size, Years: map[int]int{},
			Stability: t.Stability, Unstable: t.Unstable, Boilerplate: t.Boilerplate, Coherence: t.Coherence}
		members := make([]int, 0, len(t.Members))
		for _, id := range t.Members {
			i := index[id]
			members = append(members, i)
			if y := ref(i, 0).Year; y > 0 {
				rt.Years[y]++
			}
		}
		sort.SliceStable(members, func(a, b int) bool {
			if own[members[a]] != own[members[b]] {
				return own[members[a]] > own[members[b]]
			}
			return ids[members[a]] < ids[members[b]]
		})
		for _, i := range members[:min(opts.Central, len(members))] {
			rt.Central = append(rt.Central, ref(i, own[i]))
		}
		r.Themes = append(r.Themes, rt)
	}

	// Outliers: papers whose best similarity to any theme centre is lowest.
	best := make([]float64, n)
	for i := range ids {
		best[i] = math.Inf(-1)
		for _, cen := range m.Centroids {
			best[i] = math.Max(best[i], dot(data[i*dim:(i+1)*dim], cen))
		}
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		if best[order[a]] != best[order[b]] {
			return best[order[a]] < best[order[b]]
		}
		return ids[order[a]] < ids[order[b]]
	})
	if m.K > 1 {
		for _, i := range order[:min(opts.Outliers, n)] {
			r.Outliers = append(r.Outliers, ref(i, best[i]))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var dups []pair
	if n > largeCorpus {
		// All pairs within each theme is n²/k dot products: days at a
		// million papers. Each paper's nearest neighbours hold its
		// near-duplicates (up to duplicateNeighbors of them).
		nbrs, err := cluster.KNN{K: duplicateNeighbors, Seed: m.Seed}.Search(blas32.General{Rows: n, Cols: dim, Stride: dim, Data: data})
		if err != nil {
			return nil, fmt.Errorf("find near-duplicates: %w", err)
		}
		dups = neighbourPairs(data, dim, nbrs, duplicateNeighbors, opts.DuplicateCosine)
	} else {
		// Near-duplicates are looked for within each theme: two papers
		// that similar share a theme, and it keeps the work near n²/k.
		for _, t := range themes {
			members := make([]int, len(t.Members))
			for j, id := range t.Members {
				members[j] = index[id]
			}
			dups = append(dups, similarPairs(data, dim, members, opts.DuplicateCosine)...)
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	// Rows are in ID order, so comparing indices compares IDs.
	sort.Slice(dups, func(a, b int) bool {
		pa, pb := dups[a], dups[b]
		if pa.cos != pb.cos {
			return pa.cos > pb.cos
		}
		if pa.a != pb.a {
			return pa.a < pb.a
		}
		return pa.b < pb.b
	})
	for _, p := range dups[:min(len(dups), opts.MaxDuplicates)] {
		r.NearDuplicates = append(r.NearDuplicates, topicmap.DuplicatePair{A: ref(p.a, 0), B: ref(p.b, 0), Cosine: p.cos})
	}
	return r, nil
}

// largeCorpus is the number of papers above which the report looks for
// near-duplicates among each paper's nearest neighbours rather than among
// all pairs within each theme (n²/k dot products: days at a million
// papers). A variable so that tests can lower it.
var largeCorpus = 50_000

// duplicateNeighbors is how many nearest neighbours of each paper a large
// corpus's report looks among for near-duplicates.
const duplicateNeighbors = 10

// neighbourPairs returns, once each, the pairs (a < b) of a row and one of
// its k neighbours (nbrs as cluster.KNN.Search returns them) whose cosine
// is at least threshold.
func neighbourPairs(data []float32, dim int, nbrs []int32, k int, threshold float64) []pair {
	var out []pair
	for i := 0; i < len(nbrs)/k; i++ {
		for _, j32 := range nbrs[i*k : (i+1)*k] {
			j := int(j32)
			if j < 0 {
				continue
			}
			s := dot(data[i*dim:(i+1)*dim], data[j*dim:(j+1)*dim])
			if s < threshold {
				continue
			}
			out = append(out, pair{a: min(i, j), b: max(i, j), cos: s})
		}
	}
	// A pair found from both sides is kept once.
	sort.Slice(out, func(x, y int) bool {
		if out[x].a != out[y].a {
			return out[x].a < out[y].a
		}
		return out[x].b < out[y].b
	})
	return slices.CompactFunc(out, func(x, y pair) bool { return x.a == y.a && x.b == y.b })
}

func methodText(m *ThemeModel) string {
	how := fmt.Sprintf("k = %d was given", m.K)
	if m.Auto {
		how = fmt.Sprintf("k = %d was chosen among the %d values tried as the k whose partitions are the most stable across subsamples "+
			"beyond those of data without clusters (table below)", m.K, len(m.KScores))
	}
	tree := ""
	if len(m.Levels) > 1 {
		sizes := make([]string, len(m.Levels))
		for l, lv := range m.Levels {
			sizes[l] = strconv.Itoa(len(lv.Themes))
		}
		tree = fmt.Sprintf(" The themes form a hierarchy of %d levels (%s themes, broadest first); each theme of level %d is split into sub-themes by k-means within it.",
			len(m.Levels), strings.Join(sizes, ", "), m.Chosen+1)
	}
	return fmt.Sprintf("Papers were embedded with the %s embedder (%s, %d dimensions) and grouped by spherical k-means "+
		"(cosine geometry, k-means++ seeding, seed %d); %s.%s Each theme is named from its most distinctive words "+
		"(each word's share among the theme's words against its share in the corpus or the parent theme, p·ln(p/q)); "+
		"its central papers are those nearest its centre. Stability is the mean best-match Jaccard index of a theme across "+
		"k-means fits on subsamples; below 0.5 a theme is marked unstable. The map projects the vectors onto their first two principal components.",
		m.Embedder.Backend, m.Embedder.Model, m.Embedder.Dimensions, m.Seed, how, tree)
}

func yearsOf(c *Corpus, ids []string) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = c.YearOf(id)
	}
	return out
}

func dot(a, b []float32) float64 {
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}

type pair struct {
	a, b int
	cos  float64
}

// similarPairs returns the pairs among rows (indices into data) whose cosine
// is at least threshold, computing the Gram matrix in blocks.
func similarPairs(data []float32, dim int, rows []int, threshold float64) []pair {
	const block = 512
	var out []pair
	gather := func(idx []int) blas32.General {
		g := blas32.General{Rows: len(idx), Cols: dim, Stride: dim, Data: make([]float32, len(idx)*dim)}
		for j, i := range idx {
			copy(g.Data[j*dim:], data[i*dim:(i+1)*dim])
		}
		return g
	}
	for a := 0; a < len(rows); a += block {
		ra := rows[a:min(a+block, len(rows))]
		ga := gather(ra)
		for b := a; b < len(rows); b += block {
			rb := rows[b:min(b+block, len(rows))]
			gb := gather(rb)
			gram := blas32.General{Rows: len(ra), Cols: len(rb), Stride: len(rb), Data: make([]float32, len(ra)*len(rb))}
			blas32.Gemm(blas.NoTrans, blas.Trans, 1, ga, gb, 0, gram)
			for i := range ra {
				for j := range rb {
					if b == a && j <= i {
						continue
					}
					if s := float64(gram.Data[i*len(rb)+j]); s >= threshold {
						p := pair{a: ra[i], b: rb[j], cos: s}
						if p.a > p.b {
							p.a, p.b = p.b, p.a
						}
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}

// paperURL is where a reader finds the paper: its URL, else its DOI.
func paperURL(md map[string]string) string {
	if u := md[keyURL]; u != "" {
		return u
	}
	if d := md[keyDOI]; d != "" {
		return "https://doi.org/" + d
	}
	return ""
}
