package corpus

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/lexical"
)

// themeModelFile is the store file holding the saved theme model.
const themeModelFile = "themes.json"

// themeModelVersion is bumped when ThemeModel changes incompatibly.
const themeModelVersion = 2

// ThemeOptions are the settings of ComputeThemes: cluster's, whose comments
// state every default.
type ThemeOptions = cluster.ThemeSettings

// Theme is one theme of the chosen level, as `papermap themes --json`
// prints it.
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
	// Stability, Unstable, Boilerplate and Coherence are cluster.Theme's.
	Stability   float64 `json:"stability"`
	Unstable    bool    `json:"unstable,omitempty"`
	Boilerplate bool    `json:"boilerplate,omitempty"`
	Coherence   float64 `json:"coherence"`
}

// TreeTheme is one theme of one level of the hierarchy, as `papermap themes
// --json` prints it under "hierarchy".
type TreeTheme struct {
	ID          int      `json:"id"`
	Label       string   `json:"label"`
	Keywords    []string `json:"keywords"`
	Size        int      `json:"size"`
	Parent      int      `json:"parent"`
	Children    []int    `json:"children"`
	Stability   float64  `json:"stability"`
	Unstable    bool     `json:"unstable,omitempty"`
	Boilerplate bool     `json:"boilerplate,omitempty"`
	Coherence   float64  `json:"coherence"`
}

// ThemeModel is a computed theme hierarchy (cluster.ThemeModel, whose fields
// it shows) with the IDs of the papers it was computed from, saved in the
// store. Themes and Centroids are the chosen level's, derived on load.
type ThemeModel struct {
	Version  int        `json:"version"`
	Created  time.Time  `json:"created"`
	Embedder embed.Info `json:"embedder"`
	Seed     uint64     `json:"seed"`
	// IDs are the papers in the row order of the tree's labels (sorted).
	IDs []string `json:"ids"`
	*cluster.ThemeModel

	Themes    []Theme     `json:"-"`
	Centroids [][]float32 `json:"-"`

	// Fingerprint identifies the stored papers (IDs and contents) the model
	// was computed from; it differs once papers are added or changed.
	Fingerprint string `json:"fingerprint"`
	Papers      int    `json:"papers"`

	// Reembedded is set by Reindex (and so by an automatic refit): the
	// papers were embedded again after the model was computed. The themes,
	// their members and names still describe the library, but the
	// centroids and axes are in the old vector space: the model is stale,
	// Map and Report refuse it, and `papermap themes` computes it again.
	Reembedded bool `json:"reembedded,omitempty"`
}

// ErrThemesReembedded is returned by Map and Report for a theme model whose
// papers were embedded again since it was computed (ThemeModel.Reembedded).
var ErrThemesReembedded = errors.New("the themes were computed on the vectors before the last reindex: run `papermap themes` to compute them again")

// ErrNoThemes is returned when themes are needed but none were computed.
var ErrNoThemes = errors.New("no themes computed yet: run `papermap themes`")

