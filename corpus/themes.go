package corpus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/lexical"
	"github.com/papermap/papermap/internal/format"
	"gonum.org/v1/gonum/blas/blas32"
)

// themeModelFile is the store file holding the saved theme model.
const themeModelFile = "themes.json"

// themeModelVersion is bumped when ThemeModel changes incompatibly.
const themeModelVersion = 1

// ThemeOptions says how to compute themes. The zero value chooses k
// automatically with seed 0.
type ThemeOptions struct {
	// K is the number of themes; 0 chooses it (see MinK, MaxK).
	K int
	// MinK and MaxK bound the automatic choice of k; zero means
	// cluster.ChooseK's defaults.
	MinK, MaxK int
	// Seed makes the themes reproducible: the same papers and seed give
	// the same themes.
	Seed uint64
	// Restarts is the number of k-means runs from different seeds, keeping
	// the best (default: cluster.KMeans's default).
	Restarts int
	// Keywords is the number of keywords kept per theme (default 10).
	Keywords int
	// Representatives is the number of central papers kept per theme
	// (default 5).
	Representatives int
	// Neighbors is how many nearest neighbours each paper's vector is
	// averaged with before clustering (see SmoothingNeighbors); 0 means
	// that default, a negative value turns smoothing off.
	Neighbors int
	// Progress, if not nil, is told what ComputeThemes starts doing next
	// ("finding each paper's 10 nearest neighbours", ...): on a large
	// corpus the stages take minutes.
	Progress func(stage string)
}

// LargeCorpus is the number of papers above which themes are computed as a
// large corpus needs: the automatic choice of k clusters a sample of
// KSampleSize papers for each k it tries, and the final clustering is
// mini-batch k-means (cluster.MiniBatchKMeans: steps on random batches of
// 4,096 papers, then every paper assigned). On 1M vectors mini-batch
// k-means ends within 0.1% of the inertia of full k-means at about a tenth
// of the time (bench/RESULTS.md, "Side by side"); full k-means for every k
// from 2 to 30 on 1M papers took over 25 minutes.
const LargeCorpus = 50_000

// KeywordSampleSize is the most papers per theme whose words name the
// theme on a large corpus (a random sample of its members; all of them in
// a smaller theme). Tokenising a million abstracts took 90 s and gigabytes
// for keywords that 5,000 papers per theme already settle.
const KeywordSampleSize = 5_000

// KSampleSize is the number of papers the automatic choice of k clusters
// on a large corpus. The silhouette that decides is computed on 2,000 of
// them either way.
const KSampleSize = 20_000

// The sizes in use; tests lower them to exercise the large-corpus path on
// a small corpus.
var (
	largeCorpus       = LargeCorpus
	kSampleSize       = KSampleSize
	keywordSampleSize = KeywordSampleSize
)

// SmoothingNeighbors is the default number of nearest neighbours a paper is
// averaged with before clustering. One step of neighbourhood smoothing pulls
// each abstract toward the papers most like it, which makes themes of short,
// noisy texts tighter: on the 2,000 arXiv abstracts at k = 18 it raised the
// V-measure against the arXiv archives from 47.1 to 49.7 (mean of 10 seeds,
// bench/vmeasure). Small corpora use fewer neighbours (one per 30 papers):
// with 66 papers, three neighbours already blur themes of two or three papers.
const SmoothingNeighbors = 10

// defaultMaxK is the largest k the automatic choice tries: one theme per
// five papers, at most 30. On abstracts the silhouette tends to grow
// slowly with k, so this bound, more than the score, keeps themes at a size
// a reader can take in.
func defaultMaxK(n int) int {
	return max(2, min(30, n/5))
}

func smoothingNeighbors(opt, n int) int {
	if opt < 0 {
		return 0
	}
	if opt == 0 {
		opt = SmoothingNeighbors
	}
	return min(opt, n/30)
}

// Theme is one group of papers.
type Theme struct {
	ID       int      `json:"id"`
	Label    string   `json:"label"`
	Keywords []string `json:"keywords"`
	Size     int      `json:"size"`
	// Members are the IDs of the theme's papers, sorted.
	Members []string `json:"members"`
	// Representatives are the members nearest the theme's centre, nearest
	// first.
	Representatives []string `json:"representatives"`
}

