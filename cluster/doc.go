// Package cluster groups embedding vectors into themes and describes them: k-means
// (full and mini-batch), PCA, the choice of k, keywords and labels per theme, and
// the usual clustering quality metrics. It is pure mathematics on gonum types: no
// I/O, no context, no global state.
//
// # Data
//
// Data is a gonum blas32.General: Rows points of Cols dimensions, row-major with
// a Stride. Everything is float32 except where precision matters (norms, sums
// of many values, covariance, inertia: float64). No function copies the data or
// keeps a reference to it after returning, except where a result documents it.
//
// # Clustering
//
//	res, err := cluster.KMeans{K: 8, Seed: 1, Spherical: true}.Fit(x)
//	// res.Labels[i] ∈ [0, 8), res.Centroids is 8×d, res.Inertia = Σ(1 − cos)
//
// KMeans is Lloyd's algorithm from greedy k-means++ seeds (scikit-learn's
// variant), several restarts keeping the lowest inertia, and scikit-learn's
// stopping rules. Spherical selects cosine geometry (spherical k-means), the
// right one for text embeddings: points are compared by direction, centroids are
// unit vectors. Empty clusters are re-seeded with the points farthest from their
// centroids. MiniBatchKMeans follows scikit-learn's MiniBatchKMeans for data too
// large to sweep a hundred times. Assign labels new points with fitted centroids;
// Representatives lists the members nearest each centroid.
//
// ChooseK picks k by stability (Clest, Dudoit and Fridlyand 2002): for each k,
// k-means fits on subsamples with different seeds label every row, and their
// mean pairwise adjusted Rand index is compared with the same on reference data
// of the same mean and covariance without clusters; the k whose partitions are
// the most stable beyond the reference wins. Neither term grows with k by
// construction, unlike the mean silhouette of text embeddings. It reports every
// score. ThemeStability gives each cluster's mean best-match Jaccard index
// across such fits (Hennig 2007). Silhouette, VMeasure, NMI and ARI measure a
// labelling (the last three against known classes) and agree with
// scikit-learn's functions of the same names.
//
// # Projection
//
// FitPCA finds principal components: exactly (covariance in one pass, then
// Lanczos) when d ≤ 1024, or by randomized subspace iteration. Components have a
// deterministic sign (largest entry positive). PCA.Transform projects rows.
//
// # Describing clusters
//
// Keywords ranks each cluster's terms by their contribution to the
// Kullback-Leibler divergence of the cluster's pooled words from the corpus's,
// p_c(t)·ln(p_c(t)/p(t)) (class-based like BERTopic's c-TF-IDF, but not TF-IDF),
// over already-tokenised documents, with optional bigrams; inflected forms are
// one term (WordForm) and phrases are preferred over their words. Label turns
// the top keywords into a short name such as "control variates / monte carlo";
// StripMarkup removes TeX, HTML and URLs from texts first. Diversity and the
// NPMI coherence of FitThemes measure the keywords as the BERTopic paper does.
//
// # Themes
//
// FitThemes is the whole theme pipeline, set by ThemeSettings (each field states
// its default): smoothing over nearest neighbours, the choice of k, k-means or
// (on large corpora) mini-batch k-means refined by Lloyd iterations on all
// papers, a finer level of sub-themes and, above 20 themes, a
// broader level (above FitRows papers all of these are fitted on a seeded
// sample, and every paper joins the theme, then the sub-theme of it, whose
// sampled members' mean direction is nearest), then stability, keywords, labels, boilerplate flags,
// coherence, representatives and a 2-D projection. Its independent fits (the
// choice of k's, one sub-theme split per theme) run concurrently, one per
// thread. Above FitRows papers, ThemeInput.Scan can hand out the vectors block
// by block instead of one matrix: only the sample is then held, and the others
// are read in a few passes (a store's own memory need not be copied). Its
// result, for a map:
//
//	m, err := cluster.FitThemes(cluster.ThemeInput{Vectors: x, Text: text, Tokenize: tok}, cluster.ThemeSettings{Seed: 1})
//	for l, level := range m.Levels {      // broadest first; m.Levels[m.Chosen] has m.K themes
//		for _, t := range level.Themes {  // t.ID, t.Label, t.Parent (ID in level l−1, −1 at the top), t.Children
//		}
//		_ = level.Labels                  // Labels[i]: paper i's theme ID at level l (every level a partition)
//	}
//	levels := m.Place(newVectors)         // new papers: their theme at every level, consistent down the tree
//	xy := m.Project(x)                    // n×2 map coordinates
//
// A Namer (ThemeSettings.Namer) can replace the keyword labels, level by level
// from the finest, for example with names from a language model.
//
// # Invariants
//
//   - Determinism: the same input and Seed give bit-identical output whatever
//     Threads or GOMAXPROCS. Work is split into fixed index ranges whose partial
//     results are combined in a fixed order; every dot product is computed by the
//     same instruction sequence wherever it falls.
//   - KMeans with bounds (the default) gives exactly the result of plain Lloyd
//     iterations: Hamerly's bounds skip a distance computation only when the
//     answer is certain even after float32 rounding.
//   - Errors: bad data (NaN or infinite values, zero rows in cosine geometry, too
//     few rows) and bad settings return errors matching ErrNotFinite,
//     ErrZeroVector, ErrTooFewPoints or ErrBadOption with errors.Is. Malformed
//     matrices and mismatched lengths are programmer errors and panic with a
//     "cluster: " prefix.
//
// # Speed
//
// The O(n·k·d) work (assignment, seeding, covariance, projection, silhouette
// distances) runs through one tile kernel that computes the dot products of four
// rows with three centroids: AVX2+FMA assembly on amd64, portable Go elsewhere
// or with the noasm build tag. Distances use ‖x‖² − 2x·c + ‖c‖². See
// bench/RESULTS.md for measurements against scikit-learn and FAISS.
package cluster