// ComputeThemes groups the stored papers into a theme hierarchy with
// cluster.FitThemes, saves it in the store (unless the corpus is read-only)
// and returns it.
func (c *Corpus) ComputeThemes(ctx context.Context, opts ThemeOptions) (*ThemeModel, error) {
	// The fingerprint of the papers the themes are computed from, taken
	// before the computation reads them.
	fp := c.fingerprint()
	in, ids, err := c.themeInput()
	if err != nil {
		return nil, err
	}
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tree, err := cluster.FitThemes(in, opts)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := &ThemeModel{
		Version:     themeModelVersion,
		Created:     time.Now().UTC().Truncate(time.Second),
		Embedder:    c.emb.Info(),
		Seed:        opts.Seed,
		IDs:         ids,
		ThemeModel:  tree,
		Fingerprint: fp,
		Papers:      n,
	}
	m.derive()
	if !c.opts.ReadOnly {
		if err := c.saveThemes(m); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// matrixScanner is a store that hands out its vectors block by block
// without copying them all (vectorstore.Store.ScanMatrix).
type matrixScanner interface {
	ScanMatrix(rows int, f func(lo int, block []float32) error) error
}

// scanRows is the number of papers in one block of a scan of the vectors.
const scanRows = 16384

// errStoreChanged is returned when the stored papers change while the
// themes are computed from them.
var errStoreChanged = errors.New("the store changed while the themes were computed: run `papermap themes` again")

// themeInput is what cluster.FitThemes reads: the stored papers' vectors,
// in ID order (scanned from a store that can, copied otherwise), and their
// texts; and the sorted IDs.
func (c *Corpus) themeInput() (cluster.ThemeInput, []string, error) {
	in := cluster.ThemeInput{Tokenize: lexical.Tokenize}
	var ids []string
	if sc, ok := c.store.(matrixScanner); ok {
		ids = c.store.IDs()
		n, dim := len(ids), 0
		// The dimension: the width of the first block.
		err := sc.ScanMatrix(1, func(_ int, block []float32) error {
			dim = len(block)
			return errStop
		})
		if err != nil && !errors.Is(err, errStop) {
			return in, nil, err
		}
		in.Vectors = blas32.General{Rows: n, Cols: dim}
		in.Scan = func(f func(lo int, block blas32.General) error) error {
			next := 0
			err := sc.ScanMatrix(scanRows, func(lo int, block []float32) error {
				rows := len(block) / dim
				if lo != next || len(block) != rows*dim || lo+rows > n {
					return errStoreChanged
				}
				next = lo + rows
				return f(lo, blas32.General{Rows: rows, Cols: dim, Stride: dim, Data: block})
			})
			if err == nil && next != n {
				err = errStoreChanged
			}
			return err
		}
	} else {
		var data []float32
		var dim int
		ids, data, dim = c.store.Matrix()
		in.Vectors = blas32.General{Rows: len(ids), Cols: dim, Stride: dim, Data: data}
	}
	in.Text = func(i int) string {
		r, _ := c.store.Get(ids[i])
		return embedText(r)
	}
	return in, ids, nil
}

// errStop ends a scan early.
var errStop = errors.New("stop")

// derive sets Themes and Centroids from the chosen level.
func (m *ThemeModel) derive() {
	lv := m.Levels[m.Chosen]
	m.Themes = make([]Theme, len(lv.Themes))
	m.Centroids = make([][]float32, len(lv.Themes))
	for j, t := range lv.Themes {
		th := Theme{ID: t.ID, Label: t.Label, Keywords: t.Keywords, Size: t.Size, Members: []string{},
			Stability: t.Stability, Unstable: t.Unstable, Boilerplate: t.Boilerplate, Coherence: t.Coherence}
		for _, i := range t.Representatives {
			th.Representatives = append(th.Representatives, m.IDs[i])
		}
		m.Themes[j] = th
		m.Centroids[j] = t.Centroid
	}
	for i, l := range lv.Labels {
		m.Themes[l].Members = append(m.Themes[l].Members, m.IDs[i])
	}
}

// Hierarchy returns the levels of the model, broadest first, each a list of
// its themes.
func (m *ThemeModel) Hierarchy() [][]TreeTheme {
	out := make([][]TreeTheme, len(m.Levels))
	for l, lv := range m.Levels {
		for _, t := range lv.Themes {
			ch := t.Children
			if ch == nil {
				ch = []int{}
			}
			out[l] = append(out[l], TreeTheme{ID: t.ID, Label: t.Label, Keywords: t.Keywords, Size: t.Size, Parent: t.Parent, Children: ch,
				Stability: t.Stability, Unstable: t.Unstable, Boilerplate: t.Boilerplate, Coherence: t.Coherence})
		}
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
	if m.Embedder != c.emb.Info() && !m.Reembedded {
		return nil, fmt.Errorf("store %s: theme model was computed on other vectors: run `papermap themes` to recompute it", c.store.Dir())
	}
	if m.ThemeModel == nil || len(m.Levels) == 0 || m.Chosen >= len(m.Levels) || len(m.Levels[m.Chosen].Labels) != len(m.IDs) {
		return nil, fmt.Errorf("store %s: theme model %s is incomplete: run `papermap themes` to recompute it", c.store.Dir(), themeModelFile)
	}
	m.derive()
	return &m, nil
}

// fingerprintFile keeps the last fingerprint a writer took, under the
// store's log stamp (vectorstore.Store.LogStamp): "stamp\nfingerprint\n".
const fingerprintFile = "records.fingerprint"

// fingerprint summarises the stored IDs and contents. Hashing them all
// takes 0.15 s of CPU at a million papers, before every hybrid search: a
// fingerprint is kept in memory and, by a writer, in fingerprintFile,
// under the log's stamp, and used again while the stamp is the same (the
// same log holds the same records). The file is a cache: one that is
// missing, unreadable or of another stamp is ignored.
func (c *Corpus) fingerprint() string {
	ls, ok := c.store.(interface{ LogStamp() (string, error) })
	if !ok {
		return c.hashRecords()
	}
	stamp, err := ls.LogStamp()
	if err != nil {
		return c.hashRecords()
	}
	c.fp.mu.Lock()
	defer c.fp.mu.Unlock()
	if c.fp.stamp == stamp {
		return c.fp.value
	}
	if fp, ok := c.keptFingerprint(stamp); ok {
		c.fp.stamp, c.fp.value = stamp, fp
		return fp
	}
	fp := c.hashRecords()
	c.fp.stamp, c.fp.value = stamp, fp
	if !c.opts.ReadOnly {
		// A cache: a write that fails costs the next reader the hashing.
		_ = c.store.WriteFile(fingerprintFile, []byte(stamp+"\n"+fp+"\n"))
	}
	return fp
}

// keptFingerprint returns the fingerprint in fingerprintFile when it is
// kept under stamp.
func (c *Corpus) keptFingerprint(stamp string) (string, bool) {
	data, err := c.store.ReadFile(fingerprintFile)
	if err != nil {
		return "", false
	}
	s, fp, ok := strings.Cut(strings.TrimSuffix(string(data), "\n"), "\n")
	return fp, ok && s == stamp && len(fp) == 32
}

// keepFingerprint makes a writer leave fingerprintFile for the records as
// they are, when it is missing or of another stamp: a store written before
// the file, or by a writer that stored nothing (which takes no
// fingerprint), would otherwise make every hybrid reader hash every record
// (3.6 s at a million papers). Close calls it; the hashing it may cost is
// the one each reader would pay. A failure to write is ignored, as in
// fingerprint (the file is a cache).
func (c *Corpus) keepFingerprint() {
	if c.opts.ReadOnly || c.store.Len() == 0 {
		return
	}
	ls, ok := c.store.(interface{ LogStamp() (string, error) })
	if !ok {
		return
	}
	stamp, err := ls.LogStamp()
	if err != nil {
		return
	}
	if _, ok := c.keptFingerprint(stamp); ok {
		return
	}
	fp := c.fingerprint() // writes the file when it hashes
	if _, ok := c.keptFingerprint(stamp); !ok {
		_ = c.store.WriteFile(fingerprintFile, []byte(stamp+"\n"+fp+"\n"))
	}
}

// hashRecords is the fingerprint: the first 16 bytes of the SHA-256 of
// every ID and hash (HashRecord), in ID order, each followed by a zero.
func (c *Corpus) hashRecords() string {
	h := sha256.New()
	if hs, ok := c.store.(interface{ IDHashes() ([]string, []string) }); ok {
		ids, hashes := hs.IDHashes()  // the same pairs in one pass
		buf := make([]byte, 0, 1<<16) // the same bytes, written in blocks
		for i, id := range ids {
			if len(buf) > 1<<16-len(id)-len(hashes[i])-2 {
				h.Write(buf)
				buf = buf[:0]
			}
			buf = append(append(append(append(buf, id...), 0), hashes[i]...), 0)
		}
		h.Write(buf)
		return hex.EncodeToString(h.Sum(nil)[:16])
	}
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
	// Reembedded: the papers were embedded again since (ThemeModel.Reembedded).
	Reembedded bool `json:"reembedded,omitempty"`
}

// Staleness compares m with the papers now stored.
func (c *Corpus) Staleness(m *ThemeModel) Staleness {
	if c.fingerprint() == m.Fingerprint {
		return Staleness{Stale: m.Reembedded, Reembedded: m.Reembedded}
	}
	seen := make(map[string]bool, m.Papers)
	for _, t := range m.Themes {
		for _, id := range t.Members {
			seen[id] = true
		}
	}
	s := Staleness{Stale: true, Reembedded: m.Reembedded}
	for _, id := range c.store.IDs() {
		if !seen[id] {
			s.New++
		}
		delete(seen, id)
	}
	s.Removed = len(seen)
	return s
}

// Assignment places every stored paper in a theme of m's chosen level: the
// papers m was computed from keep their theme, papers added since are placed
// by the model (cluster.ThemeModel.Place). The result maps paper ID to theme
// ID and covers every stored paper exactly once.
func (c *Corpus) Assignment(m *ThemeModel) map[string]int {
	ids, levels := c.PlaceAll(m)
	out := make(map[string]int, len(ids))
	for i, id := range ids {
		out[id] = levels[m.Chosen][i]
	}
	return out
}

// PlaceAll returns the stored papers' IDs (sorted) and, for every level of
// m (broadest first), each paper's theme ID: the papers m was computed from
// keep their themes, papers added since are placed in the whole tree
// (cluster.ThemeModel.Place).
func (c *Corpus) PlaceAll(m *ThemeModel) (ids []string, levels [][]int) {
	known := make(map[string]int, len(m.IDs))
	for i, id := range m.IDs {
		known[id] = i
	}
	ids = c.store.IDs()
	levels = make([][]int, len(m.Levels))
	for l := range levels {
		levels[l] = make([]int, len(ids))
	}
	var fresh []int
	for q, id := range ids {
		i, ok := known[id]
		if !ok {
			fresh = append(fresh, q)
			continue
		}
		for l, lv := range m.Levels {
			levels[l][q] = lv.Labels[i]
		}
	}
	if len(fresh) == 0 {
		return ids, levels
	}
	var x blas32.General
	for _, q := range fresh {
		r, _ := c.store.Get(ids[q])
		if x.Cols == 0 {
			x.Cols, x.Stride = len(r.Embedding), len(r.Embedding)
		}
		x.Data = append(x.Data, r.Embedding...)
		x.Rows++
	}
	placed := m.Place(x)
	for j, q := range fresh {
		for l := range levels {
			levels[l][q] = placed[l][j]
		}
	}
	return ids, levels
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