// ThemeModel is a computed set of themes with what is needed to place new
// papers in them and on the map. It is saved in the store.
type ThemeModel struct {
	Version    int              `json:"version"`
	Created    time.Time        `json:"created"`
	Embedder   embed.Info       `json:"embedder"`
	K          int              `json:"k"`
	Seed       uint64           `json:"seed"`
	Auto       bool             `json:"auto"`               // k was chosen automatically
	KScores    []cluster.KScore `json:"k_scores,omitempty"` // every k tried when Auto
	KSample    int              `json:"k_sample,omitempty"` // papers k was chosen on, when a sample (large corpora)
	MiniBatch  bool             `json:"mini_batch,omitempty"`
	Inertia    float64          `json:"inertia"`
	Silhouette float64          `json:"silhouette"` // on a sample of the papers

	Themes    []Theme     `json:"themes"`
	Centroids [][]float32 `json:"centroids"` // unit vectors, one per theme

	// Projection to two dimensions for maps: x' = (x - Mean) · Axes^T.
	Mean []float32   `json:"mean"`
	Axes [][]float32 `json:"axes"`

	// Fingerprint identifies the stored papers (IDs and contents) the model
	// was computed from; it differs once papers are added or changed.
	Fingerprint string `json:"fingerprint"`
	Papers      int    `json:"papers"`
}

// ErrNoThemes is returned when themes are needed but none were computed.
var ErrNoThemes = errors.New("no themes computed yet: run `papermap themes`")

