package corpus

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/papermap/papermap/cluster"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/topicmap"
)

const arxivFile = "../testdata/arxiv-2007-04-2000.jsonl"

// ingestArxiv stores the 2,000 arXiv papers (in the order of perm, if
// given), and extra, with the lexical embedder in a new store.
func ingestArxiv(t *testing.T, perm []int, extra ...paper.Paper) *Corpus {
	t.Helper()
	papers := readArxiv(t)
	if perm != nil {
		shuffled := make([]paper.Paper, len(papers))
		for i, j := range perm {
			shuffled[i] = papers[j]
		}
		papers = shuffled
	}
	papers = append(papers, extra...)
	c, err := Open(t.Context(), filepath.Join(t.TempDir(), "store"), Options{Embedder: backend.Settings{Backend: embed.BackendLexical}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Ingest(t.Context(), papers, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	return c
}

func readArxiv(t *testing.T) []paper.Paper {
	t.Helper()
	papers, skipped, err := paper.ReadFile(arxivFile, paper.Options{})
	if err != nil || len(skipped) > 0 || len(papers) != 2000 {
		t.Fatalf("read %s: %d papers, %d skipped, %v", arxivFile, len(papers), len(skipped), err)
	}
	return papers
}

// largeSizes makes the 2,000 papers a "large corpus" for the test.
func largeSizes(t *testing.T) {
	l, k, kw := largeCorpus, kSampleSize, keywordSampleSize
	largeCorpus, kSampleSize, keywordSampleSize = 1000, 600, 40
	t.Cleanup(func() { largeCorpus, kSampleSize, keywordSampleSize = l, k, kw })
}

func TestThemesLargeCorpusPath(t *testing.T) {
	// The path a corpus of over LargeCorpus papers takes (k chosen on a
	// sample, mini-batch k-means, keywords from a sample of each theme),
	// on the 2,000 arXiv papers with the thresholds lowered: every paper
	// in one theme, the same themes whatever the order of ingestion, and
	// themes about as close to the arXiv archives as the full path's.
	largeSizes(t)
	c := ingestArxiv(t, nil)
	var stages []string
	m, err := c.ComputeThemes(t.Context(), ThemeOptions{MaxK: 20, Progress: func(s string) { stages = append(stages, s) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stages: %q", stages)
	if !m.Auto || m.KSample != 600 || !m.MiniBatch {
		t.Errorf("Auto %v, KSample %d, MiniBatch %v; want k chosen on a sample of 600 and mini-batch k-means", m.Auto, m.KSample, m.MiniBatch)
	}
	if len(m.KScores) != 19 || m.K < 2 || m.K > 20 {
		t.Errorf("k = %d from %d scores, want one of 2..20 from 19", m.K, len(m.KScores))
	}
	if len(stages) != 5 {
		t.Errorf("%d stages reported, want 5 (neighbours, choose k, k-means, keywords, projection)", len(stages))
	}
	seen := map[string]int{}
	for _, th := range m.Themes {
		if len(th.Keywords) == 0 || th.Label == "" {
			t.Errorf("theme %d (%d papers) has no keywords", th.ID, th.Size)
		}
		for _, id := range th.Members {
			seen[id]++
		}
	}
	if len(seen) != 2000 {
		t.Errorf("%d papers in the themes, want 2000", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("paper %s is in %d themes", id, n)
		}
	}

	// Against the archives, at the same k, compared with the full path.
	full := func() *ThemeModel {
		largeCorpus = 1 << 30
		defer func() { largeCorpus = 1000 }()
		fm, err := c.ComputeThemes(t.Context(), ThemeOptions{K: m.K})
		if err != nil {
			t.Fatal(err)
		}
		return fm
	}()
	vLarge, vFull := archiveVMeasure(t, c, m), archiveVMeasure(t, c, full)
	t.Logf("k = %d: V-measure against the archives %.3f (large-corpus path), %.3f (full k-means)", m.K, vLarge, vFull)
	if vLarge < vFull-0.05 {
		t.Errorf("the large-corpus path's V-measure %.3f is far below full k-means' %.3f", vLarge, vFull)
	}

	// Shuffled ingestion, same seed: the same themes.
	perm := rand.New(rand.NewPCG(7, 7)).Perm(2000)
	c2 := ingestArxiv(t, perm)
	m2, err := c2.ComputeThemes(t.Context(), ThemeOptions{MaxK: 20})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.Themes, m2.Themes) || m.K != m2.K {
		t.Errorf("shuffled input gave other themes: k %d vs %d", m.K, m2.K)
	}
}

func archiveVMeasure(t *testing.T, c *Corpus, m *ThemeModel) float64 {
	t.Helper()
	theme := map[string]int{}
	for _, th := range m.Themes {
		for _, id := range th.Members {
			theme[id] = th.ID
		}
	}
	archives := map[string]int{}
	var truth, pred []int
	for _, id := range c.Store().IDs() {
		r, ok := c.Store().Get(id)
		if !ok {
			t.Fatalf("paper %s not found", id)
		}
		a, ok := r.Metadata["archive"]
		if !ok {
			t.Fatalf("paper %s has no archive: %v", id, r.Metadata)
		}
		if _, ok := archives[a]; !ok {
			archives[a] = len(archives)
		}
		truth = append(truth, archives[a])
		pred = append(pred, theme[id])
	}
	_, _, v := cluster.VMeasure(truth, pred)
	return v
}

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

func TestReportNearDuplicatesLargeCorpus(t *testing.T) {
	// A large corpus's report finds near-duplicates among each paper's
	// nearest neighbours instead of among all pairs of a theme: on the
	// arXiv papers plus 30 planted copies (each paper copied up to three
	// times, one with a word changed), both ways list the same pairs.
	papers := readArxiv(t)
	var extra []paper.Paper
	for i := range 30 {
		p := papers[i*60]
		p.ID = fmt.Sprintf("copy-%02d", i)
		if i%3 == 1 {
			p.Abstract = strings.Replace(p.Abstract, " the ", " a ", 1)
		}
		extra = append(extra, p)
		if i%5 == 0 {
			q := p
			q.ID += "-again"
			extra = append(extra, q)
		}
	}
	c := ingestArxiv(t, nil, extra...)
	m, err := c.ComputeThemes(t.Context(), ThemeOptions{K: 18})
	if err != nil {
		t.Fatal(err)
	}
	opts := ReportOptions{MaxDuplicates: 200}
	small, err := c.Report(t.Context(), m, opts)
	if err != nil {
		t.Fatal(err)
	}
	largeSizes(t)
	large, err := c.Report(t.Context(), m, opts)
	if err != nil {
		t.Fatal(err)
	}
	pairs := func(r []topicmap.DuplicatePair) map[string]float64 {
		out := map[string]float64{}
		for _, p := range r {
			out[p.A.ID+" "+p.B.ID] = p.Cosine
		}
		return out
	}
	ps, pl := pairs(small.NearDuplicates), pairs(large.NearDuplicates)
	t.Logf("%d near-duplicate pairs by all pairs within themes, %d by neighbours", len(ps), len(pl))
	if len(ps) < 40 {
		t.Fatalf("only %d near-duplicate pairs found among all pairs: the planted copies are not there", len(ps))
	}
	// Every pair within a theme is among the neighbours' (the order of
	// pairs of equal cosine may differ by float32 rounding); the
	// neighbours also find pairs that ended in different themes.
	for k, cs := range ps {
		cl, ok := pl[k]
		if !ok {
			t.Errorf("pair %s (cosine %.4f) is missing from the neighbours' pairs", k, cs)
		} else if math.Abs(cl-cs) > 1e-4 {
			t.Errorf("pair %s: cosine %.6f by neighbours, %.6f within themes", k, cl, cs)
		}
	}
	for k, cl := range pl {
		if _, ok := ps[k]; !ok {
			t.Logf("only by neighbours: %s %.4f (the two papers are in different themes)", k, cl)
		}
	}
}
