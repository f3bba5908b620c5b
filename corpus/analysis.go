package corpus

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/topicmap"
	"github.com/papermap/papermap/topicmap/layout"
	"github.com/papermap/papermap/vectorstore"
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

// Layouts lists the map layouts MapOptions.Layout accepts; the first is the
// default.
var Layouts = []string{LayoutAuto, LayoutTSNE, LayoutUMAP, LayoutPCA}

// Map layouts.
const (
	// LayoutAuto is t-SNE or UMAP by the number of papers
	// (topicmap/layout.DefaultMethod); the map records which.
	LayoutAuto = "auto"
	// LayoutTSNE places papers so that neighbours in the embedding space
	// stay neighbours on the map, by Barnes-Hut t-SNE (topicmap/layout.TSNE).
	LayoutTSNE = layout.MethodTSNE
	// LayoutUMAP does so by UMAP (topicmap/layout.UMAP), in time linear in
	// the number of papers.
	LayoutUMAP = layout.MethodUMAP
	// LayoutPCA places papers on the first two principal components of
	// the vectors (the theme model's projection).
	LayoutPCA = "pca"
)

// MapOptions tunes Map. The zero value is the default.
type MapOptions struct {
	// Title is drawn above the map.
	Title string
	// Layout is one of Layouts; "" means LayoutAuto.
	Layout string
}

// Map builds the topic map of the stored papers under theme model m: every
// paper placed by the layout and coloured by theme, with categorical
// metadata fields to colour by. The map holds every level of m's theme
// hierarchy (Theme.Level 0 the broadest, Parent the broader theme), each
// point in its finest theme, and ThemeLevel is m's chosen level. A t-SNE or UMAP layout saved in the store is reused:
// its papers keep their places and papers added since are placed from their
// neighbours (layout.Place); a writable corpus saves a newly computed one.
func (c *Corpus) Map(ctx context.Context, m *ThemeModel, opts MapOptions) (*topicmap.Map, error) {
	if m.Reembedded {
		return nil, ErrThemesReembedded
	}
	ids, data, dim := c.store.Matrix()
	n := len(ids)
	if n == 0 {
		return nil, ErrEmpty
	}
	if opts.Layout == "" {
		opts.Layout = Layouts[0]
	}
	x := blas32.General{Rows: n, Cols: dim, Stride: dim, Data: data}
	var xy []float32
	switch opts.Layout {
	case LayoutPCA:
		xy = make([]float32, 2*n)
		if len(m.Axes) >= 2 && len(m.Mean) == dim {
			pca := cluster.PCA{Mean: m.Mean, Components: blas32.General{Rows: 2, Cols: dim, Stride: dim, Data: append(slices.Clone(m.Axes[0]), m.Axes[1]...)}}
			xy = pca.Transform(x).Data
		}
	case LayoutAuto, LayoutTSNE, LayoutUMAP:
		if opts.Layout == LayoutAuto {
			opts.Layout = layout.DefaultMethod(n)
		}
		var err error
		if xy, err = c.neighbourLayout(ctx, opts.Layout, ids, x, m.Seed); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown map layout %q: use one of %v", opts.Layout, Layouts)
	}
	out := &topicmap.Map{Title: opts.Title, Layout: opts.Layout, Points: make([]topicmap.Point, n), ThemeLevel: m.Chosen}
	// Every level of the hierarchy goes on the map, broadest first: level l's
	// theme j is out.Themes[first[l]+j], and a point holds the index of its
	// theme at the finest level (its broader themes follow from Parent).
	placedIDs, levels := c.PlaceAll(m)
	first := make([]int, len(m.Levels))
	for l, lv := range m.Levels {
		first[l] = len(out.Themes)
		for _, t := range lv.Themes {
			th := topicmap.Theme{ID: t.ID, Label: t.Label, Keywords: t.Keywords, Level: l}
			if l > 0 {
				th.Parent = first[l-1] + t.Parent
			}
			out.Themes = append(out.Themes, th)
		}
	}
	finest := len(m.Levels) - 1
	finestOf := make(map[string]int, len(placedIDs))
	for q, id := range placedIDs {
		finestOf[id] = levels[finest][q]
		// Sizes count the stored papers now, those placed since included.
		for l := range levels {
			out.Themes[first[l]+levels[l][q]].Size++
		}
	}
	fields := newFieldCollector(n)
	for i, id := range ids {
		r, _ := c.store.Get(id)
		y, _ := strconv.Atoi(r.Metadata[keyYear])
		th := -1
		if j, ok := finestOf[id]; ok && finest >= 0 {
			th = first[finest] + j
		}
		out.Points[i] = topicmap.Point{
			ID:      id,
			Title:   r.Metadata[keyTitle],
			Snippet: truncateRunes(r.Content, snippetRunes(n)),
			URL:     paperURL(r.Metadata),
			X:       xy[2*i],
			Y:       xy[2*i+1],
			Theme:   th,
			Year:    y,
		}
		if out.Points[i].Title == "" {
			out.Points[i].Title = truncateRunes(r.Content, 80)
		}
		fields.add(i, r.Metadata)
	}
	out.Fields = fields.fields()
	out.LabelPositions()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	nb, err := neighbours(x, m.Seed)
	if err != nil {
		return nil, err
	}
	out.Neighbors = nb
	return out, nil
}

