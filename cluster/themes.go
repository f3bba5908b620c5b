package cluster

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/internal/format"
)

// ThemeSettings are the settings of FitThemes. The zero value of every field
// means the default its comment states; nothing else holds a default.
type ThemeSettings struct {
	// K is the number of themes at the chosen level; 0 chooses it with
	// ChooseK among MinK..MaxK.
	K int
	// MinK and MaxK bound the automatic choice of k. MaxK defaults to one
	// theme per five papers, at most 30 (and at least MinK). MinK defaults
	// to 5, or MaxK when smaller: two to four themes give a reader no
	// overview, though such a split is often the most stable one (the 113k
	// ACM DL abstracts split most stably into 3 areas: web and search,
	// design and interaction, algorithms).
	MinK, MaxK int
	// Seed drives every random choice: the same vectors, texts and Seed give
	// the same model.
	Seed uint64
	// Restarts is the number of k-means seedings of the chosen level's fit,
	// the lowest inertia winning. Default 4.
	Restarts int
	// Neighbors is how many nearest neighbours each vector is averaged with
	// before clustering (KNN, Smooth), which tightens themes of short noisy
	// texts: on the 2,000 arXiv abstracts at k = 18 it raised the V-measure
	// against the arXiv archives from 47.1 to 49.7 (bench/vmeasure). Default
	// 10, and at most one per 30 papers (with 66 papers, three neighbours
	// already blur themes of two or three papers); negative: none.
	Neighbors int
	// Resamples is the number of subsample fits behind the choice of k and
	// each theme's stability (ChooseK.Resamples). Default 5.
	Resamples int
	// MiniBatchRows is the number of papers above which the chosen level is
	// fitted by mini-batch k-means (within 0.1% of the inertia of full
	// k-means at a tenth of the time on 1M vectors, bench/RESULTS.md) and
	// the choice of k and the stabilities look at a sample of KSampleRows
	// papers. Default 50,000.
	MiniBatchRows int
	// RefineIter caps the Lloyd iterations on all papers that follow
	// mini-batch k-means, from its centroids (with Hamerly's bounds, most
	// of them cost a fraction of the first). On the 2,000 arXiv abstracts
	// made to take this path at k = 18, mini-batch k-means alone left the
	// V-measure against the archives 2.3 points below full k-means (mean of
	// 5 seeds, bench/vmeasure -large); refined, 0.7. Default 100 (a refined
	// run stops when the centroids settle, as KMeans.Tol says); negative:
	// no refinement.
	RefineIter int
	// KSampleRows is that sample's size (ChooseK.EvalRows). Default 20,000.
	KSampleRows int
	// FitRows is the most papers the themes are fitted on. Above it, a
	// seeded sample of FitRows papers goes through every step of the fit
	// (neighbour smoothing, the choice of k, k-means, stabilities,
	// sub-themes and the projection) and every paper is placed by its own
	// vector: in the chosen level's theme whose sampled members have the
	// nearest mean direction, then in that theme's nearest sub-theme. The
	// neighbour search over all papers grows as n^1.5 and took two thirds
	// of 201 s at a million papers; the sample bounds it. Default 100,000;
	// negative: every paper is fitted.
	FitRows int
	// TopMax is the most themes the broadest level holds: when the chosen
	// level has more, a level above it groups its themes into about √k
	// broad ones. Default 20.
	TopMax int
	// FineK is the number of themes the finest level aims at: each theme of
	// the chosen level is split into sub-themes in proportion to its size.
	// Default ⌈√(n/2)⌉ (45 for 4,000 papers, 238 for 113,000, 708 for a
	// million), and at least twice the chosen k; no finer level is made
	// when no theme splits.
	FineK int
	// MinThemeSize is the fewest papers a sub-theme is made for: a theme of
	// s papers is split into at most s/MinThemeSize parts. Default 5.
	MinThemeSize int
	// Keywords is the number of keywords kept per theme. Default 10.
	Keywords int
	// Representatives is the number of central papers kept per theme.
	// Default 5.
	Representatives int
	// KeywordSampleRows is the most papers per theme of the chosen level
	// whose words are read for keywords (a seeded sample; all of a smaller
	// theme): tokenising a million abstracts took 90 s and gigabytes for
	// keywords that 5,000 papers per theme already settle. Default 5,000.
	KeywordSampleRows int
	// SilhouetteRows is the sample the silhouette is computed on. Default
	// 2,000.
	SilhouetteRows int
	// Namer, if not nil, replaces the keyword labels (see Namer).
	Namer Namer
	// Progress, if not nil, is told each stage as it starts ("choosing k:
	// ..."); on a large corpus the stages take minutes.
	Progress func(stage string)
}

