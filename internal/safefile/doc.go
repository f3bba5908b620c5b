// Package safefile writes the files papermap creates (store files, maps,
// reports, exports, logs) so that a crash never leaves a half-written file
// under the final name and no write ever goes through a symbolic link.
//
// Write replaces a file atomically: it writes a temporary file in the
// same directory (named TempPrefix+name+"-*"), syncs it, sets its mode,
// renames it over the target and syncs the directory. A target that
// exists must be a regular file: a symbolic link, a directory or a device
// is refused with ErrNotRegular, and the rename would replace a link
// that appeared meanwhile rather than write through it. An existing
// regular file is replaced, and takes the given mode, not its old one.
//
// OpenRegular opens a file (creating it if asked) with O_NOFOLLOW where
// the system has it, and refuses anything that is not a regular file. It
// is for files updated in place, such as a store's LOCK.
//
// MkdirAll creates a directory and its missing parents and syncs the
// parent of each directory it made, so that the new directories survive a
// power cut; SyncDir syncs one directory.
package safefile