// layoutFile holds the saved t-SNE or UMAP layout in the store.
const layoutFile = "layout.json"

// savedLayout is the content of layoutFile: each laid-out paper's ID, the
// hash of its record (a changed paper is placed again) and its position.
type savedLayout struct {
	Version  int        `json:"version"`
	Layout   string     `json:"layout"`
	Seed     uint64     `json:"seed"`
	Embedder embed.Info `json:"embedder"`
	IDs      []string   `json:"ids"`
	Hashes   []string   `json:"hashes"`
	XY       []float32  `json:"xy"`
}

// neighbourLayout returns the positions of the rows of x (IDs ids) by
// method (LayoutTSNE or LayoutUMAP): the saved layout's for the papers it
// holds unchanged, placed from their neighbours for the others; computed
// afresh (and saved when the corpus is writable) when nothing is saved for
// this method or when more than half the papers are new.
func (c *Corpus) neighbourLayout(ctx context.Context, method string, ids []string, x blas32.General, seed uint64) ([]float32, error) {
	n := len(ids)
	var saved savedLayout
	if b, err := c.store.ReadFile(layoutFile); err == nil {
		if json.Unmarshal(b, &saved) != nil || saved.Version != 1 || saved.Layout != method ||
			saved.Seed != seed || saved.Embedder != c.emb.Info() || len(saved.XY) != 2*len(saved.IDs) || len(saved.Hashes) != len(saved.IDs) {
			saved = savedLayout{} // damaged or for other vectors: recompute
		}
	}
	pos := make(map[string]int, len(saved.IDs))
	for i, id := range saved.IDs {
		pos[id] = i
	}
	var known, fresh []int
	for i, id := range ids {
		if j, ok := pos[id]; ok {
			if h, _ := c.store.Lookup(id); h == saved.Hashes[j] {
				known = append(known, i)
				continue
			}
		}
		fresh = append(fresh, i)
	}
	xy := make([]float32, 2*n)
	if len(known) > 0 && len(fresh) <= len(known) {
		for _, i := range known {
			j := pos[ids[i]]
			xy[2*i], xy[2*i+1] = saved.XY[2*j], saved.XY[2*j+1]
		}
		if len(fresh) == 0 {
			return xy, nil
		}
		kx, kxy := gatherRows(x, known), make([]float32, 2*len(known))
		for t, i := range known {
			kxy[2*t], kxy[2*t+1] = xy[2*i], xy[2*i+1]
		}
		placed, err := layout.Place(kx, kxy, gatherRows(x, fresh), layout.PlaceOptions{})
		if err != nil {
			return nil, fmt.Errorf("place new papers on the map: %w", err)
		}
		for t, i := range fresh {
			xy[2*i], xy[2*i+1] = placed[2*t], placed[2*t+1]
		}
		return xy, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var err error
	if method == LayoutTSNE {
		xy, err = layout.TSNE(x, layout.TSNEOptions{Seed: seed})
	} else {
		xy, err = layout.UMAP(x, layout.Options{Seed: seed})
	}
	if err != nil {
		return nil, fmt.Errorf("lay out the map: %w", err)
	}
	cw, canCache := c.store.(vectorstore.CacheWriter)
	if !c.opts.ReadOnly || canCache {
		s := savedLayout{Version: 1, Layout: method, Seed: seed, Embedder: c.emb.Info(), IDs: ids, Hashes: make([]string, n), XY: xy}
		for i, id := range ids {
			s.Hashes[i], _ = c.store.Lookup(id)
		}
		b, err := json.Marshal(s)
		if err != nil {
			return nil, fmt.Errorf("encode the map layout: %w", err)
		}
		if !c.opts.ReadOnly {
			if err := c.store.WriteFile(layoutFile, b); err != nil {
				return nil, fmt.Errorf("save the map layout: %w", err)
			}
			return xy, nil
		}
		// A reader (papermap map) saves the layout too, unless a writer
		// holds the store: the layout is derived data, so a failure to
		// save it costs the next map the layout, never this one's result.
		switch written, err := cw.WriteCache(layoutFile, b); {
		case err != nil:
			c.noticef("the map's layout was not saved in %s (%v); the next map computes it again", c.store.Dir(), err)
		case !written:
			c.noticef("the map's layout was not saved: another papermap process is writing to %s; the next map computes it again", c.store.Dir())
		}
	}
	return xy, nil
}

func gatherRows(x blas32.General, rows []int) blas32.General {
	out := blas32.General{Rows: len(rows), Cols: x.Cols, Stride: x.Cols, Data: make([]float32, len(rows)*x.Cols)}
	for t, i := range rows {
		copy(out.Data[t*x.Cols:(t+1)*x.Cols], x.Data[i*x.Stride:i*x.Stride+x.Cols])
	}
	return out
}

// Metadata fields offered for colouring: those with between 2 and
// maxFieldValues distinct values on at least a tenth of the papers.
// Free-text and identifier fields never qualify.
const maxFieldValues = 60

var notCategorical = map[string]bool{keyTitle: true, keyYear: true, keyAuthors: true, keyDOI: true, keyURL: true, keyCategories: true, "id": true, "abstract": true, "file": true}

type fieldCollector struct {
	n      int
	values map[string]map[string]int32
	of     map[string][]int32
	order  map[string][]string
}

func newFieldCollector(n int) *fieldCollector {
	return &fieldCollector{n: n, values: map[string]map[string]int32{}, of: map[string][]int32{}, order: map[string][]string{}}
}

func (f *fieldCollector) add(i int, md map[string]string) {
	for k, v := range md {
		if notCategorical[k] || v == "" {
			continue
		}
		vals, ok := f.values[k]
		if !ok {
			vals = map[string]int32{}
			f.values[k] = vals
			of := make([]int32, f.n)
			for t := range of {
				of[t] = -1
			}
			f.of[k] = of
		}
		if vals == nil { // already too many values
			continue
		}
		idx, ok := vals[v]
		if !ok {
			if len(vals) >= maxFieldValues {
				f.values[k] = nil
				continue
			}
			idx = int32(len(vals))
			vals[v] = idx
			f.order[k] = append(f.order[k], v)
		}
		f.of[k][i] = idx
	}
}

// fields returns the qualifying fields by name, values sorted.
func (f *fieldCollector) fields() []topicmap.Field {
	var names []string
	for k, vals := range f.values {
		if len(vals) < 2 {
			continue
		}
		set := 0
		for _, v := range f.of[k] {
			if v >= 0 {
				set++
			}
		}
		if set*10 >= f.n {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	var out []topicmap.Field
	for _, k := range names {
		vals := slices.Clone(f.order[k])
		slices.Sort(vals)
		remap := make([]int32, len(vals))
		for newIdx, v := range vals {
			remap[f.values[k][v]] = int32(newIdx)
		}
		of := f.of[k]
		for i, v := range of {
			if v >= 0 {
				of[i] = remap[v]
			}
		}
		out = append(out, topicmap.Field{Name: k, Values: vals, Of: of})
	}
	return out
}

// neighbours gives the HTML map's neighbour panel one short int8 vector per
// paper: the vectors themselves, or their leading principal components when
// the corpus is too large for neighbourBudget.
func neighbours(x blas32.General, seed uint64) (*topicmap.Neighbors, error) {
	n, dim := x.Rows, x.Cols
	vecs := x
	if d := max(16, neighbourBudget/n); n*dim > neighbourBudget && d < dim && n > d {
		pca, err := cluster.FitPCA(x, d, cluster.PCAOptions{Seed: seed})
		if err != nil {
			return nil, fmt.Errorf("reduce vectors for the map: %w", err)
		}
		vecs = pca.Transform(x)
	}
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = vecs.Data[i*vecs.Stride : i*vecs.Stride+vecs.Cols]
	}
	return topicmap.QuantizeNeighbors(rows)
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
	if m.Reembedded {
		return nil, ErrThemesReembedded
	}
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
	var err error
	if r.Corpus.Sources, err = c.Sources(); err != nil {
		return nil, err
	}
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
		own[i] = cluster.Dot(data[i*dim:(i+1)*dim], m.Centroids[assign[id]])
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
			best[i] = math.Max(best[i], cluster.Dot(data[i*dim:(i+1)*dim], cen))
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
	var dups []cluster.Pair
	if n > largeCorpus {
		// All pairs within each theme is n²/k dot products: days at a
		// million papers. Each paper's nearest neighbours hold its
		// near-duplicates (up to duplicateNeighbors of them).
		nbrs, err := cluster.KNN{K: duplicateNeighbors, Seed: m.Seed}.Search(blas32.General{Rows: n, Cols: dim, Stride: dim, Data: data})
		if err != nil {
			return nil, fmt.Errorf("find near-duplicates: %w", err)
		}
		dups = cluster.NeighborPairs(blas32.General{Rows: n, Cols: dim, Stride: dim, Data: data}, nbrs, duplicateNeighbors, opts.DuplicateCosine)
	} else {
		// Near-duplicates are looked for within each theme: two papers
		// that similar share a theme, and it keeps the work near n²/k.
		for _, t := range themes {
			members := make([]int, len(t.Members))
			for j, id := range t.Members {
				members[j] = index[id]
			}
			dups = append(dups, cluster.SimilarPairs(blas32.General{Rows: n, Cols: dim, Stride: dim, Data: data}, members, opts.DuplicateCosine)...)
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	// Rows are in ID order, so comparing indices compares IDs.
	cluster.SortPairs(dups)
	for _, p := range dups[:min(len(dups), opts.MaxDuplicates)] {
		r.NearDuplicates = append(r.NearDuplicates, topicmap.DuplicatePair{A: ref(p.A, 0), B: ref(p.B, 0), Cosine: p.Cosine})
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
		"k-means fits on subsamples; below 0.5 a theme is marked unstable. The map places papers by t-SNE (Barnes-Hut; UMAP up to %s and above %s papers) so that neighbours in the embedding space stay neighbours on the map.",
		m.Embedder.Backend, m.Embedder.Model, m.Embedder.Dimensions, m.Seed, how, tree, format.Int(layout.SmallRows), format.Int(layout.TSNEMaxRows))
}

func yearsOf(c *Corpus, ids []string) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = c.YearOf(id)
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
