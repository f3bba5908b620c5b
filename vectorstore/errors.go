package vectorstore

import (
	"errors"
	"fmt"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/internal/format"
)

var (
	// ErrNotExist is returned by a read-only Open of a directory that holds
	// no store.
	ErrNotExist = errors.New("no papermap store there")

	// ErrReadOnly is returned by every method that would write to a store
	// opened with Options.ReadOnly.
	ErrReadOnly = errors.New("store is open read-only")

	// ErrNoEmbedder is returned by Add on a store whose embedder is not
	// known yet: call SetEmbedder first.
	ErrNoEmbedder = errors.New("the store's embedder is not set: call SetEmbedder before Add")

	// ErrClosed is returned by the methods of a closed Store.
	ErrClosed = errors.New("store is closed")
)

// LockedError reports that another writer holds a store's lock.
type LockedError struct {
	Dir string
	PID int // the lock holder's process id, 0 when unknown
}

func (e *LockedError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("store %s is in use by another papermap process (pid %d): wait for it to finish, or use another --store", e.Dir, e.PID)
	}
	return fmt.Sprintf("store %s is in use by another papermap process: wait for it to finish, or use another --store", e.Dir)
}

// MismatchError reports that a store was built by another embedder than
// the one a caller wants to use with it: their vectors are not comparable.
type MismatchError struct {
	Dir  string
	Have embed.Info // what the store was built with
	Want embed.Info // what this run uses
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("store %s was built with %s; this run uses %s: use another --store or the same embedder",
		e.Dir, describe(e.Have), describe(e.Want))
}

func describe(info embed.Info) string {
	name := info.Backend
	if info.Model != "" {
		name += "/" + info.Model
	}
	if name == "" {
		name = "an unknown embedder"
	}
	if info.Dimensions > 0 {
		name += fmt.Sprintf(" (%d dims)", info.Dimensions)
	}
	return name
}

// CorruptError reports a store file that cannot be read as written: a
// damaged frame in the middle of the record log, or a damaged manifest.
// (A torn frame at the very end of the log is not corruption: it is the
// trace of an interrupted write, and Open ignores it.)
type CorruptError struct {
	File   string // path of the damaged file
	Offset int64  // byte offset of the damage, -1 when not meaningful
	Reason string // what is wrong, e.g. "checksum mismatch"
	// Intact is how many records Repair would keep; -1 when the damage is
	// not in the record log.
	Intact int
}

func (e *CorruptError) Error() string {
	where := e.File
	if e.Offset >= 0 {
		where = fmt.Sprintf("%s at byte %s", e.File, format.Int(int(e.Offset)))
	}
	if e.Intact >= 0 {
		return fmt.Sprintf("%s is corrupt (%s): re-ingest into a new store, or run `papermap repair --store %s` to keep the %s intact records",
			where, e.Reason, storeDirOf(e.File), format.Int(e.Intact))
	}
	return fmt.Sprintf("%s is corrupt (%s): re-ingest into a new store", where, e.Reason)
}

// TooLargeError reports a record whose frame in the log would exceed the
// largest one the store writes (and reads back without calling it damage).
type TooLargeError struct {
	ID    string
	Bytes int // the length of its frame's payload
	Max   int // the longest payload allowed
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("vectorstore: record %q takes %s bytes, more than the %s a stored record may take: shorten its content or metadata", e.ID, format.Int(e.Bytes), format.Int(e.Max))
}
