// Package weaviate keeps a papermap store in a Weaviate collection, for a
// corpus that outgrows one machine: Weaviate (github.com/weaviate/weaviate,
// reached through its official Go client) stores the papers and their
// vectors on one node or a replicated cluster and answers the searches.
//
// # Address
//
// A store address
//
//	weaviate://HOST:PORT/COLLECTION[?grpc=PORT][&consistency=ONE|QUORUM|ALL][&tls=1]
//
// names Weaviate's REST port, its gRPC port on the same host (default
// 50051) and the collection of papers (Weaviate upper-cases its first
// letter). papermap's --store and PAPERMAP_STORE accept it; the API key,
// if the server wants one, comes from WEAVIATE_API_KEY.
//
// # Layout
//
// COLLECTION holds one object per paper, whose UUID is derived from the
// paper ID (PaperUUID), so writing a paper again replaces it and an
// interrupted ingest is simply run again. Its properties: pid (the ID),
// hash (vectorstore.HashRecord), content (the abstract, BM25-indexed),
// title (BM25-indexed; collections made before it lack it), kv
// ("key=value" of each metadata field, for --where filters) and meta (the
// metadata as JSON); its vector is the paper's embedding in an HNSW index
// with cosine distance (ef DefaultEf, efConstruction DefaultEfConstruction,
// maxConnections DefaultMaxConnections). A new collection gets one shard
// and min(3, nodes) replicas, with asynchronous replication so that a node
// that was down catches up.
//
// COLLECTION_Files holds what a store directory keeps in files: the
// manifest (embedder, model, dimensions), the lexical model, the theme
// model, the layout... in parts of at most 4 MiB; a file is replaced by
// writing new parts and then one pointer object, so readers see the old
// file or the new one.
//
// # Consistency
//
// Every read and write goes at the store's consistency level, QUORUM by
// default: a write is acknowledged by a majority of a shard's replicas, a
// read answered by a majority. Weaviate answers a search from the shards
// it can reach without saying when one is missing, so QueryBatch asks the
// cluster, before and after its searches, whether every shard has the
// replicas the level needs on healthy nodes (CheckComplete), and returns a
// *PartialError instead of a partial answer. For some seconds after a node
// is lost the cluster still lists it and cannot reach it; that node then
// counts as down. With three replicas at QUORUM one node may be lost: the
// integration tests kill one of three nodes during an ingest and during a
// batch of searches, and two to see the searches refused.
//
// # What is read where
//
// Open reads every paper (IDs, contents, metadata and vectors) through the
// cursor API, as the local store reads its log: Get, Lookup, IDs, Fields
// and Matrix answer from that copy, and cluster's k-means (which takes
// one matrix today) runs on it. Searches run on Weaviate: Query and
// QueryBatch on its HNSW index, BM25 and Hybrid on its own BM25 and hybrid
// search (which package corpus uses for its sparse and hybrid modes). Memory on the client is therefore what the local
// store needs; what Weaviate adds is replicated, shared storage and search.
//
// There is no writer lock: two writers on one collection are not kept
// apart (each paper is written whole and idempotently, but the manifest
// and model files are last-writer-wins). Reindexing (which replaces the
// store atomically) and chromem-go exports need a store directory.
package weaviate
