package vectorstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/papermap/papermap/internal/safefile"
)

// replaceSuffix names the sibling directory in which Replace builds a
// store's replacement: DIR's parent/.BASE.replace.
const replaceSuffix = ".replace"

// replaceDir returns the sibling directory Replace uses for dir.
func replaceDir(dir string) string {
	dir = filepath.Clean(dir)
	return filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+replaceSuffix)
}

// removeReplaceLeftover removes what a Replace that crashed left beside
// dir: a replacement not yet put in place, or the old store after it was.
// Either way the store in dir is whole. The caller holds dir's writer lock,
// which Replace holds from start to end, so no Replace is running.
func removeReplaceLeftover(dir string) error {
	side := replaceDir(dir)
	if _, err := os.Lstat(filepath.Join(side, lockName)); err != nil {
		// Replace opens the store there first, which makes its LOCK: a
		// directory without one is not a leftover of Replace.
		return nil
	}
	if err := os.RemoveAll(side); err != nil {
		return fmt.Errorf("vectorstore: remove %s, left by an interrupted replacement of the store: %w", side, err)
	}
	return nil
}

// Replace puts a new store in the place of s, atomically: build fills a new,
// empty store (next, opened for writing beside s's directory, in
// PARENT/.BASE.replace) through the usual SetEmbedder, Add and WriteFile;
// then the files of s that next lacks and keep accepts are copied into it,
// everything is made durable, and the two directories are exchanged in one
// rename (renameat2 RENAME_EXCHANGE). A crash before the exchange leaves s
// as it was, one after it leaves the new store; whatever is left in the
// sibling directory is removed by the next writer's Open.
//
// s's writer lock is held throughout, and the new store's from its
// creation, so no other writer sees the store in between. Replace closes s
// whatever happens: reopen the directory to use the store. If build fails,
// the new store is removed and its error returned, and s's directory is
// unchanged.
//
// Replace needs an operating system that can exchange two directories
// atomically (Linux); elsewhere it returns an error and changes nothing.
func (s *Store) Replace(ctx context.Context, build func(next *Store) error, keep func(name string) bool) (err error) {
	s.wmu.Lock()
	locked := true
	defer func() {
		if locked {
			s.wmu.Unlock()
		}
		// s's files now hold whichever store is not in s.dir (or the
		// old one, unchanged, after a failure): close without writing.
		cerr := s.closeQuietly()
		if err == nil {
			err = cerr
		}
	}()
	if err := s.writable(); err != nil {
		return fmt.Errorf("vectorstore: replace %s: %w", s.dir, err)
	}
	if err := canExchange(); err != nil {
		return err
	}
	side := replaceDir(s.dir)
	if err := os.RemoveAll(side); err != nil {
		return fmt.Errorf("vectorstore: %w", err)
	}
	next, err := Open(ctx, side, Options{})
	if err != nil {
		return err
	}
	fail := func(err error) error {
		next.closeQuietly()
		return errors.Join(err, os.RemoveAll(side))
	}
	// build may read s (Get, IDs...), which needs only s.mu.
	if err := build(next); err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := s.copyAux(next, keep); err != nil {
		return fail(err)
	}
	if err := next.flush(); err != nil {
		return fail(err)
	}
	if err := safefile.SyncDir(side); err != nil {
		return fail(fmt.Errorf("vectorstore: %w", err))
	}
	if err := exchange(side, s.dir); err != nil {
		return fail(fmt.Errorf("vectorstore: put the new store in place of %s: %w", s.dir, err))
	}
	// The switch is made. Make it durable, then drop the old store; a
	// failure from here on leaves the new store in place.
	syncErr := safefile.SyncDir(filepath.Dir(filepath.Clean(s.dir)))
	nerr := next.closeQuietly()
	s.wmu.Unlock()
	locked = false
	if cerr := s.closeQuietly(); cerr != nil && nerr == nil {
		nerr = cerr
	}
	if rerr := os.RemoveAll(side); rerr != nil {
		nerr = errors.Join(nerr, fmt.Errorf("vectorstore: remove the old store %s: %w", side, rerr))
	}
	if syncErr != nil {
		return fmt.Errorf("vectorstore: %w", syncErr)
	}
	return nerr
}

// copyAux copies into next the auxiliary files of s (see WriteFile) that
// next does not have and keep accepts.
func (s *Store) copyAux(next *Store, keep func(string) bool) error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("vectorstore: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || checkAuxName(name) != nil || strings.HasPrefix(name, tmpPrefix) {
			continue
		}
		if keep != nil && !keep(name) {
			continue
		}
		if _, err := os.Lstat(filepath.Join(next.dir, name)); !errors.Is(err, fs.ErrNotExist) {
			continue // next has its own (or cannot tell: keep next's)
		}
		data, err := os.ReadFile(filepath.Join(s.dir, name))
		if err != nil {
			return fmt.Errorf("vectorstore: %w", err)
		}
		if err := next.WriteFile(name, data); err != nil {
			return err
		}
	}
	return nil
}

// flush writes the manifest with the log's length, as Close does, so that
// the store is complete on disk while it stays open (and locked).
func (s *Store) flush() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.writable(); err != nil {
		return err
	}
	if !s.saved {
		return errors.New("vectorstore: the new store holds no paper")
	}
	s.mu.RLock()
	m := s.manifest
	s.mu.RUnlock()
	m.LogBytes = s.size
	if err := s.saveSnapshot(s.t); err != nil {
		return err
	}
	if err := writeManifest(s.dir, m); err != nil {
		return err
	}
	s.mu.Lock()
	s.manifest = m
	s.mu.Unlock()
	s.dirty = false
	return nil
}

// closeQuietly releases the store's files without writing its manifest:
// used once its directory has been exchanged. It does not take wmu.
func (s *Store) closeQuietly() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	t := s.t
	s.t, s.coll = newTable(), nil
	s.mu.Unlock()
	return errors.Join(t.close(), s.release())
}
