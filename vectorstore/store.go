package vectorstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/internal/format"
	"github.com/papermap/papermap/internal/safefile"
	"github.com/philippgille/chromem-go"
)

// Options configures Open. The zero value opens the store for writing,
// creating it if needed.
type Options struct {
	// ReadOnly opens an existing store without taking its writer lock.
	// The store is read once, at Open: it holds the state of the last
	// complete write, even while a writer appends. Open fails with
	// ErrNotExist when there is no store in the directory.
	ReadOnly bool

	// IndexThreshold is the number of records from which Query searches
	// the approximate index (an HNSW graph kept in DIR/index.hnsw)
	// rather than scanning every vector; negative: never. The default, 0,
	// means DefaultIndexThreshold.
	IndexThreshold int

	// Notice, if not nil, receives one-line notices for people: an
	// approximate index found damaged or stale and rebuilt, a snapshot
	// (records.idx) that could not be used and was replaced by reading the
	// log, rows read again from the log because their snapshot chunk
	// failed its checksum, a record that could not be read back.
	Notice func(msg string)
}

// Record is one stored document: a paper's ID, the text that was embedded,
// its metadata and its unit-length embedding.
type Record struct {
	ID        string
	Content   string
	Metadata  map[string]string
	Embedding []float32
}

// AddStats counts what Add did with each record of a batch.
type AddStats struct {
	Added     int // new IDs
	Updated   int // known IDs whose content or metadata changed
	Unchanged int // known IDs with the same content and metadata: nothing written
}

// Store is a persistent collection of records with their vectors. Its
// methods are safe for concurrent use; writes are serialised.
type Store struct {
	dir      string
	readOnly bool

	// wmu serialises the methods that write (Add, Delete, Compact,
	// SetEmbedder, WriteFile, Close). The fields below it change only
	// while it is held, so a writer may read them without mu.
	wmu       sync.Mutex
	log       *os.File // writer: the record log, opened read-write
	lock      *os.File // writer: DIR/LOCK, flocked
	size      int64    // length of the log (a reader's: as read at Open)
	liveBytes int64    // writer: length of the frames of live records
	broken    error    // writer: a failed write that could not be undone
	dirty     bool     // records changed since Open
	needSnap  bool     // writer: the snapshot is missing or stale: write it at Close
	fromSnap  bool     // Open used the snapshot (for tests)
	notice    func(string)

	// mu guards the in-memory state against concurrent readers.
	mu          sync.RWMutex
	closed      bool
	manifest    Manifest
	hasManifest bool // the embedder is known
	saved       bool // the manifest is on disk (see SetEmbedder)
	t           *table
	coll        *chromem.Collection

	opts Options
	idx  indexState // the approximate index (index.go)
	// metaMu serialises loading the metadata of every row (table.metas)
	// by readers holding mu for reading.
	metaMu sync.Mutex
	// maps release the files of MapFile at Close; mapMu guards them.
	mapMu sync.Mutex
	maps  []func() error
}

