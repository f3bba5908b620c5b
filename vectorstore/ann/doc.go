// Package ann is an approximate nearest-neighbour index for unit vectors:
// a hierarchical navigable small world graph (HNSW; Yu. A. Malkov and
// D. A. Yashunin, "Efficient and robust approximate nearest neighbor
// search using Hierarchical Navigable Small World graphs", IEEE TPAMI
// 42(4), 2020, arXiv:1603.09320), with their neighbour-selection
// heuristic (Algorithm 4) on every layer. Similarity is the dot product,
// which for unit vectors is the cosine.
//
// # Use
//
//	idx := ann.New(vecs, ann.Options{})   // vecs.Vec(node) gives node's vector
//	idx.Build(n, 0)                       // nodes 0..n-1, on every CPU
//	idx.Add(int32(n))                     // one more node
//	idx.Delete(3)                         // never returned again
//	hits := idx.Search(q, 10, 128, nil)   // the 10 best of a 128-node search
//
//	qz := ann.TrainQuantizer(vecs, n, dim) // 8-bit codes for the walk
//	idx.UseCodes(qz, ann.EncodeRows(qz, vecs, n), ann.CodeOptions{})
//
// The index does not copy vectors: it asks Vectors for them, so a store
// can keep them where it likes (in one matrix, in a memory-mapped file).
// A deleted node keeps routing searches, so its vector must stay
// available (package vectorstore keeps a copy of a deleted record's
// vector for this).
//
// # Codes
//
// At a million 384-dim vectors (1.5 GB) a search is bound by memory: each
// node scored is a random read of 24 cache lines. UseCodes makes the walk
// read 8-bit codes instead, one byte per dimension (Quantizer: min-max
// scalar quantization per dimension, as FAISS's IndexHNSWSQ with QT_8bit;
// H. Jégou, M. Douze, J. Johnson, "Billion-scale similarity search with
// GPUs", IEEE Trans. Big Data 7(3), 2021, for the FAISS quantizers), and
// score them against the float query (the asymmetric distance of
// H. Jégou, M. Douze, C. Schmid, "Product quantization for nearest
// neighbor search", IEEE TPAMI 33(1), 2011), with an AVX2 kernel that
// widens 8 bytes to 8 floats per step (dot_amd64.s), or, where the CPU has
// AVX-512 VNNI, in 32-bit integers against the query rounded to 16 bits,
// 32 bytes per VPDPWSSD (codedQuery). The best
// CodeOptions.Rerank nodes are then scored again from their vectors, so
// that the order of the top k is exact (the re-ranking of FAISS's
// IndexRefine). The codes take a quarter of the vectors' memory; the
// index does not copy them either (Codes, like Vectors).
//
// CodeOptions.Build makes the build work over the codes too, as FAISS's
// IndexHNSWSQ does: the candidate search, and the neighbour heuristic,
// which compares a candidate's code with each kept neighbour's code
// prepared as a query. Build with more than one worker then also inserts
// the nodes of each window grouped by the nearest of a few seeded pivots
// (localOrder), so that consecutive insertions walk the same part of the
// graph while it is in the CPU's caches, and gives each worker its own
// share of that order.
//
// # The build in batch
//
// Even over codes, a build node by node is bound by memory: each
// insertion's walk reads thousands of codes at random places (at 1M ×
// 384, 258 s of wall time on two cores against 44 s for FAISS's
// IndexIVFFlat). CodeOptions.Batch builds the bottom layer of an empty
// index of BatchOptions.From nodes or more without those walks (batch.go):
// the nodes of the upper layers are inserted as usual on those layers; the
// nodes are partitioned into overlapping lists (each joins those of its
// Lists nearest seeded pivots), each list's codes are copied side by side
// and every pair in it scored once (an 8-bit VNNI kernel over blocks of
// codes), a node keeps the best Keep candidates of its lists, picks its
// neighbours among them by the same heuristic relaxed by Vamana's α
// (BatchOptions.Alpha, which keeps some longer links), and then its
// bottom list among those and the nodes that picked it. It is the approximate
// k-nearest-neighbour graph of exact searches within overlapping
// partitions (J. Wang et al., "Scalable k-NN graph construction for
// visual descriptors", CVPR 2012), made navigable by HNSW's heuristic with
// reverse edges as NSG does (C. Fu et al., "Fast approximate nearest
// neighbor search with the navigating spreading-out graph", PVLDB 12(5),
// 2019), inside HNSW's layers: the same graph format, searched and
// extended by Add like any other. At 1M × 384 it builds in about a
// quarter of the time, and needs about 1.3 times the candidate list for
// the same recall (bench/RESULTS.md, "The index build in batch").
//
// Encode and Decode write and read the graph (not the vectors); Decode
// checks every count and neighbour, so no input makes it or a later
// Search panic (the checksum that tells damage from a good file is the
// caller's).
//
// # Determinism
//
// A node's layer is drawn from Options.Seed and the node number alone. A
// build with one worker (Build(n, 1), Add) is deterministic: the same
// seed, vectors and insertion order give the same graph; so is a batch
// build with one worker, and with more its bottom layer (the partition,
// the candidates and the picks do not depend on the scheduling). With more
// workers the graph depends on the scheduling; its quality does not.
//
// # Why not a library
//
// github.com/coder/hnsw v0.6.1, the well-kept Go HNSW, was measured on
// 100,000 × 384 unit vectors (bench/cluster/gen.py's blobs): recall@10
// 0.0005 at ef 200 after an 83 s build, because its layer search bounds
// its result set by k instead of ef (coder/hnsw pull request 18); it also
// keeps its own copy of every vector, where papermap's store wants to
// keep (and memory-map) them once.
//
// The dot products use an AVX2+FMA kernel (dot_amd64.s) where the CPU
// has it, a Go loop elsewhere. Scores from Search rank candidates only:
// package vectorstore scores its hits again with the exact scan's kernel.
package ann
