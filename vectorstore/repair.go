package vectorstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Repair rewrites the record log of the store in dir, keeping every intact
// frame: it skips damaged stretches by searching for the next frame marker
// with a valid checksum, applies the frames it keeps in order (so a
// record's last intact version wins, and a record whose tombstone was
// damaged comes back), and writes the live records to a new log that
// replaces the old one atomically. It returns how many records the store
// holds afterwards. The manifest is kept but for the log length it records;
// the other files are left as they are.
//
// Repair takes the writer lock, so it fails with a *LockedError while
// another process writes to the store.
func Repair(ctx context.Context, dir string) (kept int, err error) {
	logPath := filepath.Join(dir, logName)
	if _, err := os.Stat(logPath); errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("vectorstore: repair %s: %w", dir, ErrNotExist)
	}
	lock, err := acquireLock(dir)
	if err != nil {
		return 0, err
	}
	defer lock.Close()
	if err := removeTemps(dir); err != nil {
		return 0, err
	}
	f, err := os.Open(logPath)
	if err != nil {
		return 0, fmt.Errorf("vectorstore: repair: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("vectorstore: repair: %w", err)
	}
	// The manifest's dimension, when it can be read, decides which records
	// are the store's; otherwise the first intact record does.
	dim := 0
	if m, ok, err := readManifest(dir); err == nil && ok {
		dim = m.Embedder.Dimensions
	}
	t, _, err := loadTable(f, fi.Size(), dim, scanRepair)
	if err != nil {
		return 0, err
	}
	defer t.close()
	m, hasManifest, merr := readManifest(dir)
	if merr == nil && hasManifest && m.LogBytes > 0 {
		// The repaired log is shorter than the one the manifest knew.
		m.LogBytes = 0
		if err := writeManifest(dir, m); err != nil {
			return 0, err
		}
	}
	size, _, err := writeLog(ctx, dir, t)
	if err != nil {
		return 0, err
	}
	if merr == nil && hasManifest {
		m.LogBytes = size
		if err := writeManifest(dir, m); err != nil {
			return 0, err
		}
	}
	return len(t.mem), nil
}