func (s ThemeSettings) withDefaults(n int) ThemeSettings {
	if s.MaxK <= 0 {
		s.MaxK = max(2, min(30, n/5))
	}
	if s.MinK <= 0 {
		s.MinK = min(5, s.MaxK)
	}
	s.MaxK = max(s.MaxK, s.MinK)
	if s.Restarts <= 0 {
		s.Restarts = 4
	}
	if s.Neighbors == 0 {
		s.Neighbors = 10
	}
	s.Neighbors = min(s.Neighbors, n/30)
	if s.Resamples <= 0 {
		s.Resamples = 5
	}
	if s.MiniBatchRows <= 0 {
		s.MiniBatchRows = 50_000
	}
	if s.KSampleRows <= 0 {
		s.KSampleRows = 20_000
	}
	if s.FitRows == 0 {
		s.FitRows = 100_000
	}
	if s.RefineIter == 0 {
		s.RefineIter = 100
	}
	if s.TopMax <= 0 {
		s.TopMax = 20
	}
	if s.FineK <= 0 {
		s.FineK = int(math.Ceil(math.Sqrt(float64(n) / 2)))
	}
	if s.MinThemeSize <= 0 {
		s.MinThemeSize = 5
	}
	if s.Keywords <= 0 {
		s.Keywords = 10
	}
	if s.Representatives <= 0 {
		s.Representatives = 5
	}
	if s.KeywordSampleRows <= 0 {
		s.KeywordSampleRows = 5_000
	}
	if s.SilhouetteRows <= 0 {
		s.SilhouetteRows = 2_000
	}
	return s
}

// ThemeInput is what FitThemes groups: one row of Vectors per paper, and the
// paper's words.
type ThemeInput struct {
	// Vectors holds one embedding per paper; clustering is in cosine
	// geometry, so no row may be zero.
	Vectors blas32.General
	// Scan, if set while Vectors.Data is nil, hands out the vectors
	// instead, Vectors.Rows × Vectors.Cols of them: it calls f with
	// consecutive blocks of rows, from row 0 to the last, each a matrix
	// that f reads and does not keep, and returns the first error of f
	// (or its own). Above FitRows papers FitThemes then holds only its
	// sample's vectors and reads the others block by block, in a few
	// passes (placing, centroids, representatives): a million papers'
	// vectors (1 GB at 256 dimensions) are not copied out of the store
	// that holds them. Below FitRows they are read into one matrix.
	Scan func(f func(lo int, block blas32.General) error) error
	// Text returns paper i's title and abstract; markup is stripped from it
	// (StripMarkup) before Tokenize splits it into lower-case tokens. Both
	// are called from several goroutines at once.
	Text     func(i int) string
	Tokenize func(text string) []string
}

// A Namer gives themes their labels in place of the keyword labels.
// FitThemes calls it level by level, finest first, once the keyword labels,
// keywords and representatives are set, so that a namer can name a parent
// from its children's new labels (as Toponymy does). It returns one label per
// theme of the level; an empty label keeps the keyword label.
type Namer interface {
	Name(m *ThemeModel, level int) ([]string, error)
}

// ThemeModel is a hierarchy of themes: Levels from the broadest to the
// finest, each a partition of all papers, each theme's sub-themes in the
// next level. It places new papers (Place) and projects vectors to two
// dimensions for maps (Project).
type ThemeModel struct {
	// K is the number of themes at the chosen level, Levels[Chosen].
	K      int `json:"k"`
	Chosen int `json:"chosen_level"`
	// Auto tells that K was chosen by ChooseK; KScores are then its scores
	// and KSample the number of papers it looked at, when a sample.
	Auto    bool     `json:"auto"`
	KScores []KScore `json:"k_scores,omitempty"`
	KSample int      `json:"k_sample,omitempty"`
	// MiniBatch tells the chosen level was fitted by mini-batch k-means.
	MiniBatch bool `json:"mini_batch,omitempty"`
	// FitSample is the number of papers the themes were fitted on when
	// that was a sample (ThemeSettings.FitRows); the others were placed by
	// nearest centroid.
	FitSample int `json:"fit_sample,omitempty"`
	// Inertia is the chosen level's Σ(1 − cos) on the clustered vectors
	// (after a fit on a sample, on all papers' own vectors).
	Inertia float64 `json:"inertia"`
	// Silhouette is the mean cosine silhouette of the chosen level's
	// partition of the papers' own vectors (not the smoothed ones), on a
	// seeded sample of SilhouetteRows papers: the one silhouette papermap
	// reports.
	Silhouette float64 `json:"silhouette"`
	Levels     []Level `json:"levels"`
	// Mean and Axes project a vector to two dimensions for maps:
	// x' = (x − Mean)·Axesᵀ (the first two principal components).
	Mean []float32   `json:"mean"`
	Axes [][]float32 `json:"axes"`
}

