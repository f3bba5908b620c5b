package lexical

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// This file is a quality probe, not a clustering package: it fits LSA on
// the arXiv testdata, groups the vectors with a small spherical k-means and
// scores the groups against the arXiv archive with the V-measure, so that
// the lexical defaults can be compared with scikit-learn
// (bench/sklearn_vmeasure.py).

// vMeasure is the V-measure (Rosenberg and Hirschberg 2007) of a clustering
// against classes, with β = 1: the harmonic mean of homogeneity
// 1 - H(C|K)/H(C) and completeness 1 - H(K|C)/H(K), natural logarithms,
// and homogeneity (completeness) 1 when H(C) (H(K)) is 0, as in
// scikit-learn's v_measure_score.
func vMeasure(classes, clusters []int) float64 {
	n := float64(len(classes))
	joint := map[[2]int]float64{}
	pc := map[int]float64{}
	pk := map[int]float64{}
	for i := range classes {
		joint[[2]int{classes[i], clusters[i]}]++
		pc[classes[i]]++
		pk[clusters[i]]++
	}
	entropy := func(p map[int]float64) float64 {
		var h float64
		for _, c := range p {
			h -= c / n * math.Log(c/n)
		}
		return h
	}
	hc, hk := entropy(pc), entropy(pk)
	var hcGivenK, hkGivenC float64
	for ck, c := range joint {
		hcGivenK -= c / n * math.Log(c/pk[ck[1]])
		hkGivenC -= c / n * math.Log(c/pc[ck[0]])
	}
	h, c := 1.0, 1.0
	if hc > 0 {
		h = 1 - hcGivenK/hc
	}
	if hk > 0 {
		c = 1 - hkGivenC/hk
	}
	if h+c == 0 {
		return 0
	}
	return 2 * h * c / (h + c)
}

func TestVMeasure(t *testing.T) {
	// Hand computations (natural logarithms):
	//  - classes [0 0 1 1], clusters [0 0 1 2]: homogeneity 1; H(K) =
	//    1.0397208 (cluster sizes 2, 1, 1 of 4), H(K|C) = ½·ln 2 = 0.3465736,
	//    completeness 2/3, V = 2·1·(2/3)/(5/3) = 0.8 (also the value in
	//    scikit-learn's v_measure_score documentation);
	//  - a relabelled perfect clustering scores 1;
	//  - one cluster for two equal classes: homogeneity 0, so V = 0;
	//  - classes [0 0 0 1 1 1], clusters [0 0 1 1 2 2]: H(C) = ln 2,
	//    H(C|K) = ⅓·ln 2, homogeneity 2/3; H(K) = ln 3, H(K|C) =
	//    −(⅔·ln ⅔ + ⅓·ln ⅓) = 0.6365142, completeness 1 − 0.6365142/1.0986123
	//    = 0.4206198; V = 0.5158037 (scikit-learn 1.2.1 agrees).
	tests := []struct {
		name              string
		classes, clusters []int
		want              float64
	}{
		{"scikit-learn documentation example", []int{0, 0, 1, 1}, []int{0, 0, 1, 2}, 0.8},
		{"perfect, relabelled", []int{0, 0, 1, 1, 2}, []int{5, 5, 3, 3, 9}, 1},
		{"one cluster", []int{0, 0, 1, 1}, []int{0, 0, 0, 0}, 0},
		{"2:1 splits", []int{0, 0, 0, 1, 1, 1}, []int{0, 0, 1, 1, 2, 2}, 0.5158037},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := vMeasure(tt.classes, tt.clusters); math.Abs(got-tt.want) > 1e-6 {
				t.Errorf("vMeasure = %.7f, want %.7f", got, tt.want)
			}
		})
	}
}