// Open opens the store in dir. A writer (the default) creates dir with
// mode 0700 if needed and takes an exclusive lock on DIR/LOCK: while a
// writer has the store open, another writer gets a *LockedError, and
// readers (Options.ReadOnly) open it as usual.
//
// A writer refuses a directory that is neither empty nor a store, so that
// a mistyped path does not fill an unrelated directory.
//
// Open reads the record IDs and the vectors from the snapshot
// (records.idx) when it matches the log, and the log's frames after the
// snapshot; without a usable snapshot it reads the whole log. Contents
// and metadata stay in the log until asked for. A frame cut short at the
// end of the log (a write interrupted by a crash) is ignored, and a writer
// truncates it; damage anywhere else in what Open reads is a
// *CorruptError.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("vectorstore: no store directory given")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Store{dir: dir, readOnly: opts.ReadOnly, opts: opts, notice: opts.Notice}
	if err := s.open(ctx); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) (rerr error) {
	logPath := filepath.Join(s.dir, logName)
	if s.readOnly {
		f, err := os.Open(logPath)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("vectorstore: open %s: %w", s.dir, ErrNotExist)
		}
		if err != nil {
			return fmt.Errorf("vectorstore: %w", err)
		}
		s.log = f
	} else {
		isNew, err := checkStoreDir(s.dir)
		if err != nil {
			return err
		}
		if _, err := safefile.MkdirAll(s.dir, 0o700); err != nil {
			return fmt.Errorf("vectorstore: %w", err)
		}
		if isNew {
			// An empty directory the user made (mode 0755, say) becomes a
			// store: its mode is the store's. An existing store's mode is
			// left as its owner set it.
			if err := os.Chmod(s.dir, 0o700); err != nil {
				return fmt.Errorf("vectorstore: %w", err)
			}
		}
		lock, err := acquireLock(s.dir)
		if err != nil {
			return err
		}
		s.lock = lock
		if err := removeReplaceLeftover(s.dir); err != nil {
			return err
		}
		if err := removeTemps(s.dir); err != nil {
			return err
		}
		f, err := os.OpenFile(logPath, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			if err := writeFileAtomic(s.dir, logName, logHeader); err != nil {
				return err
			}
			f, err = os.OpenFile(logPath, os.O_RDWR, 0)
		}
		if err != nil {
			return fmt.Errorf("vectorstore: %w", err)
		}
		s.log = f
	}

	m, ok, err := readManifest(s.dir)
	if err != nil {
		return err
	}
	s.manifest, s.hasManifest, s.saved = m, ok, ok

	fi, err := s.log.Stat()
	if err != nil {
		return fmt.Errorf("vectorstore: %w", err)
	}
	size := fi.Size()
	complete, err := checkHeader(s.log, size)
	if err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			ce.Intact = s.countIntact(size)
		}
		return err
	}
	if !complete {
		// Creating the log was interrupted before its header was whole.
		if !s.readOnly {
			if err := s.log.Truncate(0); err != nil {
				return fmt.Errorf("vectorstore: %w", err)
			}
			if _, err := s.log.WriteAt(logHeader, 0); err != nil {
				return fmt.Errorf("vectorstore: %w", err)
			}
			if err := s.log.Sync(); err != nil {
				return fmt.Errorf("vectorstore: %w", err)
			}
		}
		size = int64(len(logHeader))
	}

	dim := 0
	if s.hasManifest {
		dim = s.manifest.Embedder.Dimensions
	}
	var t *table
	var res scanResult
	if complete {
		// A reader decodes the snapshot's row index as rows are used; a
		// writer (which changes rows), or a reader with frames to replay,
		// decodes it now.
		lazy := s.readOnly
		snap, covered, version, err := openSnapshot(s.dir, s.log, size, dim, lazy)
		if err == nil && covered < size && snap.lz != nil {
			if err = snap.decodeAll(); err != nil {
				snap.snap.close()
			}
		}
		var st *staleSnapshot
		if err == nil && covered <= verifyLogMax {
			// A small log is checked whole, as without a snapshot: damage
			// is then reported by Open, not when a record is read.
			if ok, verr := logIntact(s.log, covered); verr != nil {
				snap.snap.close()
				return fmt.Errorf("vectorstore: read %s: %w", logPath, verr)
			} else if !ok {
				snap.snap.close()
				snap, err = nil, &staleSnapshot{"the log it covers is damaged"}
			}
		}
		switch {
		case err == nil:
			snap.logPath = logPath
			snap.snap.notice = s.notice
			if lz := snap.lz; lz != nil {
				lz.src, lz.logPath, lz.notice = s.log, logPath, s.notice
			}
			if version < snapVersion && !s.readOnly {
				// Read as before; this writer rewrites it in the
				// current version when it closes.
				s.needSnap = true
				defer func() {
					if rerr == nil {
						s.notify("vectorstore: %s is of an earlier papermap (version %d): when this command ends it is written again in version %d, whose row index readers decode only where they use it",
							filepath.Join(s.dir, snapName), version, snapVersion)
					}
				}()
			}
			t, res, err = replayTail(snap, covered, size)
			if err != nil {
				snap.snap.close()
				return fmt.Errorf("vectorstore: read %s: %w", logPath, err)
			}
			s.fromSnap = true
		case errors.As(err, &st):
			s.needSnap = true
			if st.reason == "there is none" && !s.readOnly && size > int64(len(logHeader)) {
				// A store made before the snapshot existed (or whose
				// snapshot was removed): this writer migrates it.
				defer func() {
					if rerr == nil {
						s.notify("%s", migrationNotice(s.dir, size, s.t.n(), s.t.dim))
					}
				}()
			} else if st.reason != "there is none" {
				// Told once Open succeeds: an Open that fails says why
				// in its error alone.
				defer func() {
					if rerr == nil {
						s.notify("vectorstore: %s not used (%s): read %s instead", filepath.Join(s.dir, snapName), st.reason, logPath)
					}
				}()
			}
		default:
			return err
		}
	}
	if t == nil {
		var err error
		if t, res, err = loadTable(s.log, size, dim, scanStrict); err != nil {
			return err
		}
	}
	if res.bad >= 0 {
		t.close()
		t = nil // let the count below reuse the memory
		return &CorruptError{File: logPath, Offset: res.bad, Reason: res.reason, Intact: s.countIntact(size)}
	}
	if s.hasManifest && s.manifest.LogBytes > 0 && res.end < s.manifest.LogBytes {
		t.close()
		return &CorruptError{File: logPath, Offset: res.end, Intact: t.n(),
			Reason: fmt.Sprintf("the log has %d bytes of intact records but held %d when the store was last closed: it was cut short, and papers stored after byte %d are lost", res.end, s.manifest.LogBytes, res.end)}
	}
	s.t = t // from here on, release unmaps the snapshot
	if res.torn && !s.readOnly {
		if err := s.log.Truncate(res.end); err != nil {
			return fmt.Errorf("vectorstore: drop the torn end of %s: %w", logPath, err)
		}
		if err := s.log.Sync(); err != nil {
			return fmt.Errorf("vectorstore: drop the torn end of %s: %w", logPath, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A reader keeps the log open too: contents and metadata are read
	// from it when asked for. A writer that compacts the log renames a new
	// one over it, and this file stays the one the reader opened.
	s.size = res.end // a reader's too: the approximate index checks its stamp against it
	if !s.readOnly {
		s.liveBytes = t.liveBytes()
	}
	return nil
}

// migrationNotice tells the writer of a store without a snapshot what
// migrating it costs: the log was read whole (as every Open did before
// the snapshot existed), and Close writes the snapshot.
func migrationNotice(dir string, logBytes int64, rows, dim int) string {
	return fmt.Sprintf("vectorstore: %s has no %s (a store of an earlier papermap): its whole log (%s) was read; "+
		"when this command ends it writes %s (%s for %s records) once, and from then on commands open the store without reading the log",
		dir, snapName, sizeText(logBytes), snapName, sizeText(snapshotBytes(rows, dim)), format.Int(rows))
}

// snapshotBytes is about the size of the snapshot of rows records of dim
// dimensions: their vectors and some 100 bytes of ID, hash and offsets.
func snapshotBytes(rows, dim int) int64 { return int64(rows) * int64(4*dim+100) }

// sizeText writes a byte count for people: "2.1 GB", "340 MB", "12 kB".
func sizeText(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.0f kB", float64(n)/1e3)
}

// notify sends a notice to Options.Notice, when set.
func (s *Store) notify(format string, args ...any) {
	if s.notice != nil {
		s.notice(fmt.Sprintf(format, args...))
	}
}

// verifyLogMax is the length of log up to which Open checks every frame
// that the snapshot covers (a few tens of milliseconds); above it, a
// frame's checksum is checked when the frame is read (Get, a filtered
// query, Compact), so that opening a large store does not read it whole.
var verifyLogMax int64 = 64 << 20

// logIntact reports whether the frames of the first size bytes of log are
// all valid.
func logIntact(log io.ReaderAt, size int64) (bool, error) {
	res, err := scanLog(log, int64(len(logHeader)), size, scanStrict, func(*frame, int64, int64) error { return nil })
	if err != nil {
		return false, err
	}
	return res.bad < 0 && !res.torn && res.end == size, nil
}

// checkStoreDir refuses to make a store of a directory that holds other
// things: a mistyped --store must not fill a home directory with a LOCK
// file and a log. isNew is true when dir is missing or holds no store.
func checkStoreDir(dir string) (isNew bool, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("vectorstore: %w", err)
	}
	other := ""
	for _, e := range entries {
		switch name := e.Name(); {
		case name == logName || name == manifestName || name == lockName:
			return false, nil
		case !strings.HasPrefix(name, tmpPrefix) && other == "":
			other = name
		}
	}
	if other != "" {
		return false, fmt.Errorf("vectorstore: %s is not a papermap store and not empty (it holds %s): give a new or empty directory", dir, other)
	}
	return true, nil
}

// countIntact returns how many records Repair would keep from the log.
func (s *Store) countIntact(size int64) int {
	dim := 0
	if s.hasManifest {
		dim = s.manifest.Embedder.Dimensions
	}
	t, _, err := loadTable(s.log, size, dim, scanRepair)
	if err != nil {
		return 0
	}
	defer t.close()
	return t.n()
}

// noEmbedding is the collection's embedding function: the store only
// holds vectors made elsewhere, by the embedder its manifest names.
func noEmbedding(context.Context, string) ([]float32, error) {
	return nil, errors.New("vectorstore: the collection cannot embed text: embed the query with the store's embedder and use QueryEmbedding")
}

// buildCollection returns a new chromem-go collection of the records. Each
// document's Embedding is a row of the matrix, not a copy. The caller
// holds mu (for reading at least).
func (s *Store) buildCollection(ctx context.Context) (*chromem.Collection, error) {
	db := chromem.NewDB()
	coll, err := db.CreateCollection("papermap", nil, noEmbedding)
	if err != nil {
		return nil, fmt.Errorf("vectorstore: %w", err)
	}
	if err := s.t.readyAll(); err != nil {
		return nil, err
	}
	// The documents may outlive the mapping (Close unmaps it): the
	// matrix moves to the heap.
	s.t.toHeap()
	for i := range s.t.n() {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		content, meta, err := s.t.record(i)
		if err != nil {
			return nil, err
		}
		if err := putDoc(coll, s.t, i, content, meta); err != nil {
			return nil, err
		}
	}
	return coll, nil
}

// putDoc adds or replaces the chromem-go document of row i of t, whose
// content and metadata are given.
func putDoc(coll *chromem.Collection, t *table, i int, content string, meta map[string]string) error {
	r, err := t.row(i)
	if err != nil {
		return err
	}
	err = coll.AddDocument(context.Background(), chromem.Document{
		ID: r.id, Metadata: meta, Content: content, Embedding: t.vec(i),
	})
	if err != nil {
		return fmt.Errorf("vectorstore: chromem-go rejected record %q: %w", r.id, err)
	}
	return nil
}

// syncCollection keeps the collection, if one was built, in step with
// row i after a write, reading its content from the log. The caller holds
// mu. Should chromem-go refuse the document (it cannot: the ID is not
// empty and the vector is set), or the record not be read back, the
// collection is dropped, and the next Collection call builds it anew.
func (s *Store) syncCollection(i int) {
	if s.coll == nil {
		return
	}
	content, meta, err := s.t.record(i)
	if err != nil || putDoc(s.coll, s.t, i, content, meta) != nil {
		s.coll = nil
	}
}

// syncCollectionRecord is syncCollection for a row whose record r is at
// hand.
func (s *Store) syncCollectionRecord(i int, r *Record) {
	if s.coll != nil && putDoc(s.coll, s.t, i, r.Content, cloneMeta(r.Metadata)) != nil {
		s.coll = nil
	}
}

// metas returns every row's metadata, reading them from the log the first
// time. The caller holds mu, for reading at least.
func (s *Store) metas() ([]map[string]string, error) {
	s.metaMu.Lock()
	defer s.metaMu.Unlock()
	if err := s.t.loadMetas(); err != nil {
		return nil, err
	}
	return s.t.metas, nil
}

// acquireLock takes the writer lock of dir and records our pid in it.
func acquireLock(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockName)
	// Never through a link: LOCK -> victim would truncate the victim.
	f, err := safefile.OpenRegular(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("vectorstore: lock: %w", err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("vectorstore: lock %s: %w", path, err)
	}
	if !ok {
		b, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return nil, &LockedError{Dir: dir, PID: pid}
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if err := f.Truncate(0); err == nil {
		f.WriteAt(pid, 0) // informative only: the flock is the lock
	}
	return f, nil
}

// release closes the files of a store and unmaps its snapshot.
func (s *Store) release() error {
	errs := []error{s.indexRelease(), s.unmapFiles()}
	if s.t != nil {
		errs = append(errs, s.t.close())
	}
	if s.log != nil {
		errs = append(errs, s.log.Close())
		s.log = nil
	}
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
		s.lock = nil
	}
	return errors.Join(errs...)
}

// Close is CloseContext with a context that is never cancelled: a
// writer's Close builds the approximate index to the end.
func (s *Store) Close() error { return s.CloseContext(context.Background()) }

// CloseContext releases the store. A writer writes the snapshot
// (records.idx) when the records changed or it had none that matched the
// log, records the time of its last change in the manifest, then brings
// the approximate index up to date (see "Approximate index"), and
// releases the lock. Cancelling ctx stops the index's build (minutes at a
// million records): the records, the snapshot and the manifest are saved
// by then, and the index, derived data, is built by the next writer
// (continuing from the build's last checkpoint); a notice says so.
// CloseContext (or Close) is idempotent.
func (s *Store) CloseContext(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	var err error
	if !s.readOnly && s.hasManifest && s.saved && s.broken == nil {
		// The snapshot and the manifest first: an interrupted index
		// build then costs the next command nothing but the index.
		err = s.saveSnapshot(s.t)
		if m := s.manifest; s.dirty || m.LogBytes != s.size {
			if s.dirty {
				m.Updated = time.Now().UTC()
			}
			m.LogBytes = s.size
			if werr := writeManifest(s.dir, m); werr != nil {
				err = errors.Join(err, werr)
			} else {
				s.manifest = m
			}
		}
	}
	if !s.readOnly && s.broken == nil {
		s.indexClose(ctx) // index.go: bring the index up to date and save it
	}
	s.closed = true
	t := s.t
	s.t, s.coll = newTable(), nil
	s.mu.Unlock()
	return errors.Join(err, t.close(), s.release())
}

// saveSnapshot writes the snapshot of t, which covers the whole log, when
// the one on disk is missing or stale. The caller holds wmu.
func (s *Store) saveSnapshot(t *table) error {
	if !s.dirty && !s.needSnap && (t.snap == nil || !t.snap.fixed.Load()) {
		return nil
	}
	if err := t.readyAll(); err != nil {
		return err
	}
	if err := writeSnapshot(s.dir, t, s.log, s.size); err != nil {
		return err
	}
	s.needSnap = false
	return nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Manifest returns the store's manifest; ok is false for a new store whose
// embedder is not set yet.
func (s *Store) Manifest() (m Manifest, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.manifest, s.hasManifest
}

// SetEmbedder records which embedder makes the store's vectors. Later
// calls, in this process or another, must pass the same Info or get a
// *MismatchError, since vectors of different embedders cannot be compared.
// On a new store the manifest naming the embedder is written by the first
// Add that stores a record: until then the store stays new, so that a
// first ingest that stored nothing leaves no embedder behind. On a
// read-only store it only checks.
func (s *Store) SetEmbedder(info embed.Info) error {
	if info.Backend == "" || info.Dimensions <= 0 {
		return fmt.Errorf("vectorstore: embedder %+v has no backend or no dimensions", info)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return fmt.Errorf("vectorstore: %w", ErrClosed)
	}
	if s.hasManifest {
		if s.manifest.Embedder != info {
			return &MismatchError{Dir: s.dir, Have: s.manifest.Embedder, Want: info}
		}
		return nil
	}
	if s.t.dim != 0 && s.t.dim != info.Dimensions {
		// Records without a manifest: it was lost. Their length still
		// tells one embedder from another.
		return &MismatchError{Dir: s.dir, Have: embed.Info{Dimensions: s.t.dim}, Want: info}
	}
	if err := s.writable(); err != nil {
		return fmt.Errorf("vectorstore: set the embedder of %s: %w", s.dir, err)
	}
	now := time.Now().UTC()
	m := Manifest{Schema: schemaVersion, Embedder: info, Created: now, Updated: now}
	s.mu.Lock()
	s.manifest, s.hasManifest = m, true
	s.t.dim = info.Dimensions
	s.mu.Unlock()
	return nil
}

// ForgetEmbedder undoes SetEmbedder on a store that has never stored a
// record: the store is new again, and its next SetEmbedder may name another
// embedder. It is how a first ingest that stored nothing leaves no embedder
// behind in this process (on disk, the manifest is only written by the
// first Add that stores a record). On a store whose manifest is saved it
// returns an error and changes nothing.
func (s *Store) ForgetEmbedder() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writable(); err != nil {
		return fmt.Errorf("vectorstore: forget the embedder of %s: %w", s.dir, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved || s.t.n() > 0 {
		return fmt.Errorf("vectorstore: forget the embedder of %s: the store has stored records", s.dir)
	}
	s.manifest, s.hasManifest = Manifest{}, false
	s.t.dim = 0
	return nil
}

// writable returns why the store cannot be written to, or nil. The caller
// holds wmu.
func (s *Store) writable() error {
	switch {
	case s.closed:
		return ErrClosed
	case s.readOnly:
		return ErrReadOnly
	case s.broken != nil:
		return fmt.Errorf("an earlier write failed and could not be undone (reopen the store): %w", s.broken)
	}
	return nil
}

// HashRecord returns the hash that identifies a record's content and
// metadata (not its embedding): Add skips a record whose ID is stored with
// the same hash, and Lookup returns it so that callers can skip embedding
// unchanged papers. It is the hex SHA-256 of
//
//	"papermap/record/v1\n" uvarint(len(content)) content uvarint(len(metadata))
//	then, by increasing key, uvarint(len(key)) key uvarint(len(value)) value
//
// so it is stable across runs, versions and machines. A nil and an empty
// metadata map hash alike.
func HashRecord(content string, metadata map[string]string) string {
	h := sha256.New()
	var buf []byte
	buf = append(buf, "papermap/record/v1\n"...)
	buf = appendString(buf, content)
	buf = binary.AppendUvarint(buf, uint64(len(metadata)))
	for _, k := range slices.Sorted(maps.Keys(metadata)) {
		buf = appendString(buf, k)
		buf = appendString(buf, metadata[k])
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

// Lookup returns the hash (see HashRecord) of the stored record id.
func (s *Store) Lookup(id string) (hash string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok, err := s.t.locate(id)
	var r rowInfo
	if err == nil && ok {
		r, err = s.t.row(i)
	}
	if err != nil {
		s.notify("vectorstore: look up %q: %v", id, err)
		return "", false
	}
	return r.hash, ok
}

// Get returns a copy of the stored record id. Its content and metadata
// are read from the log; should that fail (the log was damaged since
// Open), Get reports the record as missing and the notice (Options.Notice)
// says why.
func (s *Store) Get(id string) (Record, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.t
	i, ok, err := t.locate(id)
	if err == nil && !ok {
		return Record{}, false
	}
	if err == nil {
		err = t.ready(i, i+1)
	}
	var content string
	var meta map[string]string
	if err == nil {
		content, meta, err = t.record(i)
	}
	if err != nil {
		s.notify("vectorstore: get %q: %v", id, err)
		return Record{}, false
	}
	return Record{ID: id, Content: content, Metadata: meta, Embedding: slices.Clone(t.vec(i))}, true
}

// Len returns the number of records.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t.n()
}

// IDs returns the IDs of all records, sorted.
func (s *Store) IDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rows := s.readableRows()
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].id
	}
	if s.t.rowOf != nil { // else in ID order already (sortedRows)
		slices.Sort(ids)
	}
	return ids
}

// readableRows returns every row. Should some not be readable (a chunk of
// the snapshot's row index damaged, and the log it covers too), it says
// so in a notice and returns the others. The caller holds mu, for
// reading at least.
func (s *Store) readableRows() []rowInfo {
	rows, err := s.t.allRows()
	if err == nil {
		return rows
	}
	s.notify("vectorstore: %v", err)
	rows = make([]rowInfo, 0, s.t.n())
	for i := range s.t.n() {
		if r, err := s.t.row(i); err == nil {
			rows = append(rows, r)
		}
	}
	return rows
}

// Matrix returns all records' vectors as one row-major matrix, rows in the
// order of ids (sorted by ID). vectors is a fresh copy that the caller
// owns. dim is 0 when the store's dimension is not known yet.
func (s *Store) Matrix() (ids []string, vectors []float32, dim int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.t
	if err := t.readyAll(); err != nil {
		// Rows whose snapshot chunk and log frame are both damaged:
		// the notice says which; they are returned as they are.
		s.notify("vectorstore: %v", err)
	}
	order := t.sortedRows()
	ids = make([]string, 0, len(order))
	vectors = make([]float32, len(order)*t.dim)
	var rerr error
	for _, i := range order {
		r, err := t.row(i)
		if err != nil {
			// Rows whose chunk of the snapshot's row index and the log
			// are both damaged: left out, with a notice.
			rerr = err
			continue
		}
		k := len(ids)
		ids = append(ids, r.id)
		copy(vectors[k*t.dim:(k+1)*t.dim], t.vec(i))
	}
	if rerr != nil {
		s.notify("vectorstore: %v", rerr)
	}
	return ids, vectors[:len(ids)*t.dim], t.dim
}

// Collection returns an in-memory chromem-go collection that mirrors the
// store: one document per record, whose Embedding shares memory with the
// store's matrix. It is built at the first call (the store itself never
// needs it); from then on Add and Delete keep it in step. It is for
// reading (QueryEmbedding, GetByID, Count): documents added to or deleted
// from it directly are neither saved nor seen by the store, and it must
// not be used while Add or Delete runs. It returns nil once the store is
// closed.
func (s *Store) Collection() *chromem.Collection {
	coll, _ := s.collection(context.Background())
	return coll
}

// collection returns the chromem-go collection, building it if needed.
func (s *Store) collection(ctx context.Context) (*chromem.Collection, error) {
	s.mu.RLock()
	coll, closed := s.coll, s.closed
	s.mu.RUnlock()
	if coll != nil {
		return coll, nil
	}
	if closed {
		return nil, fmt.Errorf("vectorstore: %w", ErrClosed)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("vectorstore: %w", ErrClosed)
	}
	if s.coll == nil {
		coll, err := s.buildCollection(ctx)
		if err != nil {
			return nil, err
		}
		s.coll = coll
	}
	return s.coll, nil
}

// checkRecord validates r for a store of dimension dim and copies its
// unit-length embedding to dst.
func checkRecord(r *Record, dim int, dst []float32) error {
	if r.ID == "" {
		return errors.New("vectorstore: a record has an empty ID")
	}
	if n := frameLen(r.ID, r.Content, r.Metadata, dim) - frameHeaderLen; n > maxPayloadLen {
		return &TooLargeError{ID: r.ID, Bytes: n, Max: maxPayloadLen}
	}
	if len(r.Embedding) != dim {
		return fmt.Errorf("vectorstore: record %q: embedding has %d dims, the store %d", r.ID, len(r.Embedding), dim)
	}
	norm, err := unitNorm(r.Embedding)
	if err != nil {
		return fmt.Errorf("vectorstore: record %q: embedding %w", r.ID, err)
	}
	if d := norm - 1; d > embed.NormTolerance || d < -embed.NormTolerance {
		return fmt.Errorf("vectorstore: record %q: embedding has norm %g, not 1 (tolerance %g): embedders return unit vectors", r.ID, norm, embed.NormTolerance)
	}
	copyUnit(dst, r.Embedding, norm)
	return nil
}

// change is one record of a batch that Add writes.
type change struct {
	rec  int    // index in the batch
	hash string // its hash
	off  int64  // offset of its frame in the batch
	size int64  // length of its frame
}

// Add stores records. It first validates every record (a non-empty ID; an
// embedding of the store's dimension, finite, of norm 1 within
// embed.NormTolerance), and if one is invalid returns an error naming it
// and stores none of the batch. It then appends the new and changed records
// to the log in one write, and syncs it: when Add returns nil, the batch
// survives a crash. A record whose ID is stored with the same content and
// metadata (HashRecord) is left alone; a later record of the batch with
// the ID of an earlier one replaces it.
//
// Embeddings are copied, rescaled to norm 1 when they are not within 1e-6
// of it. The store's embedder must be known (SetEmbedder, now or in an
// earlier run), or Add returns ErrNoEmbedder.
//
// When more than half of the log is dead (replaced or deleted records),
// Add compacts it; if that fails the batch is still saved, the stats are
// right and the error says so.
func (s *Store) Add(ctx context.Context, recs []Record) (AddStats, error) {
	var st AddStats
	if err := ctx.Err(); err != nil {
		return st, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writable(); err != nil {
		return st, fmt.Errorf("vectorstore: add to %s: %w", s.dir, err)
	}
	if !s.hasManifest {
		return st, fmt.Errorf("vectorstore: add to %s: %w", s.dir, ErrNoEmbedder)
	}
	dim := s.t.dim
	vecs := make([]float32, len(recs)*dim)
	for i := range recs {
		if err := checkRecord(&recs[i], dim, vecs[i*dim:(i+1)*dim]); err != nil {
			return st, err
		}
	}

	size := 0 // about the length of the frames, so buf is allocated once
	for i := range recs {
		r := &recs[i]
		size += frameHeaderLen + 128 + len(r.ID) + len(r.Content) + 4*dim
		for k, v := range r.Metadata {
			size += len(k) + len(v) + 4
		}
	}
	buf := make([]byte, 0, size)
	var changes []change
	batch := make(map[string]string) // hashes written earlier in this batch
	newIDs := 0
	for i := range recs {
		r := &recs[i]
		h := HashRecord(r.Content, r.Metadata)
		old, known := batch[r.ID]
		if !known {
			if j, ok := s.t.find(r.ID); ok {
				old, known = s.t.mem[j].hash, true
			}
		}
		switch {
		case known && old == h:
			st.Unchanged++
			continue
		case known:
			st.Updated++
		default:
			st.Added++
			newIDs++
		}
		n := len(buf)
		buf = appendRecordFrame(buf, r.ID, h, r.Content, r.Metadata, vecs[i*dim:(i+1)*dim])
		changes = append(changes, change{rec: i, hash: h, off: int64(n), size: int64(len(buf) - n)})
		batch[r.ID] = h
	}
	if len(changes) == 0 {
		return st, nil
	}
	if err := ctx.Err(); err != nil {
		return AddStats{}, err
	}
	if !s.saved {
		// The first records of a new store: the manifest goes first, so
		// that a store with records always says what embedded them.
		if err := writeManifest(s.dir, s.manifest); err != nil {
			return AddStats{}, err
		}
		s.saved = true
	}
	// Rows of the snapshot are checked before they are written over or
	// copied.
	if err := s.t.readyAll(); err != nil {
		return AddStats{}, fmt.Errorf("vectorstore: add to %s: %w", s.dir, err)
	}
	base := s.size
	if err := s.appendLog(buf); err != nil {
		return AddStats{}, err
	}

	s.mu.Lock()
	t := s.t
	t.mutable()
	if need := (len(t.mem) + newIDs) * dim; need > cap(t.vecs) {
		t.reserve(len(t.mem) + newIDs)
		// A new matrix: every document must point into it.
		for i := range t.mem {
			s.syncCollection(i)
		}
	}
	s.indexAdding(recs, changes) // index.go
	for _, c := range changes {
		r := &recs[c.rec]
		i, ok := t.rowOf[r.ID]
		if ok {
			s.liveBytes -= t.mem[i].size
		} else {
			i = len(t.mem)
			t.rowOf[r.ID] = i
			t.mem = append(t.mem, rowInfo{})
			t.vecs = t.vecs[:len(t.vecs)+dim]
			if t.metas != nil {
				t.metas = append(t.metas, nil)
			}
		}
		t.mem[i] = rowInfo{id: r.ID, hash: c.hash, off: base + c.off, size: c.size}
		if t.metas != nil {
			t.metas[i] = cloneMeta(r.Metadata)
		}
		copy(t.vec(i), vecs[c.rec*dim:(c.rec+1)*dim])
		s.liveBytes += c.size
		s.syncCollectionRecord(i, r)
	}
	s.indexAdded(recs, changes) // index.go
	s.dirty = true
	s.mu.Unlock()

	if err := s.maybeCompact(ctx); err != nil {
		return st, fmt.Errorf("vectorstore: the records were saved, but compacting %s failed: %w", s.dir, err)
	}
	return st, nil
}

func cloneMeta(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// appendLog appends frames to the log and syncs it. On failure it cuts the
// log back to its previous length; if even that fails, the store refuses
// further writes. The caller holds wmu.
func (s *Store) appendLog(buf []byte) error {
	_, err := s.log.WriteAt(buf, s.size)
	if err == nil {
		err = s.log.Sync()
	}
	if err != nil {
		if terr := s.log.Truncate(s.size); terr != nil {
			s.broken = terr
		} else if serr := s.log.Sync(); serr != nil {
			s.broken = serr
		}
		return fmt.Errorf("vectorstore: write %s: %w", s.log.Name(), err)
	}
	s.size += int64(len(buf))
	return nil
}

// Delete removes the records with the given IDs; unknown IDs are ignored.
// Like Add, it is durable when it returns nil.
func (s *Store) Delete(ctx context.Context, ids ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writable(); err != nil {
		return fmt.Errorf("vectorstore: delete from %s: %w", s.dir, err)
	}
	var buf []byte
	var gone []string
	seen := make(map[string]bool)
	for _, id := range ids {
		if _, ok := s.t.find(id); !ok || seen[id] {
			continue
		}
		seen[id] = true
		gone = append(gone, id)
		buf = appendTombstoneFrame(buf, id)
	}
	if len(gone) == 0 {
		return nil
	}
	if err := s.t.readyAll(); err != nil {
		return fmt.Errorf("vectorstore: delete from %s: %w", s.dir, err)
	}
	if err := s.appendLog(buf); err != nil {
		return err
	}

	s.mu.Lock()
	t := s.t
	t.mutable()
	for _, id := range gone {
		i := t.rowOf[id]
		s.indexRetire(i) // index.go
		s.liveBytes -= t.mem[i].size
		delete(t.rowOf, id)
		last := len(t.mem) - 1
		if i != last {
			// The last row moves into the hole.
			t.mem[i] = t.mem[last]
			copy(t.vec(i), t.vec(last))
			t.rowOf[t.mem[i].id] = i
			if t.metas != nil {
				t.metas[i] = t.metas[last]
			}
			s.syncCollection(i)
			s.indexMove(last, i) // index.go
		} else {
			s.indexDropped(last) // index.go
		}
		t.mem[last] = rowInfo{}
		t.mem = t.mem[:last]
		t.vecs = t.vecs[:last*t.dim]
		if t.metas != nil {
			t.metas[last] = nil
			t.metas = t.metas[:last]
		}
	}
	// After the moves, which may have put back documents deleted later.
	// chromem-go fails only when given no IDs and no filter.
	if s.coll != nil && s.coll.Delete(context.Background(), nil, nil, gone...) != nil {
		s.coll = nil
	}
	s.dirty = true
	s.mu.Unlock()

	if err := s.maybeCompact(ctx); err != nil {
		return fmt.Errorf("vectorstore: the records were deleted, but compacting %s failed: %w", s.dir, err)
	}
	return nil
}

// compactMinBytes is the log size below which Add and Delete never
// compact: rewriting a small log saves nothing worth a rename.
var compactMinBytes int64 = 1 << 20

// maybeCompact compacts the log when more than half of it is dead.
func (s *Store) maybeCompact(ctx context.Context) error {
	body := s.size - int64(len(logHeader))
	if s.size < compactMinBytes || body-s.liveBytes <= body/2 {
		return nil
	}
	return s.compact(ctx)
}

// Compact rewrites the log with only the live records, in ID order, and
// replaces the old log atomically: a crash during Compact leaves the old
// log or the new one, both complete. Readers that opened the store before
// keep their state.
func (s *Store) Compact(ctx context.Context) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writable(); err != nil {
		return fmt.Errorf("vectorstore: compact %s: %w", s.dir, err)
	}
	return s.compact(ctx)
}

func (s *Store) compact(ctx context.Context) error {
	// Writers are excluded by wmu, and writeLog only reads the table
	// (besides the frame sizes, which it sets to what they already are).
	// The log shrinks: forget its recorded length first, so that a crash
	// between the two writes cannot make the old length look cut short.
	if err := s.setLogBytes(0); err != nil {
		return err
	}
	size, offs, err := writeLog(ctx, s.dir, s.t)
	if err != nil {
		return err
	}
	s.needSnap = true
	if err := s.setLogBytes(size); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.dir, logName), os.O_RDWR, 0)
	if err != nil {
		// The new log is in place but we cannot append to it.
		s.broken = err
		return fmt.Errorf("vectorstore: reopen the compacted log: %w", err)
	}
	// Readers of this Store switch to the new log and its offsets at
	// once.
	s.mu.Lock()
	for i, off := range offs {
		s.t.mem[i].off = off
	}
	s.t.src = f
	s.mu.Unlock()
	s.log.Close()
	s.log, s.size, s.liveBytes = f, size, size-int64(len(logHeader))
	return nil
}

// setLogBytes records the log's length in the manifest, if there is one.
func (s *Store) setLogBytes(n int64) error {
	s.mu.RLock()
	m, ok := s.manifest, s.saved
	s.mu.RUnlock()
	if !ok || m.LogBytes == n {
		return nil
	}
	m.LogBytes = n
	if err := writeManifest(s.dir, m); err != nil {
		return err
	}
	s.mu.Lock()
	s.manifest.LogBytes = n
	s.mu.Unlock()
	return nil
}