// Level is one partition of the papers.
type Level struct {
	Themes []Theme `json:"themes"`
	// Labels[i] is the ID of paper i's theme.
	Labels []int `json:"labels"`
	// Diversity and Coherence describe the level's keywords: Diversity
	// (see Diversity) and the mean of the themes' Coherence.
	Diversity float64 `json:"diversity"`
	Coherence float64 `json:"coherence"`
}

// Theme is one theme of one level. IDs number a level's themes from 0,
// largest first.
type Theme struct {
	ID       int      `json:"id"`
	Label    string   `json:"label"`
	Keywords []string `json:"keywords"`
	Size     int      `json:"size"`
	// Parent is the ID of the theme in the level above; -1 at the top.
	Parent int `json:"parent"`
	// Children are the IDs of its sub-themes in the level below.
	Children []int `json:"children,omitempty"`
	// Representatives are the papers (rows) nearest the centroid, nearest
	// first.
	Representatives []int `json:"representatives"`
	// Centroid is the unit mean direction of the members' vectors.
	Centroid []float32 `json:"centroid"`
	// Stability is the theme's mean best-match Jaccard index across
	// subsample fits (ChooseK.ThemeStability); −1 when not measured (a
	// broad level made by grouping themes). Unstable marks a theme below
	// 0.5, which Hennig (2007) reads as one that dissolves: an artefact of
	// one seed or sample rather than a structure of the data.
	Stability float64 `json:"stability"`
	Unstable  bool    `json:"unstable,omitempty"`
	// Boilerplate marks a theme of texts that are not research: most of its
	// papers have no abstract (fewer than 8 words with the title), or two of
	// its three best keywords are front-matter words ("session", "keynote",
	// "track", "committee", ...).
	Boilerplate bool `json:"boilerplate,omitempty"`
	// Coherence is the NPMI coherence of the top 10 keywords over 10-word
	// windows of the papers' texts (gensim's c_npmi, as OCTIS and the
	// BERTopic paper compute it), in [−1, 1].
	Coherence float64 `json:"coherence"`
}

// Members returns the papers (rows) of theme id at level l, in row order.
func (m *ThemeModel) Members(l, id int) []int {
	var out []int
	for i, t := range m.Levels[l].Labels {
		if t == id {
			out = append(out, i)
		}
	}
	return out
}

// Place returns, for each row of x (new papers' vectors), its theme at every
// level: the finest level's nearest centroid (cosine) and that theme's
// ancestors, so that the placement is consistent down the tree.
func (m *ThemeModel) Place(x blas32.General) [][]int {
	checkGeneral(x)
	nl := len(m.Levels)
	out := make([][]int, nl)
	if nl == 0 || x.Rows == 0 {
		return out
	}
	fine := m.Levels[nl-1].Themes
	cent := newGeneral(len(fine), x.Cols)
	for j, t := range fine {
		copy(row(cent, j), t.Centroid)
	}
	out[nl-1], _ = Assign(x, cent, true)
	for l := nl - 2; l >= 0; l-- {
		out[l] = make([]int, x.Rows)
		for i, c := range out[l+1] {
			out[l][i] = m.Levels[l+1].Themes[c].Parent
		}
	}
	return out
}

// Project returns the rows of x projected to two dimensions with Mean and
// Axes (zeros when the model has no projection, as for fewer than 3 papers).
func (m *ThemeModel) Project(x blas32.General) blas32.General {
	checkGeneral(x)
	out := newGeneral(x.Rows, 2)
	if len(m.Axes) < 2 {
		return out
	}
	for i := 0; i < x.Rows; i++ {
		r := row(x, i)
		for a := 0; a < 2; a++ {
			s := 0.0
			for t, v := range r {
				s += (float64(v) - float64(m.Mean[t])) * float64(m.Axes[a][t])
			}
			out.Data[i*2+a] = float32(s)
		}
	}
	return out
}