// ComputeThemes clusters the stored papers into themes, names them, saves
// the model in the store (unless the corpus is read-only) and returns it.
func (c *Corpus) ComputeThemes(ctx context.Context, opts ThemeOptions) (*ThemeModel, error) {
	ids, data, dim := c.store.Matrix()
	n := len(ids)
	if n == 0 {
		return nil, ErrEmpty
	}
	if opts.K < 0 {
		return nil, fmt.Errorf("number of themes must be positive, not %d", opts.K)
	}
	if opts.K > n {
		return nil, fmt.Errorf("cannot make %d themes from %d papers", opts.K, n)
	}
	if opts.Keywords <= 0 {
		opts.Keywords = 10
	}
	if opts.Representatives <= 0 {
		opts.Representatives = 5
	}
	x := blas32.General{Rows: n, Cols: dim, Stride: dim, Data: data}
	km := cluster.KMeans{K: opts.K, Seed: opts.Seed, Restarts: opts.Restarts, Spherical: true}
	// Clustering runs on smoothed vectors (xs); centroids, representatives
	// and the map use the papers' own vectors (x).
	stage := func(format string, args ...any) {
		if opts.Progress != nil {
			opts.Progress(fmt.Sprintf(format, args...))
		}
	}
	xs := x
	if nn := smoothingNeighbors(opts.Neighbors, n); nn > 0 {
		stage("finding each paper's %d nearest neighbours (%s papers)", nn, format.Int(n))
		nbrs, err := cluster.KNN{K: nn, Seed: opts.Seed}.Search(x)
		if err != nil {
			return nil, fmt.Errorf("find each paper's neighbours: %w", err)
		}
		xs = cluster.Smooth(x, nbrs, nn, 1)
	}

	m := &ThemeModel{
		Version:  themeModelVersion,
		Created:  time.Now().UTC().Truncate(time.Second),
		Embedder: c.emb.Info(),
		Seed:     opts.Seed,
		Papers:   n,
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.K == 0 {
		if n < 3 {
			km.K = 1
		} else {
			maxK := opts.MaxK
			if maxK == 0 {
				maxK = defaultMaxK(n)
			}
			lo, hi := max(opts.MinK, 2), max(maxK, opts.MinK)
			ck := cluster.ChooseK{Min: opts.MinK, Max: hi, Seed: opts.Seed, KMeans: km}
			if n > largeCorpus {
				ck.FitRows = min(kSampleSize, n)
				m.KSample = ck.FitRows
				stage("choosing k: k-means for k = %d to %d on a sample of %s papers", lo, hi, format.Int(ck.FitRows))
			} else {
				stage("choosing k: k-means for k = %d to %d", lo, hi)
			}
			best, scores, err := ck.Choose(xs)
			if err != nil {
				return nil, fmt.Errorf("choose the number of themes: %w", err)
			}
			// The highest silhouette wins; ChooseK's own pick (the smallest k
			// within a standard error of the best) is too coarse on small
			// corpora, where the error of a silhouette mean is large.
			for _, sc := range scores {
				if sc.Silhouette > scoreOf(scores, best) {
					best = sc.K
				}
			}
			km.K, m.Auto, m.KScores = best, true, scores
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var res *cluster.Result
	var err error
	if n > largeCorpus {
		stage("mini-batch k-means with k = %d on %s papers", km.K, format.Int(n))
		m.MiniBatch = true
		res, err = cluster.MiniBatchKMeans{K: km.K, Seed: opts.Seed, Restarts: opts.Restarts, Spherical: true}.Fit(xs)
	} else {
		stage("k-means with k = %d", km.K)
		res, err = km.Fit(xs)
	}
	if err != nil {
		return nil, fmt.Errorf("k-means with k=%d: %w", km.K, err)
	}
	m.K, m.Inertia = km.K, res.Inertia
	if xs.Data != nil && &xs.Data[0] != &x.Data[0] {
		// Centres of the papers' own vectors, so that new papers (which
		// are not smoothed) are placed against comparable centres.
		res.Centroids = meanDirections(x, res.Labels, km.K, res.Centroids)
	}
	if km.K > 1 {
		m.Silhouette = cluster.Silhouette(x, res.Labels, 2000, opts.Seed, true)
	}

	// Keywords from the members' titles and abstracts.
	stage("naming the themes from their papers' words")
	kwLabels := res.Labels
	if n > largeCorpus {
		kwLabels = capPerLabel(res.Labels, km.K, keywordSampleSize, opts.Seed)
	}
	docs := make([][]string, n)
	for i, id := range ids {
		if kwLabels[i] < 0 {
			continue // not in the sample: ignored by Keywords
		}
		r, _ := c.store.Get(id)
		docs[i] = lexical.Tokenize(embedText(r))
	}
	kws := cluster.Keywords(docs, kwLabels, km.K, cluster.KeywordOptions{N: opts.Keywords, Bigrams: true})
	docs = nil
	reps := cluster.Representatives(x, res.Labels, res.Centroids, opts.Representatives, true)

	themes := make([]Theme, km.K)
	for t := range themes {
		themes[t].ID = t
		themes[t].Label = cluster.Label(kws[t], 3)
		themes[t].Keywords = make([]string, 0, len(kws[t]))
		for _, kw := range kws[t] {
			themes[t].Keywords = append(themes[t].Keywords, kw.Term)
		}
		for _, i := range reps[t] {
			themes[t].Representatives = append(themes[t].Representatives, ids[i])
		}
	}
	for i, l := range res.Labels {
		themes[l].Members = append(themes[l].Members, ids[i])
	}
	centroids := rows(res.Centroids)

	// Number themes by size, largest first; ties by first member ID.
	order := make([]int, km.K)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ta, tb := themes[order[a]], themes[order[b]]
		if len(ta.Members) != len(tb.Members) {
			return len(ta.Members) > len(tb.Members)
		}
		return firstOr(ta.Members) < firstOr(tb.Members)
	})
	for newID, old := range order {
		t := themes[old]
		t.ID = newID
		t.Size = len(t.Members)
		if t.Members == nil {
			t.Members = []string{}
		}
		m.Themes = append(m.Themes, t)
		m.Centroids = append(m.Centroids, centroids[old])
	}

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n >= 3 {
		stage("projecting the papers to two dimensions for the map")
		pca, err := cluster.FitPCA(x, 2, cluster.PCAOptions{Seed: opts.Seed})
		if err != nil {
			return nil, fmt.Errorf("project to two dimensions: %w", err)
		}
		m.Mean, m.Axes = pca.Mean, rows(pca.Components)
	}
	m.Fingerprint = c.fingerprint()
	if !c.opts.ReadOnly {
		if err := c.saveThemes(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// capPerLabel returns labels with all but at most size rows of each label
// set to -1: a random sample of each label's rows drawn with seed (rows are
// in ID order, so it depends on the papers and the seed only).
func capPerLabel(labels []int, k, size int, seed uint64) []int {
	out := make([]int, len(labels))
	for i := range out {
		out[i] = -1
	}
	count := make([]int, k)
	rng := rand.New(rand.NewPCG(seed, 0x6b6579776f726473)) // "keywords"
	for _, i := range rng.Perm(len(labels)) {
		if l := labels[i]; count[l] < size {
			count[l]++
			out[i] = l
		}
	}
	return out
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func rows(g blas32.General) [][]float32 {
	out := make([][]float32, g.Rows)
	for i := range out {
		out[i] = append([]float32(nil), g.Data[i*g.Stride:i*g.Stride+g.Cols]...)
	}
	return out
}

func (c *Corpus) saveThemes(m *ThemeModel) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode the theme model: %w", err)
	}
	if err := c.store.WriteFile(themeModelFile, data); err != nil {
		return fmt.Errorf("save the theme model: %w", err)
	}
	return nil
}

// LoadThemes returns the theme model saved in the store, or ErrNoThemes.
func (c *Corpus) LoadThemes() (*ThemeModel, error) {
	data, err := c.store.ReadFile(themeModelFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoThemes
	}
	if err != nil {
		return nil, err
	}
	var m ThemeModel
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("store %s: theme model %s is damaged (%v): run `papermap themes` to recompute it", c.store.Dir(), themeModelFile, err)
	}
	if m.Version != themeModelVersion {
		return nil, fmt.Errorf("store %s: theme model version %d is not supported by this papermap (wants %d): run `papermap themes` to recompute it", c.store.Dir(), m.Version, themeModelVersion)
	}
	if m.Embedder != c.emb.Info() {
		return nil, fmt.Errorf("store %s: theme model was computed on other vectors: run `papermap themes` to recompute it", c.store.Dir())
	}
	return &m, nil
}

// fingerprint summarises the stored IDs and contents.
func (c *Corpus) fingerprint() string {
	h := sha256.New()
	for _, id := range c.store.IDs() {
		hash, _ := c.store.Lookup(id)
		h.Write([]byte(id))
		h.Write([]byte{0})
		h.Write([]byte(hash))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Staleness says how the stored papers differ from those a theme model was
// computed from.
type Staleness struct {
	Stale   bool `json:"stale"`
	New     int  `json:"new"`     // stored papers the model has not seen
	Removed int  `json:"removed"` // papers the model has that are no longer stored
}

// Staleness compares m with the papers now stored.
func (c *Corpus) Staleness(m *ThemeModel) Staleness {
	if c.fingerprint() == m.Fingerprint {
		return Staleness{}
	}
	seen := make(map[string]bool, m.Papers)
	for _, t := range m.Themes {
		for _, id := range t.Members {
			seen[id] = true
		}
	}
	s := Staleness{Stale: true}
	for _, id := range c.store.IDs() {
		if !seen[id] {
			s.New++
		}
		delete(seen, id)
	}
	s.Removed = len(seen)
	return s
}

// Assignment places every stored paper in a theme of m: the papers m was
// computed from keep their theme, papers added since get the theme of the
// nearest centroid. The result maps paper ID to theme ID and covers every
// stored paper exactly once.
func (c *Corpus) Assignment(m *ThemeModel) map[string]int {
	ids := c.store.IDs()
	out := make(map[string]int, len(ids))
	for _, t := range m.Themes {
		for _, id := range t.Members {
			out[id] = t.ID
		}
	}
	var fresh []string
	live := make(map[string]bool, len(ids))
	for _, id := range ids {
		live[id] = true
		if _, ok := out[id]; !ok {
			fresh = append(fresh, id)
		}
	}
	for id := range out {
		if !live[id] {
			delete(out, id)
		}
	}
	if len(fresh) == 0 || len(m.Centroids) == 0 {
		return out
	}
	dim := len(m.Centroids[0])
	x := blas32.General{Rows: len(fresh), Cols: dim, Stride: dim, Data: make([]float32, 0, len(fresh)*dim)}
	for _, id := range fresh {
		r, _ := c.store.Get(id)
		x.Data = append(x.Data, r.Embedding...)
	}
	cent := blas32.General{Rows: len(m.Centroids), Cols: dim, Stride: dim}
	for _, v := range m.Centroids {
		cent.Data = append(cent.Data, v...)
	}
	labels, _ := cluster.Assign(x, cent, true)
	for i, id := range fresh {
		out[id] = labels[i]
	}
	return out
}

// CurrentThemes returns the saved themes with every stored paper placed:
// members added since the model was computed are included (by nearest
// centroid) and papers no longer stored are dropped. Sizes and members are
// updated accordingly; keywords and labels are those of the saved model.
func (c *Corpus) CurrentThemes(m *ThemeModel) []Theme {
	assign := c.Assignment(m)
	out := make([]Theme, len(m.Themes))
	for i, t := range m.Themes {
		out[i] = t
		out[i].Members = []string{}
	}
	for _, id := range c.store.IDs() {
		t := assign[id]
		out[t].Members = append(out[t].Members, id)
	}
	for i := range out {
		out[i].Size = len(out[i].Members)
	}
	return out
}

// meanDirections returns, per cluster, the unit-length mean of its members'
// rows; an empty cluster keeps its previous centre.
func meanDirections(x blas32.General, labels []int, k int, prev blas32.General) blas32.General {
	d := x.Cols
	sum := make([]float64, k*d)
	for i, l := range labels {
		for t, v := range x.Data[i*x.Stride : i*x.Stride+d] {
			sum[l*d+t] += float64(v)
		}
	}
	out := blas32.General{Rows: k, Cols: d, Stride: d, Data: make([]float32, k*d)}
	for c := 0; c < k; c++ {
		var s float64
		for _, v := range sum[c*d : (c+1)*d] {
			s += v * v
		}
		if s == 0 {
			copy(out.Data[c*d:(c+1)*d], prev.Data[c*prev.Stride:c*prev.Stride+d])
			continue
		}
		inv := 1 / math.Sqrt(s)
		for t := 0; t < d; t++ {
			out.Data[c*d+t] = float32(sum[c*d+t] * inv)
		}
	}
	return out
}

func scoreOf(scores []cluster.KScore, k int) float64 {
	for _, s := range scores {
		if s.K == k {
			return s.Silhouette
		}
	}
	return math.Inf(-1)
}
