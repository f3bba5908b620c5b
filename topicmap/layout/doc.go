// Package layout places papers on a two-dimensional map so that papers that
// are near each other in the embedding space are near each other on the map.
//
// It is pure maths: row vectors in, coordinates out; no I/O, and every
// random choice comes from Options.Seed, so the same input and seed give the
// same map on every machine and for any number of threads.
//
// # Methods
//
// DefaultMethod picks the map's layout by size: UMAP up to SmallRows (100)
// papers, TSNE up to TSNEMaxRows (100,000), UMAP above. On a small corpus
// t-SNE's perplexity is capped at (n−1)/3, so each paper's neighbourhood is
// a third of the corpus; lowering it did not help (a smaller perplexity kept
// fewer neighbours and labels on samples of 30 to 250 papers), while UMAP,
// from its 20-neighbour graph, kept more of both at 60 and 90 papers
// (bench/RESULTS.md, "The map of a small corpus").
//
// TSNE is Barnes-Hut t-SNE (van der Maaten, "Accelerating t-SNE using
// tree-based algorithms", JMLR 15, 2014) with scikit-learn's recipe
// (sklearn.manifold.TSNE 1.2, init="pca", learning_rate="auto", after
// PCA to 50 dimensions, metric="cosine"), so that its quality can be
// compared with scikit-learn's figure for figure:
//
//  1. PCA to 50 dimensions (cluster.FitPCA).
//  2. Each paper's 3·perplexity + 1 = 91 nearest neighbours by cosine
//     distance d (cluster.KNN: exact up to 20,000 papers).
//  3. p_j|i ∝ exp(−βᵢ·d²) with βᵢ found by bisection so that the
//     perplexity is 30 (scikit-learn squares every metric's distances),
//     then P = (C + Cᵀ)/ΣC.
//  4. The start: the first two principal components, scaled so that the
//     first has standard deviation 10⁻⁴.
//  5. 1,000 steps of gradient descent on KL(P‖Q) with the Student-t kernel:
//     the first 250 with P exaggerated 12 times and momentum 0.5, the rest
//     with momentum 0.8; delta-bar-delta gains (+0.2 / ×0.8, at least
//     0.01); learning rate max(n/12/4, 50). The repulsion is summed over a
//     quadtree (a cell of width w at distance r stands for its papers when
//     w/r < θ = 0.5), per paper in parallel, each paper's sums its own, so
//     the layout does not depend on the number of threads.
//
// Against scikit-learn's t-SNE on the same vectors (bench/RESULTS.md, "Map
// layout VII", one run on two cores): on ACM 20,000 trustworthiness@10
// 0.965 and venue agreement@10 0.373, scikit-learn 0.964-0.965 and
// 0.370-0.371 (two seeds), in 23 s against 97 s; on arXiv 2,000 0.928 and
// archive agreement 0.631, scikit-learn 0.922-0.927 and 0.626-0.643 (seven
// seeds, mean 0.636, "Map layout VIII"; papermap's start moved by 1 % gives
// 0.629-0.634, mean 0.632), in 1.8 s against 5.6 s; on 2,000 ACM papers
// drawn by seed 1 0.935 and 0.164, scikit-learn 0.933-0.934 and 0.161-0.165
// (three seeds); at 100,000, where scikit-learn had not finished after
// 480 s, 0.979 and 0.256 in 134 s. Given scikit-learn's own randomized
// PCA-50, papermap's t-SNE follows scikit-learn's figures seed by seed
// (archive agreement within 0.003 on the mean of four). The 2,000 gap is
// within the noise ("Map layout IX"): on six 2,000-paper sets of three
// corpora (arXiv; ACM drawn by seeds 1-3; acm-venues-10 drawn by seeds 1-2),
// ten scikit-learn seeds against papermap's default and ten starts moved by 1 %,
// the difference of mean label agreement is -0.0016 to +0.0032 (mean of the
// six +0.0004), no 95 % interval (Welch) excludes zero, and papermap's mean
// trustworthiness is the higher on every set.
//
// It keeps more of each paper's labels among its map neighbours than UMAP
// at every size measured (0.631 against 0.627 at
// 2,000, 0.373 against 0.350 at 20,000, 0.256 against 0.227 at 100,000) and
// fewer of its exact neighbours up to 20,000 (trustworthiness 0.928 against
// 0.934, 0.965 against 0.968; at 100,000 0.979 against UMAP's sampled
// 0.959). Above TSNEMaxRows the quadtree's n·log n cost per step and the
// 1,000 steps make it slower than UMAP's sample-and-refine path (at 100,000
// already 134 s against 47 s), which stays the default there.
//
// UMAP (McInnes, Healy and Melville, "UMAP:
// Uniform Manifold Approximation and Projection for Dimension Reduction",
// arXiv:1802.03426, 2018), following the reference implementation
// (umap-learn) in its defaults:
//
//  1. PCA reduces the vectors to PCADims dimensions (cluster.FitPCA; 100
//     up to 100,000 papers, 50 above), as scikit-learn's and openTSNE's
//     documentation advise for t-SNE too (with 50).
//  2. Each paper's Neighbors (20 up to 10,000 papers, 10 above) nearest
//     neighbours by cosine similarity
//     are found with cluster.KNN: exactly up to 20,000 papers, with an
//     inverted-file index over k-means cells above.
//  3. The neighbour graph becomes a fuzzy simplicial set: the membership of
//     j in i's neighbourhood is exp(−(d(i,j) − ρᵢ)/σᵢ), with ρᵢ the distance
//     to i's nearest neighbour and σᵢ chosen by bisection so that the
//     memberships sum to log₂(Neighbors); the two directions are combined
//     by the fuzzy union a + b − ab.
//  4. Positions start from the first two principal components, scaled to
//     ±10, and are optimised by stochastic gradient descent on the fuzzy
//     cross-entropy: each edge is sampled in proportion to its weight and
//     pulls its ends together under the curve 1/(1 + a·d^(2b)) (a = 1.929,
//     b = 0.7915, umap-learn's fit for min_dist 0); NegativeRate (20 up to
//     20,000 papers, 10 above; umap-learn's is 5) random papers per sample
//     push the head away; the learning rate falls linearly from 1 to 0 over
//     Epochs (500 up to 20,000 papers, 200 above). Each epoch runs as
//     tasks of 1,024 papers in parallel; a task moves only its own papers
//     and reads the others as they were when the epoch began (umap-learn
//     moves both ends of an edge, racing between threads), so the layout is
//     deterministic.
//  5. Above SampleRows (100,000) papers, steps 2-4 lay out a seeded sample
//     of that size first; every other paper starts at the weighted mean of
//     its neighbours already placed (in rounds, through the whole graph),
//     and RefineEpochs (60) passes over the whole graph, from a learning
//     rate of RefineRate (0.25), finish the layout: 60 passes over all
//     papers instead of 200. On ACM 20,000 with a sample of 2,000 this lost
//     0.01 of trustworthiness@10 against the direct layout, where 60
//     direct epochs lost 0.03 (bench/RESULTS.md).
//
// The defaults sample more than umap-learn's (more negative samples per
// edge, more epochs): UMAP's sampled repulsion is weaker than t-SNE's, and
// more of it moves the layout along the attraction-repulsion spectrum
// towards t-SNE's finer local neighbourhoods (Böhm, Berens and Kobak,
// "Attraction-Repulsion Spectrum in Neighbor Embeddings", JMLR 23, 2022).
// Against scikit-learn's t-SNE on the same vectors (bench/compare case 6)
// UMAP's defaults keep more of each paper's 10 nearest neighbours (trustworthiness@10)
// at 2,000 and 20,000 papers, but fewer of a map neighbour's labels match
// its own; times are in bench/RESULTS.md. That gap follows the space the
// neighbours are found in more than the optimisation: scikit-learn's t-SNE
// given PCA-100 instead of PCA-50 vectors loses it on arXiv 2,000 (0.627
// same-archive map neighbours, as this layout, instead of 0.638), and a
// graph on PCA-50 raises the label agreement here while it lowers
// trustworthiness (neighbours in 50 dimensions are further from the
// stored vectors' own). Graphs meant to keep PCA-100's neighbours and
// gain PCA-50's labels did not: neighbours found in PCA-100 but weighted
// by their PCA-50 distances (PCA as denoising, as Kobak and Berens, "The
// art of using t-SNE for single-cell transcriptomics", Nature
// Communications 10, 2019, use it), a union with PCA-50 neighbours at low
// weight, and t-SNE's own perplexity-30 affinities optimised here: none
// raised both figures, and the affinities gave 0.61-0.63 same-archive
// neighbours where t-SNE gives 0.635-0.638 (three seeds), so t-SNE's
// optimiser has a part in the gap too (bench/RESULTS.md, "Map layout VI").
//
// Options.NoiseWeight offers the other end of the spectrum: Neg-t-SNE
// (Damrich, Böhm, Hamprecht and Kobak, "From t-SNE to UMAP with
// contrastive learning", ICLR 2023), negative sampling with a fixed
// normalisation, whose loss per edge sample is −log(φ/(φ+ν)) and per
// negative sample −log(ν/(φ+ν)). Large ν gives UMAP's attraction; smaller
// ν weakens the pull of near neighbours and strengthens the push of near
// strangers, which the paper shows moves the embedding towards t-SNE's.
// On this data it trades trustworthiness for label agreement rather than
// raising both (bench/RESULTS.md, "Map layout V"), so umap-learn's loss
// stays the default.
//
// UMAP's cost is linear in the number of papers with no quadtree (a
// million papers fit in memory as a neighbour graph of 15 edges each).
// Either layout's map takes new papers without moving the others: Place
// puts each beside its nearest laid-out papers. No Go implementation of
// UMAP or t-SNE is kept up to date on the module proxy, so both are
// written here; bench/RESULTS.md compares them with scikit-learn's t-SNE
// on the same vectors.
//
// PCA2 gives the older map: the first two principal components.
//
// # Quality
//
// Trustworthiness (Venna and Kaski 2001, as scikit-learn's
// sklearn.manifold.trustworthiness) and LabelAgreement measure a layout
// against the vectors it came from and against known labels.
package layout