// FitThemes groups the papers into a hierarchy of themes and describes them.
// The steps, each with the settings it reads:
//
//  0. Above FitRows papers, steps 1 to 4 fit a seeded sample of FitRows
//     papers (the fitted papers below).
//  1. The fitted papers' vectors are smoothed with their Neighbors nearest
//     neighbours among them.
//  2. The chosen level's k is K, or ChooseK's choice among MinK..MaxK
//     (Resamples, KSampleRows on more than MiniBatchRows papers).
//  3. Spherical k-means (Restarts) or, above MiniBatchRows papers,
//     mini-batch k-means refined by at most RefineIter Lloyd iterations
//     fits the chosen level; on a sample, every paper then goes to the
//     theme whose fitted members' own vectors have the nearest mean
//     direction. Centroids are then the mean directions of the members'
//     own vectors.
//  4. A finer level splits each theme into sub-themes (FineK,
//     MinThemeSize) by k-means within it (on a sample, each other paper
//     then joins the sub-theme of its theme with the nearest mean
//     direction); a broader level groups the chosen level's centroids by
//     k-means when it has more than TopMax.
//  5. Each theme gets its stability, keywords (Keywords, contrasted with
//     the whole corpus at the top level and with the parent theme below),
//     a label distinct from its siblings', a boilerplate flag, its NPMI
//     coherence and its Representatives; then Namer, if set, relabels.
//  6. The first two principal components of the vectors make the map
//     projection.
//
// Bad vectors return the errors of KMeans.Fit; K above the number of papers
// returns ErrBadOption.
func FitThemes(in ThemeInput, s ThemeSettings) (*ThemeModel, error) {
	x := inputVectors(in)
	n := x.n
	if n == 0 {
		return nil, fmt.Errorf("themes of no papers: %w", ErrTooFewPoints)
	}
	if s.K < 0 || s.K > n {
		return nil, fmt.Errorf("%d themes of %d papers: %w", s.K, n, ErrBadOption)
	}
	if err := x.checkFinite(); err != nil {
		return nil, err
	}
	s = s.withDefaults(n)
	stage := func(format string, args ...any) {
		if s.Progress != nil {
			s.Progress(fmt.Sprintf(format, args...))
		}
	}
	m := &ThemeModel{K: s.K}
	// fx holds the papers the themes are fitted on: all of them, or a
	// seeded sample (pick, in row order) whose labels are spread to the
	// others once the levels are fitted.
	var fx blas32.General
	var pick []int
	var err error
	if rows := max(s.FitRows, s.K); s.FitRows > 0 && n > rows {
		pick = sampleIndex(n, rows, s.Seed)
		m.FitSample = rows
		stage("fitting the themes on a sample of %s of the %s papers", format.Int(rows), format.Int(n))
		fx, err = x.gather(pick)
	} else {
		fx, err = x.all()
	}
	if err != nil {
		return nil, err
	}
	nf := fx.Rows
	xs := fx
	if s.Neighbors > 0 {
		stage("finding each paper's %d nearest neighbours (%s papers)", s.Neighbors, format.Int(nf))
		nbrs, err := KNN{K: s.Neighbors, Seed: s.Seed}.Search(fx)
		if err != nil {
			return nil, fmt.Errorf("find each paper's neighbours: %w", err)
		}
		xs = Smooth(fx, nbrs, s.Neighbors, 1)
	}
	ck := ChooseK{Min: s.MinK, Max: s.MaxK, Resamples: s.Resamples, EvalRows: s.KSampleRows, Seed: s.Seed, KMeans: KMeans{Spherical: true}}
	switch {
	case s.K > 0:
	case n < 3:
		m.K = 1
	default:
		if nf > s.KSampleRows {
			m.KSample = s.KSampleRows
			stage("choosing k: stability of k-means for k = %d to %d on a sample of %s papers", s.MinK, min(s.MaxK, nf-1), format.Int(s.KSampleRows))
		} else {
			stage("choosing k: stability of k-means for k = %d to %d", s.MinK, min(s.MaxK, nf-1))
		}
		best, scores, err := ck.Choose(xs)
		if err != nil {
			return nil, fmt.Errorf("choose the number of themes: %w", err)
		}
		m.K, m.Auto, m.KScores = best, true, scores
	}

	var res *Result
	if nf > s.MiniBatchRows {
		stage("mini-batch k-means with k = %d on %s papers, refined by Lloyd iterations", m.K, format.Int(nf))
		m.MiniBatch = true
		res, err = MiniBatchKMeans{K: m.K, Seed: s.Seed, Restarts: s.Restarts, Spherical: true}.Fit(xs)
		if err == nil {
			res, err = refine(xs, res, s.RefineIter)
		}
	} else {
		stage("k-means with k = %d", m.K)
		res, err = KMeans{K: m.K, Seed: s.Seed, Restarts: s.Restarts, Spherical: true}.Fit(xs)
	}
	if err != nil {
		return nil, fmt.Errorf("k-means with k = %d: %w", m.K, err)
	}
	m.Inertia = res.Inertia
	// chosen labels the fitted rows, all every row.
	chosen, all := res.Labels, res.Labels
	if pick != nil {
		stage("placing all %s papers in the %d themes", format.Int(n), m.K)
		if all, m.Inertia, err = placeAll(x, fx, chosen, m.K); err != nil {
			return nil, err
		}
		// A theme nearest to no paper's own vector is dropped.
		all, m.K, _ = compact(all, m.K, make([]float64, m.K))
		chosen = make([]int, nf)
		for q, i := range pick {
			chosen[q] = all[i]
		}
	}
	stage("measuring the stability of %d themes", m.K)
	chosenStab, err := ck.ThemeStability(xs, chosen, m.K)
	if err != nil {
		return nil, fmt.Errorf("theme stability: %w", err)
	}

	// The partitions, broadest first; stab[l][j] is theme j's stability.
	parts := [][]int{all}
	ks := []int{m.K}
	stab := [][]float64{chosenStab}
	fine, fk, fstab, err := splitThemes(xs, chosen, m.K, s, ck, stage)
	if err != nil {
		return nil, err
	}
	if fk > m.K {
		if pick != nil {
			stage("placing the other %s papers in the sub-themes", format.Int(n-nf))
			if fine, fk, fstab, err = placeFine(x, fx, pick, all, fine, m.K, fk, fstab); err != nil {
				return nil, err
			}
		}
		parts, ks, stab = append(parts, fine), append(ks, fk), append(stab, fstab)
	}
	if m.K > s.TopMax {
		stage("grouping %d themes into broad themes", m.K)
		top, tk, err := groupThemes(x, all, m.K, s)
		if err != nil {
			return nil, err
		}
		unknown := make([]float64, tk)
		for i := range unknown {
			unknown[i] = -1
		}
		parts, ks, stab = append([][]int{top}, parts...), append([]int{tk}, ks...), append([][]float64{unknown}, stab...)
		m.Chosen = 1
	}
	if m.K > 1 {
		if m.Silhouette, err = x.silhouette(parts[m.Chosen], s.SilhouetteRows, s.Seed); err != nil {
			return nil, err
		}
	}
	if m.Levels, err = buildLevels(x, parts, ks, stab, s.Representatives); err != nil {
		return nil, err
	}

	stage("naming the themes from their papers' words")
	describe(m, in, s)
	if s.Namer != nil {
		for l := len(m.Levels) - 1; l >= 0; l-- {
			names, err := s.Namer.Name(m, l)
			if err != nil {
				return nil, fmt.Errorf("name the themes: %w", err)
			}
			for j, nm := range names {
				if nm != "" && j < len(m.Levels[l].Themes) {
					m.Levels[l].Themes[j].Label = nm
				}
			}
		}
	}

	if n >= 3 {
		stage("projecting the papers to two dimensions for the map")
		pca, err := FitPCA(fx, 2, PCAOptions{Seed: s.Seed})
		if err != nil {
			return nil, fmt.Errorf("project to two dimensions: %w", err)
		}
		m.Mean = pca.Mean
		for a := 0; a < pca.Components.Rows; a++ {
			m.Axes = append(m.Axes, slices.Clone(row(pca.Components, a)))
		}
	}
	return m, nil
}

