package vectorstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/internal/safefile"
)

// schemaVersion is the Manifest.Schema this package writes and reads.
const schemaVersion = 1

// Manifest records what built a store: which embedder made its vectors,
// and when. It is kept in DIR/manifest.json.
type Manifest struct {
	Schema   int        `json:"schema"`
	Embedder embed.Info `json:"embedder"`
	Created  time.Time  `json:"created"`
	// Updated is when a writer last changed the records and closed the
	// store; a writer that crashed leaves it behind (the log itself is
	// always current).
	Updated time.Time `json:"updated"`
	// LogBytes is the length of the record log when a writer last closed
	// the store or compacted it (0: unknown). The log only grows between
	// two such moments, so a log found shorter was cut: Open reports it
	// instead of taking the cut for the torn end of an interrupted write.
	LogBytes int64 `json:"log_bytes,omitempty"`
}

// readManifest reads DIR/manifest.json. ok is false when there is none.
func readManifest(dir string) (m Manifest, ok bool, err error) {
	path := filepath.Join(dir, manifestName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, false, nil
	}
	if err != nil {
		return m, false, fmt.Errorf("vectorstore: read manifest: %w", err)
	}
	corrupt := func(reason string) error {
		return &CorruptError{File: path, Offset: -1, Reason: reason, Intact: -1}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return m, false, corrupt("bad JSON: " + err.Error())
	}
	switch {
	case m.Schema == 0:
		return m, false, corrupt("no schema version")
	case m.Schema > schemaVersion:
		return m, false, fmt.Errorf("vectorstore: store %s was written by a newer papermap (schema %d, this one reads %d): upgrade papermap", dir, m.Schema, schemaVersion)
	case m.Embedder.Backend == "" || m.Embedder.Dimensions <= 0:
		return m, false, corrupt("no embedder")
	}
	return m, true, nil
}

func writeManifest(dir string, m Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("vectorstore: encode manifest: %w", err)
	}
	return writeFileAtomic(dir, manifestName, append(data, '\n'))
}

// writeFileAtomic replaces DIR/name with data, mode 0600, so that a crash
// leaves either the old file or the new one (see safefile.Write).
func writeFileAtomic(dir, name string, data []byte) error {
	if err := safefile.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		return fmt.Errorf("vectorstore: write %s: %w", name, err)
	}
	return nil
}

// removeTemps removes temporary files left by a writer that crashed.
func removeTemps(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("vectorstore: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("vectorstore: %w", err)
			}
		}
	}
	return nil
}

// checkAuxName reports whether name may be used with WriteFile/ReadFile:
// a plain file name that is none of the store's own files.
func checkAuxName(name string) error {
	switch {
	case name == "" || name == "." || name == "..",
		strings.ContainsAny(name, `/\`),
		strings.HasPrefix(name, "."),
		name != filepath.Base(name):
		return fmt.Errorf("vectorstore: %q is not a plain file name", name)
	case name == logName || name == manifestName || name == lockName || name == indexName || name == codesName || name == snapName:
		return fmt.Errorf("vectorstore: %q is one of the store's own files", name)
	}
	return nil
}

// WriteFile stores data in the file name of the store directory, e.g. an
// embedder's model. The file is replaced atomically (a crash leaves the old
// content or the new, never a mix) and created with mode 0600. name must be
// a plain file name other than the store's own (records.log,
// manifest.json, LOCK) and must not start with a dot.
func (s *Store) WriteFile(name string, data []byte) error {
	return s.WriteFileFrom(name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFileFrom is WriteFile with the content written by write, streamed
// to the file rather than held in memory first (a file of hundreds of
// megabytes at a million papers). If write fails, the file is left as it
// was and its error returned.
func (s *Store) WriteFileFrom(name string, write func(io.Writer) error) error {
	if err := checkAuxName(name); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if err := safefile.Write(filepath.Join(s.dir, name), 0o600, write); err != nil {
		return fmt.Errorf("vectorstore: write %s: %w", name, err)
	}
	return nil
}

// WriteCache is WriteFile for derived data that any reader could compute
// again, such as a map's layout, and that a reader may therefore save: on
// a writable store it is WriteFile; a store opened ReadOnly takes the
// writer lock for the one write and releases it at once. When a writer
// holds the lock, nothing is written and WriteCache returns false with a
// nil error: the writer may be changing the records the data was derived
// from, and the next reader computes it again. The same names as for
// WriteFile are allowed.
func (s *Store) WriteCache(name string, data []byte) (written bool, err error) {
	if err := checkAuxName(name); err != nil {
		return false, err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	switch {
	case s.closed:
		return false, ErrClosed
	case !s.readOnly:
		if err := s.writable(); err != nil {
			return false, err
		}
		return true, writeFileAtomic(s.dir, name, data)
	}
	lock, err := acquireLock(s.dir)
	if err != nil {
		if _, ok := errors.AsType[*LockedError](err); ok {
			return false, nil
		}
		return false, err
	}
	defer lock.Close()
	if err := writeFileAtomic(s.dir, name, data); err != nil {
		return false, err
	}
	return true, nil
}

// RemoveFile removes a file written by WriteFile; a file that is not there
// is not an error. The same names as for WriteFile are allowed.
func (s *Store) RemoveFile(name string) error {
	if err := checkAuxName(name); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(s.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("vectorstore: %w", err)
	}
	if err := safefile.SyncDir(s.dir); err != nil {
		return fmt.Errorf("vectorstore: remove %s: %w", name, err)
	}
	return nil
}

// ReadFile returns the content of a file written by WriteFile. When there
// is none, the error matches fs.ErrNotExist.
func (s *Store) ReadFile(name string) ([]byte, error) {
	if err := checkAuxName(name); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	if err != nil {
		return nil, fmt.Errorf("vectorstore: %w", err)
	}
	return data, nil
}

// MapFile is ReadFile for a large file read in place: the content is
// mapped into memory (privately: writes to it are the caller's own and
// never reach the file), so that only the pages used are read and mapped
// (a reader's exact-term index of 179 MB at a million papers, of which a
// query reads some megabytes: entering all its cached pages into the page
// tables, as populateResident does for files read all over, cost more
// system time than the faults of the pages read). It stays
// valid until the store is closed, and nothing taken from it may be used
// after that (copy what must outlive the store). A file replaced by
// WriteFile meanwhile is not seen: the mapping keeps the content it had.
func (s *Store) MapFile(name string) ([]byte, error) {
	if err := checkAuxName(name); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return nil, fmt.Errorf("vectorstore: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("vectorstore: %w", err)
	}
	if fi.Size() == 0 {
		return []byte{}, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("vectorstore: map %s: %w", name, ErrClosed)
	}
	data, unmap, err := mapFile(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("vectorstore: map %s: %w", name, err)
	}
	s.mapMu.Lock()
	s.maps = append(s.maps, unmap)
	s.mapMu.Unlock()
	return data, nil
}

// unmapFiles releases the mappings of MapFile (the store is closed).
func (s *Store) unmapFiles() error {
	s.mapMu.Lock()
	defer s.mapMu.Unlock()
	var errs []error
	for _, unmap := range s.maps {
		errs = append(errs, unmap())
	}
	s.maps = nil
	return errors.Join(errs...)
}
