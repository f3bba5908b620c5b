package vectorstore

import (
	"context"
	"encoding/gob"
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

	"github.com/papermap/papermap/embed"
	"github.com/philippgille/chromem-go"
)

// Collection metadata keys with which ExportChromem says what made the
// vectors, and with which ReadChromem recognises it. A chromem-go program
// that sets them on its own collection lets papermap keep its vectors.
const (
	ChromemKeyEmbedder   = "papermap.embedder"   // "BACKEND/MODEL", e.g. "ollama/nomic-embed-text"
	ChromemKeyDimensions = "papermap.dimensions" // e.g. "768"
)

// DefaultChromemCollection is the collection ExportChromem writes when
// ChromemOptions.Collection is empty.
const DefaultChromemCollection = "papermap"

// ChromemOptions configures ExportChromem. The zero value writes one
// gzip-compressed, unencrypted collection named "papermap" whose
// documents hold the records' content.
type ChromemOptions struct {
	// Collection names the collection (default "papermap").
	Collection string
	// Uncompressed writes plain gob instead of gob+gzip.
	Uncompressed bool
	// EncryptionKey, if set, encrypts the file with AES-256-GCM as
	// chromem-go does; it must be 32 bytes long.
	EncryptionKey string
	// Content returns the Content of a record's document (nil: the
	// record's Content). Its Embedding field is nil.
	Content func(Record) string
}

// ExportChromem writes the store to w as a chromem-go database export
// (what chromem-go's DB.ExportToWriter writes, and DB.ImportFromFile or
// DB.ImportFromReader read): one collection with a document per record,
// its ID, content, metadata and stored vector. The collection's metadata
// names the store's embedder (ChromemKeyEmbedder, ChromemKeyDimensions).
// chromem-go's QueryEmbedding over the imported collection returns the
// same hits as Query (up to float32 rounding of the scores).
//
// Writers wait until the export is done.
func (s *Store) ExportChromem(ctx context.Context, w io.Writer, opts ChromemOptions) error {
	if opts.EncryptionKey != "" && len(opts.EncryptionKey) != 32 {
		return fmt.Errorf("vectorstore: the chromem-go encryption key has %d bytes, want 32 (AES-256)", len(opts.EncryptionKey))
	}
	name := opts.Collection
	if name == "" {
		name = DefaultChromemCollection
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return fmt.Errorf("vectorstore: %w", ErrClosed)
	}
	meta := map[string]string{}
	if s.hasManifest {
		e := s.manifest.Embedder
		meta[ChromemKeyEmbedder] = e.Backend + "/" + e.Model
		meta[ChromemKeyDimensions] = strconv.Itoa(e.Dimensions)
	}
	db := chromem.NewDB()
	coll, err := db.CreateCollection(name, meta, noEmbedding)
	if err != nil {
		return fmt.Errorf("vectorstore: export: %w", err)
	}
	t := s.t
	if err := t.readyAll(); err != nil {
		return fmt.Errorf("vectorstore: export: %w", err)
	}
	for _, i := range t.sortedRows() {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := t.row(i)
		if err != nil {
			return fmt.Errorf("vectorstore: export: %w", err)
		}
		content, meta, err := t.record(i)
		if err != nil {
			return fmt.Errorf("vectorstore: export: %w", err)
		}
		if opts.Content != nil {
			content = opts.Content(Record{ID: r.id, Content: content, Metadata: meta})
		}
		// The Embedding is a row of the matrix: unit length within
		// chromem-go's tolerance, so it is not copied. The collection
		// is dropped before the store's lock is released.
		err = coll.AddDocument(ctx, chromem.Document{ID: r.id, Content: content, Metadata: meta, Embedding: t.vec(i)})
		if err != nil {
			return fmt.Errorf("vectorstore: export record %q: %w", r.id, err)
		}
	}
	if err := db.ExportToWriter(w, !opts.Uncompressed, opts.EncryptionKey); err != nil {
		return fmt.Errorf("vectorstore: export: %w", err)
	}
	return nil
}

// ChromemCollection is one collection read from chromem-go data.
type ChromemCollection struct {
	Name     string
	Metadata map[string]string
	// Documents, sorted by ID.
	Documents []chromem.Document
}

// Embedder returns the embedder the collection's metadata names
// (ChromemKeyEmbedder, ChromemKeyDimensions); ok is false when it names
// none, as in a collection that papermap did not write.
func (c *ChromemCollection) Embedder() (info embed.Info, ok bool) {
	name, dims := c.Metadata[ChromemKeyEmbedder], c.Metadata[ChromemKeyDimensions]
	backend, model, found := strings.Cut(name, "/")
	d, err := strconv.Atoi(dims)
	if !found || backend == "" || err != nil || d <= 0 {
		return embed.Info{}, false
	}
	return embed.Info{Backend: backend, Model: model, Dimensions: d}, true
}

// ReadChromemOptions configures ReadChromem. The zero value reads an
// unencrypted export, or a persistent directory, holding one collection.
type ReadChromemOptions struct {
	// Collection names the collection to read; it may be empty when
	// there is only one.
	Collection string
	// EncryptionKey decrypts an export written with one (32 bytes).
	EncryptionKey string
}

// ErrChromemCollection is matched by the errors of ReadChromem when the
// collection to read is missing or not named among several.
var ErrChromemCollection = errors.New("choose a chromem-go collection")