// refine runs at most iter Lloyd iterations of spherical k-means on x from
// res's centroids and returns the refined result (res itself when iter is
// negative).
func refine(x blas32.General, res *Result, iter int) (*Result, error) {
	if iter < 0 {
		return res, nil
	}
	return KMeans{Init: &res.Centroids, MaxIter: iter, Spherical: true}.Fit(x)
}

// splitThemes splits each of the k themes of labels into sub-themes in
// proportion to its size, and returns the finer labels (numbered in theme
// order), their number and each sub-theme's stability within its theme.
func splitThemes(xs blas32.General, labels []int, k int, s ThemeSettings, ck ChooseK, stage func(string, ...any)) ([]int, int, []float64, error) {
	n := xs.Rows
	target := max(s.FineK, 2*k)
	members := make([][]int, k)
	for i, l := range labels {
		members[l] = append(members[l], i)
	}
	sub := make([]int, k)
	total := 0
	for t, mem := range members {
		sub[t] = max(1, min(int(math.Round(float64(target)*float64(len(mem))/float64(n))), len(mem)/s.MinThemeSize))
		total += sub[t]
	}
	out := make([]int, n)
	var stab []float64
	if total <= k {
		return nil, k, nil, nil
	}
	stage("splitting %d themes into %d sub-themes", k, total)
	// Each theme is split on its own: the themes are split concurrently,
	// one per goroutine of the pool and each fit on one thread, the
	// largest first (the longest: the work grows with size times parts),
	// and their results joined in theme order. Every split is seeded by its
	// theme and no fit depends on its thread count, so the result is that
	// of one thread.
	type split struct {
		labels []int
		stab   []float64
		err    error
	}
	splits := make([]split, k)
	order := make([]int, k)
	for t := range order {
		order[t] = t
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(members[b]) - len(members[a]) })
	one := ck
	one.KMeans.Threads = 1
	parallelFor(threadCount(ck.KMeans.Threads), k, func(_, it int) {
		t := order[it]
		if sub[t] <= 1 {
			return
		}
		mem := members[t]
		xt := gatherRows(xs, mem)
		var res *Result
		var err error
		seed := s.Seed + uint64(t)*0x9e3779b97f4a7c15
		if len(mem) > s.MiniBatchRows {
			res, err = MiniBatchKMeans{K: sub[t], Seed: seed, Spherical: true, Threads: 1}.Fit(xt)
		} else {
			res, err = KMeans{K: sub[t], Seed: seed, Restarts: 1, Spherical: true, Threads: 1}.Fit(xt)
		}
		if err != nil {
			splits[t].err = fmt.Errorf("split theme %d into %d: %w", t, sub[t], err)
			return
		}
		c := one
		c.Seed = seed
		st, err := c.ThemeStability(xt, res.Labels, sub[t])
		if err != nil {
			splits[t].err = fmt.Errorf("stability of theme %d's sub-themes: %w", t, err)
			return
		}
		splits[t] = split{labels: res.Labels, stab: st}
	})
	next := 0
	for t, mem := range members {
		if sub[t] <= 1 {
			for _, i := range mem {
				out[i] = next
			}
			stab = append(stab, 1) // the theme itself, measured one level up
			next++
			continue
		}
		sp := splits[t]
		if sp.err != nil {
			return nil, 0, nil, sp.err
		}
		for q, i := range mem {
			out[i] = next + sp.labels[q]
		}
		stab = append(stab, sp.stab...)
		next += sub[t]
	}
	// Sub-themes left empty by k-means are dropped.
	out, next, stab = compact(out, next, stab)
	return out, next, stab, nil
}

