// Package vectorstore keeps papermap's papers and their embeddings on disk,
// one directory per corpus, and answers nearest-neighbour queries over
// them.
//
// # Using a store
//
// Open a directory (created if missing), say which embedder makes the
// vectors, add records, query:
//
//	s, err := vectorstore.Open(ctx, "papermap-store", vectorstore.Options{})
//	...
//	defer s.Close()
//	err = s.SetEmbedder(emb.Info())  // refuses an embedder other than the store's
//	stats, err := s.Add(ctx, []vectorstore.Record{{ID: "2007.0001", Content: abstract,
//		Metadata: map[string]string{"year": "2007"}, Embedding: vec}})
//	hits, err := s.Query(ctx, queryVec, 10, vectorstore.QueryOptions{
//		Where: vectorstore.Filter{"year": "2007"}})
//
// Adding a record whose ID is stored with the same content and metadata
// (see HashRecord) writes nothing, so an interrupted ingest is simply run
// again; Lookup lets a caller skip embedding such records altogether.
//
// # Files
//
// A store directory holds:
//
//	records.log    every record, as an append-only log of checksummed frames
//	records.idx    the snapshot: IDs, hashes, frame offsets and vectors of the
//	               live records, derived from the log (see "The snapshot")
//	manifest.json  the embedder (backend, model, dimensions) and dates
//	LOCK           the writer lock (see "Writers and readers"), with the writer's pid
//	index.hnsw     the approximate index, from Options.IndexThreshold records on
//	               (see "Approximate index"); derived from the log, never trusted over it
//	index.sq8      8-bit codes of the index's vectors, which its walk reads; derived
//	               from the vectors, checked by chunk as read, made again when damaged
//	other files    written by WriteFile (the lexical model, the theme model)
//
// Files are created with mode 0600, the directory with 0700 (with its
// missing parents, whose parents are synced so that the new directories
// survive a power cut), and nothing is written outside the directory. An
// empty directory that becomes a store is set to 0700; an existing store
// keeps the mode its owner gave it. A writer refuses a directory that is
// neither empty nor a store, and never follows a symbolic link for its own
// files: a LOCK that is a link (or anything but a regular file) makes Open
// fail, and replaced files are renamed over the link, not written through
// it.
//
// The manifest is written with the first record Add stores, not by
// SetEmbedder: a store whose first Add failed, or never came, is still
// new, tied to no embedder.
//
// The log starts with the 16-byte header "papermap-log v1\n", followed by
// frames:
//
//	magic   4 bytes  D5 7A 3C 91
//	length  uint32   little-endian length of the payload
//	crc     uint32   CRC-32C (Castagnoli) of the length bytes and the payload
//	payload          kind (1 byte), then
//	                 record:    id, hash, content, uvarint n, n × (key, value)
//	                            sorted by key, uvarint dim, dim × float32 (LE)
//	                 tombstone: id
//
// where every string is a uvarint length and its bytes. Frames are applied
// in order: a record frame adds or replaces its ID, a tombstone removes
// it. Compact (automatic once more than half of a log larger than 1 MiB is
// dead) rewrites the live records, sorted by ID, to a new log that replaces
// the old one by rename.
//
// # The snapshot
//
// The log is the source of truth; records.idx only spares Open the reading
// of it. It holds, for the live records in ID order, their IDs, hashes
// and the offset and length of their frames in the log (the row index, in
// chunks of 256 rows, with a directory of each chunk's place, checksum and
// first ID), then their vectors as one row-major float32 matrix aligned on
// 4 KiB, stamped with the length of the log it covers and a CRC-32C of the
// 4 KiB of log before that length. The header and the directory carry
// CRC-32C checksums, and so does each chunk of the row index and each
// chunk of about 64 KiB of the matrix.
//
// Open checks the header, the stamp and the directory, maps the snapshot
// into memory (privately: nothing is ever written back through the
// mapping; without mmap, on other systems, it is read), and reads the
// frames of the log after what the snapshot covers (records added by a
// writer that was killed before its Close). A chunk of the matrix is
// checked the first time one of its rows is read; a chunk that fails is
// read again from the log frames of its rows, with a notice
// (Options.Notice). A reader decodes a chunk of the row index the first
// time one of its rows is used (a query decodes the chunks of its hits, a
// Get one chunk: at a million records Open no longer parses 86 MB of
// row index); should a chunk fail its checksum, the reader reads the rows
// from the log frames the snapshot covers instead, once, with a notice. A
// writer decodes the whole row index at Open. A snapshot that is missing,
// cut short, stale (a log shorter than its stamp, or other bytes before
// it) or damaged (header, directory, or for a writer a chunk of the row
// index) is not used: Open reads the whole log, as stores written before
// the snapshot existed are read, and says so in a notice unless the
// snapshot is merely missing. A snapshot of version 1 (an earlier
// papermap's, whose row index is checked and decoded whole at Open) is
// read as before, and the next writer rewrites it in version 2 when it
// closes, with a notice.
//
// A writer's Close writes a new snapshot (atomically, like the manifest)
// when the records changed, or when the snapshot was missing, stale or
// partly read again; a reader never writes it. So a store made by an
// older papermap is read as before until a writer closes it, which
// migrates it (the writer's Open says so in a notice, with the size of
// the log it read and of the snapshot it will write); the log format is unchanged, and an older papermap still
// reads and writes the store (it ignores records.idx, whose stamp no
// longer matches once the log changes). Compact and Repair remove the
// snapshot before they replace the log.
//
// Contents and metadata are not held in memory: Get reads a record's
// frame from the log by its offset (and checks its checksum), and a
// filtered Query, or Fields, reads every record's metadata from the log
// once and keeps them. Open checks every frame the snapshot covers when
// the log is at most 64 MiB (some 25,000 abstracts), so that damage there
// is reported by Open as without a snapshot; in a larger log it is found
// when a damaged frame is read: Get then reports the record missing, with
// a notice naming the log, the offset and `papermap repair`, while the
// vectors, checksummed in the snapshot, still answer queries.
//
// # Durability and crashes
//
// Add and Delete append their frames with one write and fsync the log
// before they return: a batch that was acknowledged survives a crash or a
// power cut. A crash during Add leaves at most a cut-short frame at the
// end of the log, possibly after some complete frames of the unacknowledged
// batch. Open treats an invalid frame after which no valid frame follows
// as such a torn tail: a reader ignores it, a writer truncates it, and
// neither reports an error. An invalid frame followed by valid ones is
// damage, not a crash: Open returns a *CorruptError that names the file
// and the way out (a new store, or Repair, which keeps every intact
// frame). A damaged or unreadable manifest is a *CorruptError too. None
// of this panics, whatever the bytes (the frame decoder is fuzzed).
//
// A power cut (unlike a killed process) may leave the unacknowledged batch
// with holes: some of its pages zero or missing while later ones reached
// the disk. Open then sees damage followed by valid frames and returns a
// *CorruptError; Repair keeps every acknowledged record (and whatever
// survived of the batch).
//
// The manifest, the compacted log and WriteFile's files are replaced
// atomically (temporary file, fsync, rename, fsync of the directory; see
// internal/safefile).
//
// A record whose frame would exceed 256 MiB is refused by Add with a
// *TooLargeError naming it, and nothing of its batch is written.
//
// # Writers and readers
//
// One process at a time may write: Open takes an exclusive, non-blocking
// lock on DIR/LOCK (flock on Unix, LockFileEx on Windows; the system
// releases it when the holder exits, even by a crash), and a second writer
// gets a *LockedError naming the holder's pid. Other systems (Plan 9,
// js/wasm, wasip1) have neither, and there two writers are not detected.
// Readers (Options.ReadOnly) take no lock: a reader sees the last complete
// state as of its Open, whatever a writer appends or compacts meanwhile
// (it keeps the log it opened, and reads contents from it by offset; a
// compacted log replaces it by rename, so the reader's file is unchanged).
// Within a process, a Store's methods are safe for concurrent use.
//
// # Memory and search
//
// Once open, the store holds the IDs, hashes and frame offsets of the
// records, and their vectors as one contiguous row-major []float32 matrix
// (rows in no particular order): the mapped snapshot, until a writer adds
// records beyond it, which moves the matrix to an anonymous mapping
// outside the Go heap, grown in place (mremap on Linux and NetBSD, a copy
// on other Unix systems, the heap where there is no mmap). The garbage
// collector lets the heap grow to twice what is live before it runs, so a
// matrix on the heap would cost twice its size, and growing a heap slice
// copies it while both copies are live; a Collection, whose documents
// share the rows and may outlive the store, moves it to the heap for
// good. At a million records of 256 dimensions that is the 1 GB matrix
// (mapped: in the page cache, shared between processes) and some 100 MB
// of IDs and offsets (a reader decodes those of the rows it uses only).
// Before the first graph walk or full scan, the pages of the mapped
// matrix that are in the page cache are entered into the page tables at
// once (Linux: mincore, then MADV_POPULATE_READ), which costs less than
// the page faults of the walk; pages not cached are read when touched.
// Contents stay in the log (see "The snapshot").
//
// # chromem-go
//
// chromem-go (v0.7.0) is the interchange format, not the storage: its
// own persistence names each document's file after 32 bits of a hash of
// its ID, and among 98,442 ACM DOIs three pairs share a file name, so
// three papers were lost on reopening. ExportChromem writes the store as
// a chromem-go database export (one collection, one document per record
// with its stored vector, the embedder named in the collection's
// metadata), and ReadChromem reads a collection of a chromem-go export or
// persistent directory. Collection returns an in-memory chromem-go
// collection of the records for library users; it is built at its first
// call (Open does not build it), its documents' Embedding slices are rows
// of the matrix (which it first moves from the mapped snapshot to the
// heap: the documents may outlive the mapping), and once built Add and
// Delete keep it in step.
//
// Below Options.IndexThreshold records (or with QueryOptions.Exact),
// Query and QueryBatch are exact: every (matching) row is scored by a dot
// product (vectors are unit length, so this is the cosine similarity),
// the rows are split between the CPUs, and a bounded heap per query keeps
// the k best. The dot products are those of internal/kernel's tile kernel
// (AVX2+FMA assembly where the CPU has it, Go elsewhere), four rows
// against up to 64 queries at a time, and a score does not depend on how
// queries are batched. Ties are broken by ID, so results do not depend on
// the insertion order, the number of CPUs or the batching. chromem-go's
// QueryEmbedding over the same records (Collection, or an ExportChromem
// file imported by chromem-go) gives the same hits up to float32 rounding
// of the scores (the tests check it); for how the two compare in speed
// see bench/RESULTS.md.
//
// # Approximate index
//
// From Options.IndexThreshold records on (DefaultIndexThreshold, 50,000,
// unless set), Query and QueryBatch search an HNSW graph (package
// vectorstore/ann) over the matrix instead of scanning it: the graph
// proposes max(QueryOptions.IndexEf, k) candidates (by default
// DefaultIndexEf, which grows with the store), which are scored again by
// the scan's kernel, so a hit has exactly the score and rank the scan
// would give it; only which records come back is approximate
// (bench/RESULTS.md, "Approximate index" and "The index at a million").
// A whole index of 50,000 records or more is built in batch
// (IndexSettings, ann.CodeOptions.Batch); records written later are
// inserted one by one.
// A Where filter that keeps at least 1/16 of the records is searched in
// the graph (nodes outside it route but are not returned; the search
// widens until it finds k matching records, or scans); a more selective
// filter scans its matching rows.
//
// The walk through the graph reads 8-bit codes of the vectors (one byte
// per dimension, ann.Quantizer: a quarter of the memory a float32 row
// takes) kept in DIR/index.sq8 beside the graph, and scores the best of
// what it finds again from the rows before the scan's kernel scores the
// candidates: the codes steer the walk, never a score. The file's header
// is checked when the index loads (checksum, quantizer, node count, and
// the codes of 64 nodes against their rows), and its codes by chunk when
// a reader's walk first reads them (all of them by a writer): a chunk
// that fails is coded again from its rows, with a notice. A reader whose
// file's header is damaged or belongs to another graph walks over the
// rows instead, with a notice, and a writer makes the codes again (about
// a second at a million records) and saves them with the index. A
// reader's walk over codes reads few rows, asked for as it meets them
// (table.adviseRows): it does not read the matrix ahead.
//
// The graph is kept in DIR/index.hnsw, replaced atomically: the graph's
// arrays as they are searched, each node's record as its rank among the
// live records in ID order and by its ID and hash (HashRecord), the store
// it belongs to (embedder and manifest creation time), a stamp of the
// log it was written for (length and checksum of its last bytes, as the
// snapshot's) and CRC-32C checksums. It is loaded at the first query that
// needs it, never at Open, and its graph checked whole (checksum, every
// count and neighbour). When the stamp matches the log, the ranks map
// nodes to rows without reading an ID (nor checking the IDs' checksum);
// otherwise the IDs are checked against their checksum, and each
// node is checked against the log's records: a node whose record is gone
// or changed is marked dead, records without a node are inserted. Either
// way candidates are scored from the store's own rows, so the index never
// answers for records the log does not hold, and a crash at any moment
// (before, during or after its replacement) leaves at worst an index that
// is out of date or missing. A writer brings it up to date at Close, after
// writing the snapshot (building it when missing or damaged, with a
// notice, and from scratch when more than half its nodes are dead; with
// CloseContext, a cancelled context stops the build within a slice of
// at most 16,384 records and leaves it to the next writer, with a
// notice) and keeps a loaded index in step
// with Add and Delete; a reader patches an index at most 1/16 behind in
// memory, and otherwise scans every vector, with a notice, until a writer
// rebuilds it. The build runs on every CPU, so the graph (not its recall)
// depends on the scheduling.
//
// # Invariants
//
//   - Every stored vector has the manifest's dimension and is finite with
//     norm 1 within 1e-6: Add rejects vectors off by more than
//     embed.NormTolerance and rescales the others.
//   - IDs are unique and non-empty; IDs() and Matrix() list them sorted.
//   - What Open returns is exactly what the acknowledged writes made:
//     the same records, contents, metadata and vector bits, whether it
//     read the snapshot or the log.
package vectorstore