// sphericalKMeans clusters unit vectors by cosine similarity: k-means++
// seeding (distance 1 − cos), Lloyd iterations with unit-length centroids,
// the best of restarts runs by total similarity. Deterministic for a seed.
func sphericalKMeans(vecs [][]float32, k, restarts int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 77))
	dim := len(vecs[0])
	dot := func(a []float32, b []float64) float64 {
		var s float64
		for i, x := range a {
			s += float64(x) * b[i]
		}
		return s
	}
	var best []int
	bestScore := math.Inf(-1)
	for range restarts {
		cent := make([][]float64, 0, k)
		add := func(v []float32) {
			c := make([]float64, dim)
			for i, x := range v {
				c[i] = float64(x)
			}
			cent = append(cent, c)
		}
		add(vecs[rng.IntN(len(vecs))])
		dist := make([]float64, len(vecs))
		for i := range dist {
			dist[i] = math.Inf(1)
		}
		for len(cent) < k {
			var total float64
			for i, v := range vecs {
				dist[i] = min(dist[i], max(0, 1-dot(v, cent[len(cent)-1])))
				total += dist[i]
			}
			r := rng.Float64() * total
			pick := len(vecs) - 1
			for i, d := range dist {
				if r -= d; r < 0 {
					pick = i
					break
				}
			}
			add(vecs[pick])
		}
		labels := make([]int, len(vecs))
		var score float64
		for iter := 0; iter < 100; iter++ {
			changed := iter == 0
			score = 0
			for i, v := range vecs {
				bi, bs := 0, math.Inf(-1)
				for c := range cent {
					if s := dot(v, cent[c]); s > bs {
						bi, bs = c, s
					}
				}
				if labels[i] != bi {
					labels[i], changed = bi, true
				}
				score += bs
			}
			if !changed {
				break
			}
			for c := range cent {
				clear(cent[c])
			}
			for i, v := range vecs {
				for j, x := range v {
					cent[labels[i]][j] += float64(x)
				}
			}
			for c := range cent {
				var s float64
				for _, x := range cent[c] {
					s += x * x
				}
				if s == 0 { // empty cluster: reseed on a random vector
					for j, x := range vecs[rng.IntN(len(vecs))] {
						cent[c][j] = float64(x)
					}
					continue
				}
				s = math.Sqrt(s)
				for j := range cent[c] {
					cent[c][j] /= s
				}
			}
		}
		if score > bestScore {
			best, bestScore = labels, score
		}
	}
	return best
}

// arxivVMeasure fits LSA on the arXiv testdata with opts and returns the
// V-measure of an 18-way spherical k-means (10 restarts, seed) against the
// archives.
func arxivVMeasure(t *testing.T, opts Options, seed uint64) float64 {
	t.Helper()
	docs := readArxiv(t)
	texts := make([]string, len(docs))
	classIDs := map[string]int{}
	classes := make([]int, len(docs))
	for i, d := range docs {
		texts[i] = d.text
		if _, ok := classIDs[d.archive]; !ok {
			classIDs[d.archive] = len(classIDs)
		}
		classes[i] = classIDs[d.archive]
	}
	opts.Seed = seed
	_, vecs, err := Fit(context.Background(), texts, opts)
	if err != nil {
		t.Fatal(err)
	}
	return vMeasure(classes, sphericalKMeans(vecs, 18, 10, seed))
}

func TestLexicalClusterQuality(t *testing.T) {
	// Floor: the defaults at 100 dimensions scored 0.474-0.494 over seeds
	// 0-2 when this test was written (0.485 with seed 0); scikit-learn's
	// TF-IDF → LSA(100) → KMeans scores 0.464 on this machine
	// (bench/sklearn_vmeasure.py; 0.467 in the team's run). A drop below
	// 0.42 means the embedder got worse.
	if raceEnabled || testing.Short() {
		t.Skip("a quality probe, not a concurrency test: run it without -race and -short")
	}
	if v := arxivVMeasure(t, Options{Dimensions: 100}, 0); v < 0.42 {
		t.Errorf("V-measure %.3f, want ≥ 0.42", v)
	}
}