// compact renumbers labels 0..m-1 skipping empty ones, keeping vals aligned.
func compact(labels []int, k int, vals []float64) ([]int, int, []float64) {
	count := make([]int, k)
	for _, l := range labels {
		count[l]++
	}
	newID := make([]int, k)
	var kept []float64
	m := 0
	for j, c := range count {
		newID[j] = -1
		if c > 0 {
			newID[j] = m
			kept = append(kept, vals[j])
			m++
		}
	}
	for i, l := range labels {
		labels[i] = newID[l]
	}
	return labels, m, kept
}

// groupThemes groups the k themes of labels into about √k broad themes (at
// most TopMax) by spherical k-means on their centroids, and returns the
// papers' broad labels.
func groupThemes(x vectors, labels []int, k int, s ThemeSettings) ([]int, int, error) {
	cent, err := x.meanDirections(labels, k)
	if err != nil {
		return nil, 0, err
	}
	tk := min(s.TopMax, max(2, int(math.Round(math.Sqrt(float64(k))))))
	res, err := KMeans{K: tk, Seed: s.Seed, Restarts: s.Restarts, Spherical: true}.Fit(cent)
	if err != nil {
		return nil, 0, fmt.Errorf("group %d themes into %d: %w", k, tk, err)
	}
	out := make([]int, len(labels))
	for i, l := range labels {
		out[i] = res.Labels[l]
	}
	out, tk, _ = compact(out, tk, make([]float64, tk))
	return out, tk, nil
}