// ReadChromem reads one collection of chromem-go data: either a database
// export file (DB.ExportToFile: gob, maybe gzip-compressed, maybe
// encrypted) or the directory of a persistent database
// (chromem.NewPersistentDB). chromem-go itself reads it; nothing is
// written to path.
func ReadChromem(path string, opts ReadChromemOptions) (*ChromemCollection, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("vectorstore: %w", err)
	}
	db := chromem.NewDB()
	if fi.IsDir() {
		if opts.EncryptionKey != "" {
			return nil, fmt.Errorf("vectorstore: %s is a chromem-go directory, and those are never encrypted: drop the encryption key", path)
		}
		compress, err := chromemDirCompressed(path)
		if err != nil {
			return nil, err
		}
		if db, err = chromem.NewPersistentDB(path, compress); err != nil {
			return nil, fmt.Errorf("vectorstore: read chromem-go directory %s: %w", path, err)
		}
	} else {
		if opts.EncryptionKey != "" && len(opts.EncryptionKey) != 32 {
			return nil, fmt.Errorf("vectorstore: the chromem-go encryption key has %d bytes, want 32 (AES-256)", len(opts.EncryptionKey))
		}
		if err := db.ImportFromFile(path, opts.EncryptionKey); err != nil {
			hint := ""
			if opts.EncryptionKey == "" {
				hint = " (if it is encrypted, give its key)"
			}
			return nil, fmt.Errorf("vectorstore: read chromem-go export %s%s: %w", path, hint, err)
		}
	}
	names := slices.Sorted(maps.Keys(db.ListCollections()))
	name := opts.Collection
	switch {
	case name != "" && !slices.Contains(names, name):
		return nil, fmt.Errorf("vectorstore: %s has no collection %q (it has %s): %w", path, name, quoteList(names), ErrChromemCollection)
	case name == "" && len(names) == 0:
		return nil, fmt.Errorf("vectorstore: %s holds no chromem-go collection", path)
	case name == "" && len(names) > 1:
		return nil, fmt.Errorf("vectorstore: %s holds %d collections (%s): name one: %w", path, len(names), quoteList(names), ErrChromemCollection)
	case name == "":
		name = names[0]
	}
	return exportedCollection(db, name)
}

// exportedCollection lists the documents of one collection of db.
// chromem-go v0.7.0 has no call that lists a collection's documents, so
// they are taken from its own export, streamed (uncompressed) through a
// pipe and decoded as chromem-go encodes it.
func exportedCollection(db *chromem.DB, name string) (*ChromemCollection, error) {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(db.ExportToWriter(pw, false, "", name))
	}()
	// The layout of chromem-go's export (DB.ExportToWriter).
	var exported struct {
		Collections map[string]*struct {
			Name      string
			Metadata  map[string]string
			Documents map[string]*chromem.Document
		}
	}
	err := gob.NewDecoder(pr).Decode(&exported)
	pr.CloseWithError(errors.New("decoded")) // let the writer end if the decoder stopped early
	if err != nil {
		return nil, fmt.Errorf("vectorstore: read chromem-go collection %q: %w", name, err)
	}
	pc := exported.Collections[name]
	if pc == nil {
		return nil, fmt.Errorf("vectorstore: chromem-go exported no collection %q", name)
	}
	out := &ChromemCollection{Name: pc.Name, Metadata: pc.Metadata, Documents: make([]chromem.Document, 0, len(pc.Documents))}
	for _, d := range pc.Documents {
		if d != nil {
			out.Documents = append(out.Documents, *d)
		}
	}
	slices.SortFunc(out.Documents, func(a, b chromem.Document) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// chromemDirCompressed tells whether the persistent chromem-go database in
// dir was written compressed: chromem.NewPersistentDB reads only the
// files of the kind it is told (.gob or .gob.gz).
func chromemDirCompressed(dir string) (bool, error) {
	var gob, gz bool
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && d.IsDir() && filepath.Dir(path) != dir {
			return fs.SkipDir // collections are one level down
		}
		switch {
		case strings.HasSuffix(d.Name(), ".gob.gz"):
			gz = true
		case strings.HasSuffix(d.Name(), ".gob"):
			gob = true
		}
		return nil
	})
	switch {
	case err != nil:
		return false, fmt.Errorf("vectorstore: read chromem-go directory: %w", err)
	case gob && gz:
		return false, fmt.Errorf("vectorstore: chromem-go directory %s holds both .gob and .gob.gz files: chromem-go reads one kind at a time", dir)
	case !gob && !gz:
		return false, fmt.Errorf("vectorstore: %s is not a chromem-go directory (no .gob or .gob.gz files in its collection directories)", dir)
	}
	return gz, nil
}

// IsChromemExport reports whether the file at path looks like a chromem-go
// export by its name: .gob, .gob.gz, or either with .enc appended.
func IsChromemExport(path string) bool {
	p := strings.TrimSuffix(strings.ToLower(path), ".enc")
	return strings.HasSuffix(p, ".gob") || strings.HasSuffix(p, ".gob.gz")
}

// IsChromemDir reports whether dir looks like the directory of a
// persistent chromem-go database.
func IsChromemDir(dir string) bool {
	_, err := chromemDirCompressed(dir)
	return err == nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