// TestLexicalClusterQualitySweep checks the token rules and dimensions a
// user may choose against the V-measure floor, and that the default rules
// (drop numbers and one-character tokens) are not clearly worse than the
// alternatives: at every dimension the default's mean over seeds 0-2 is
// within maxBehind of the best variant's. When this test was written
// (2026-12-06, amd64) the means ×100 were, for d = 50, 100, 150, 256:
// default 46.9 48.4 47.3 47.3; keep numbers 46.4 47.7 47.8 46.7; keep
// 1-char 45.7 46.9 46.6 46.2; keep both 46.1 46.6 46.2 46.2; the default
// was behind by at most 0.5 (keep numbers at d = 150).
func TestLexicalClusterQualitySweep(t *testing.T) {
	// 48 fits and clusterings of the arXiv testdata: minutes, not seconds.
	if os.Getenv("PAPERMAP_LONG_TESTS") == "" {
		t.Skip("set PAPERMAP_LONG_TESTS=1 to check the V-measure of every variant")
	}
	const (
		floor     = 0.42 // as in TestLexicalClusterQuality
		maxBehind = 0.01 // one V-measure point: about the spread between seeds
	)
	variants := []struct {
		name string
		opts Options
	}{
		{"drop numbers and 1-char (default)", Options{}},
		{"keep numbers", Options{KeepNumbers: true}},
		{"keep 1-char", Options{KeepShortTokens: true}},
		{"keep both", Options{KeepNumbers: true, KeepShortTokens: true}},
	}
	dims := []int{50, 100, 150, 256}
	mean := make([][]float64, len(variants)) // [variant][dimension]
	var b strings.Builder
	fmt.Fprintf(&b, "\nV-measure ×100 on arXiv 2000 (18 archives), spherical k-means k=18, 10 restarts, mean of seeds 0,1,2\n")
	fmt.Fprintf(&b, "%-36s %8s %8s %8s %8s\n", "tokens", "d=50", "d=100", "d=150", "d=256")
	for i, v := range variants {
		fmt.Fprintf(&b, "%-36s", v.name)
		mean[i] = make([]float64, len(dims))
		for j, d := range dims {
			o := v.opts
			o.Dimensions = d
			var sum float64
			var each []string
			for seed := range uint64(3) {
				x := arxivVMeasure(t, o, seed)
				sum += x
				each = append(each, fmt.Sprintf("%.1f", 100*x))
			}
			mean[i][j] = sum / 3
			fmt.Fprintf(&b, " %8.1f", 100*mean[i][j])
			t.Logf("%s d=%d seeds: %s", v.name, d, strings.Join(each, " "))
			if mean[i][j] < floor {
				t.Errorf("%s, d=%d: mean V-measure %.3f, want ≥ %.2f", v.name, d, mean[i][j], floor)
			}
		}
		b.WriteString("\n")
	}
	t.Log(b.String())
	for j, d := range dims {
		for i := 1; i < len(variants); i++ {
			if mean[0][j] < mean[i][j]-maxBehind {
				t.Errorf("d=%d: the default token rules score %.3f, %s %.3f: more than %.2f behind, so the default should change",
					d, mean[0][j], variants[i].name, mean[i][j], maxBehind)
			}
		}
	}
}

func TestLexicalExportVectors(t *testing.T) {
	// Writes the arXiv vectors for bench/sklearn_vmeasure.py --vectors DIR,
	// which clusters them with scikit-learn's KMeans: the same clusterer on
	// both embeddings separates embedder quality from clusterer quality.
	dir := os.Getenv("PAPERMAP_EXPORT_VECTORS")
	if dir == "" {
		t.Skip("set PAPERMAP_EXPORT_VECTORS=DIR to write the arXiv LSA vectors")
	}
	var texts []string
	for _, d := range readArxiv(t) {
		texts = append(texts, d.text)
	}
	for _, d := range []int{50, 100, 150, 256} {
		for seed := range uint64(3) {
			_, vecs, err := Fit(context.Background(), texts, Options{Dimensions: d, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 0, len(vecs)*d*4)
			for _, v := range vecs {
				for _, x := range v {
					buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
				}
			}
			name := filepath.Join(dir, fmt.Sprintf("arxiv-d%d-s%d.f32", d, seed))
			if err := os.WriteFile(name, buf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