// buildLevels numbers each partition's themes by size (largest first, ties
// by first member), links parents and children, and sets sizes, centroids,
// stabilities and representatives. parts are broadest first and nested.
func buildLevels(x vectors, parts [][]int, ks []int, stab [][]float64, reps int) ([]Level, error) {
	n := x.n
	levels := make([]Level, len(parts))
	for l, labels := range parts {
		k := ks[l]
		size := make([]int, k)
		first := make([]int, k)
		for j := range first {
			first[j] = n
		}
		for i, c := range labels {
			size[c]++
			first[c] = min(first[c], i)
		}
		order := make([]int, k)
		for j := range order {
			order[j] = j
		}
		slices.SortStableFunc(order, func(a, b int) int {
			if size[a] != size[b] {
				return size[b] - size[a]
			}
			return first[a] - first[b]
		})
		newID := make([]int, k)
		for id, old := range order {
			newID[old] = id
		}
		lab := make([]int, n)
		for i, c := range labels {
			lab[i] = newID[c]
		}
		cent, err := x.meanDirections(lab, k)
		if err != nil {
			return nil, err
		}
		rp, err := x.representatives(lab, cent, reps)
		if err != nil {
			return nil, err
		}
		themes := make([]Theme, k)
		for id, old := range order {
			st := stab[l][old]
			themes[id] = Theme{
				ID: id, Size: size[old], Parent: -1,
				Centroid:        slices.Clone(row(cent, id)),
				Representatives: rp[id],
				Stability:       st,
				Unstable:        st >= 0 && st < 0.5,
				Keywords:        []string{},
			}
		}
		levels[l] = Level{Themes: themes, Labels: lab}
	}
	for l := 1; l < len(levels); l++ {
		up, lo := &levels[l-1], &levels[l]
		seen := make([]bool, len(lo.Themes))
		for i, c := range lo.Labels {
			if !seen[c] {
				seen[c] = true
				p := up.Labels[i]
				lo.Themes[c].Parent = p
				up.Themes[p].Children = append(up.Themes[p].Children, c)
			}
		}
		for j := range up.Themes {
			slices.Sort(up.Themes[j].Children)
		}
	}
	return levels, nil
}

