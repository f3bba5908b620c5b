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
// ChooseK runs k-means for a range of k and picks one by mean silhouette, with the
// one-standard-error rule in favour of fewer clusters; it reports every score.
// Silhouette, VMeasure, NMI and ARI measure a labelling (the last three against
// known classes) and agree with scikit-learn's functions of the same names.
//
// # Projection
//
// FitPCA finds principal components: exactly (covariance in one pass, then
// Lanczos) when d ≤ 1024, or by randomized subspace iteration. Components have a
// deterministic sign (largest entry positive). PCA.Transform projects rows.
//
// # Describing clusters
//
// Keywords ranks each cluster's terms by class-based TF-IDF (BERTopic's c-TF-IDF)
// over already-tokenised documents, with optional bigrams; Label turns the top
// keywords into a short name such as "control variates / variance reduction".
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
