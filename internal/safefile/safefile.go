package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// TempPrefix starts the name of every temporary file Write makes. A
// program that owns a directory may remove files with this prefix left
// by a crash.
const TempPrefix = ".tmp-"

// ErrNotRegular is returned (wrapped, with the path) for a target that
// exists and is not a regular file, such as a symbolic link.
var ErrNotRegular = errors.New("not a regular file")

// checkTarget returns nil when path does not exist or is a regular file.
func checkTarget(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return checkMode(path, fi.Mode())
}

func checkMode(path string, m fs.FileMode) error {
	switch {
	case m.IsRegular():
		return nil
	case m&fs.ModeSymlink != 0:
		return fmt.Errorf("%s is a symbolic link, %w: refusing to write through it", path, ErrNotRegular)
	case m.IsDir():
		return fmt.Errorf("%s is a directory, %w", path, ErrNotRegular)
	}
	return fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, m.Type())
}

// Write replaces path with what write writes, atomically: after a crash
// path holds its old content or the new one, never a mix. The file gets
// mode perm (not reduced by the umask). If write or any step fails, path
// is left as it was and the temporary file is removed.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) (err error) {
	if err := checkTarget(path); err != nil {
		return err
	}
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, TempPrefix+name+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return SyncDir(dir)
}

// WriteFile is Write with the content given as bytes.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// OpenRegular opens path with flag (os.O_RDWR|os.O_CREATE, say) and perm
// like os.OpenFile, but never follows a symbolic link at path and refuses
// anything that is not a regular file, with an error matching
// ErrNotRegular.
func OpenRegular(path string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := checkTarget(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, flag|oNoFollow, perm)
	if err != nil {
		// O_NOFOLLOW fails with ELOOP on a link that appeared after the
		// check above: say what it is.
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, checkMode(path, fi.Mode())
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		err = checkMode(path, fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// SyncDir makes the creation, renaming and removal of files in dir
// durable. On Windows, where a directory cannot be synced (NTFS journals
// its metadata), it does nothing.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// syncDir is SyncDir; tests replace it to see which directories are
// synced.
var syncDir = SyncDir

// MkdirAll creates dir and any missing parents with mode perm (before the
// umask), like os.MkdirAll, and then syncs the parent of every directory
// it created, deepest first, so that they survive a power cut. It returns
// whether it created dir.
func MkdirAll(dir string, perm fs.FileMode) (created bool, err error) {
	dir = filepath.Clean(dir)
	// The missing directories, from dir up.
	var missing []string
	for p := dir; ; {
		_, err := os.Stat(p)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		missing = append(missing, p)
		parent := filepath.Dir(p)
		if parent == p {
			break
		}
		p = parent
	}
	if len(missing) == 0 {
		return false, nil
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return false, err
	}
	for _, p := range missing {
		if err := syncDir(filepath.Dir(p)); err != nil {
			return true, err
		}
	}
	return true, nil
}
