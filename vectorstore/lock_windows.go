//go:build windows

package vectorstore

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockOffset is where the lock's one-byte range lies: far beyond the pid
// written at the start of LOCK, because Windows locks are mandatory and a
// locked range cannot be read by another process.
const lockOffset = 1 << 30

// tryLock takes an exclusive, non-blocking lock (LockFileEx) on a byte of
// f. It returns false when another handle holds it; Windows releases the
// lock when the holder's handle is closed, even by a crash.
func tryLock(f *os.File) (bool, error) {
	ol := new(windows.Overlapped)
	ol.Offset = lockOffset
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION), errors.Is(err, windows.ERROR_IO_PENDING):
		return false, nil
	}
	return false, err
}