// describe sets every theme's keywords, label, boilerplate flag and
// coherence, and each level's diversity and coherence.
func describe(m *ThemeModel, in ThemeInput, s ThemeSettings) {
	if in.Text == nil || in.Tokenize == nil {
		return
	}
	n := len(m.Levels[m.Chosen].Labels)
	chosen := m.Levels[m.Chosen]
	sample := capPerLabel(chosen.Labels, len(chosen.Themes), s.KeywordSampleRows, s.Seed)
	if fine := m.Levels[len(m.Levels)-1]; m.Chosen < len(m.Levels)-1 {
		// A small sub-theme of a large theme may have none of its papers
		// in the theme's sample: each finest theme gets at least
		// minKeywordRows of its papers (all of a smaller one).
		have := make([]int, len(fine.Themes))
		for i, c := range fine.Labels {
			if sample[i] >= 0 {
				have[c]++
			}
		}
		rng := newRand(s.Seed, 0x66696e65) // "fine"
		for _, i := range rng.Perm(n) {
			if c := fine.Labels[i]; sample[i] < 0 && have[c] < minKeywordRows {
				have[c]++
				sample[i] = chosen.Labels[i]
			}
		}
	}
	// Texts are read, tokenised and their tokens numbered in parallel,
	// batch by batch of the sampled papers in row order (in.Text and
	// in.Tokenize must allow it); the batches' numbers are then made one
	// numbering in batch order, that of first occurrence in row order, and
	// the index is built in row order.
	var rows []int
	for i, l := range sample {
		if l >= 0 {
			rows = append(rows, i)
		}
	}
	const batch = 2048
	nb := (len(rows) + batch - 1) / batch
	dicts := make([]tokenDict, nb)
	docs := make([][]int32, n)
	parallelFor(threadCount(0), nb, func(_, b int) {
		for _, i := range rows[b*batch : min((b+1)*batch, len(rows))] {
			docs[i] = dicts[b].add(in.Tokenize(StripMarkup(in.Text(i))))
		}
	})
	var all tokenDict
	renumber := make([][]int32, nb)
	for b := range dicts {
		renumber[b] = all.add(dicts[b].tokens)
		dicts[b] = tokenDict{}
	}
	parallelFor(threadCount(0), nb, func(_, b int) {
		for _, i := range rows[b*batch : min((b+1)*batch, len(rows))] {
			for q, t := range docs[i] {
				docs[i][q] = renumber[b][t]
			}
		}
	})
	ix := newTermIndexOf(docs, all.tokens, stopSet(nil), true)
	docs = nil
	// Each level's keywords and their coherence depend on the index and
	// the level's partition only: the levels are worked out concurrently.
	// Labels then go level by level, broadest first (a theme without words
	// of its own is named after its parent).
	type words struct {
		labels []int // the level's labels, -1 for papers not read
		kws    [][]Keyword
		coh    []float64
	}
	lw := make([]words, len(m.Levels))
	parallelFor(threadCount(0), len(m.Levels), func(_, l int) {
		lv := &m.Levels[l]
		k := len(lv.Themes)
		labels := make([]int, n)
		for i, c := range lv.Labels {
			labels[i] = c
			if sample[i] < 0 {
				labels[i] = -1
			}
		}
		var parent []int
		if l > 0 {
			parent = make([]int, k)
			for j, t := range lv.Themes {
				parent[j] = t.Parent
			}
		}
		kws := ix.keywords(labels, k, parent, s.Keywords, 2)
		if parent != nil {
			// A sub-theme whose words hardly differ from its parent's is
			// described against the whole corpus instead.
			var flat [][]Keyword
			for j := range kws {
				if len(kws[j]) < 3 {
					if flat == nil {
						flat = ix.keywords(labels, k, nil, s.Keywords, 2)
					}
					kws[j] = flat[j]
				}
			}
		}
		lists := make([][]int32, k)
		for j := range kws {
			for _, kw := range kws[j] {
				lists[j] = append(lists[j], kw.id)
			}
		}
		lw[l] = words{labels: labels, kws: kws, coh: ix.npmi(lists, 10)}
	})
	for l := range m.Levels {
		lv := &m.Levels[l]
		k := len(lv.Themes)
		labels, kws, coh := lw[l].labels, lw[l].kws, lw[l].coh
		lw[l] = words{}
		// Labels distinct among siblings: larger siblings choose first.
		avoid := map[int]map[string]bool{}
		short := make([]int, k)
		counted := make([]int, k)
		for i, c := range labels {
			if c >= 0 {
				counted[c]++
				if ix.words[i] < 8 {
					short[c]++
				}
			}
		}
		for j := range lv.Themes {
			t := &lv.Themes[j]
			if avoid[t.Parent] == nil {
				avoid[t.Parent] = map[string]bool{}
			}
			label, forms := labelAvoiding(kws[j], 3, avoid[t.Parent])
			for _, f := range forms {
				avoid[t.Parent][f] = true
			}
			if label == "" {
				// No words of its own: named after its parent (or as
				// unnamed), numbered among its siblings.
				base := "unnamed"
				if l > 0 && m.Levels[l-1].Themes[t.Parent].Label != "" {
					base = m.Levels[l-1].Themes[t.Parent].Label
				}
				label = fmt.Sprintf("%s (%d)", base, j)
			}
			t.Label = label
			for _, kw := range kws[j] {
				t.Keywords = append(t.Keywords, kw.Term)
			}
			t.Boilerplate = (counted[j] > 0 && 2*short[j] >= counted[j]) || boilerplateKeywords(t.Keywords)
			if l > 0 && m.Levels[l-1].Themes[t.Parent].Boilerplate {
				t.Boilerplate = true
			}
		}
		kwl := make([][]string, k)
		for j := range lv.Themes {
			lv.Themes[j].Coherence = coh[j]
			lv.Coherence += coh[j] / float64(k)
			kwl[j] = lv.Themes[j].Keywords
		}
		lv.Diversity = Diversity(kwl, 10)
	}
}

// minKeywordRows is the fewest papers of a finest-level theme whose words
// are read for its keywords (all of a smaller theme), however small a share
// of its parent's sample (KeywordSampleRows) that is.
const minKeywordRows = 20

// boilerplateKeywords tells whether the three best keywords hold two
// distinct front-matter words. Distinct: a phrase and its part ("international
// workshop", "workshop") are one piece of evidence, not two; a theme of
// workshop reports is research about research, not front matter.
func boilerplateKeywords(kw []string) bool {
	seen := map[string]bool{}
	for _, k := range kw[:min(3, len(kw))] {
		for _, w := range strings.Fields(k) {
			if boilerplateWords[w] {
				seen[w] = true
			}
		}
	}
	return len(seen) >= 2
}

// capPerLabel returns labels with all but at most size rows of each label
// set to -1: a random sample of each label's rows drawn with seed.
func capPerLabel(labels []int, k, size int, seed uint64) []int {
	out := make([]int, len(labels))
	for i := range out {
		out[i] = -1
	}
	count := make([]int, k)
	rng := newRand(seed, 0x6b6579776f726473) // "keywords"
	for _, i := range rng.Perm(len(labels)) {
		if l := labels[i]; count[l] < size {
			count[l]++
			out[i] = l
		}
	}
	return out
}
