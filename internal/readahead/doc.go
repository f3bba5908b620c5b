// Package readahead asks the kernel to read parts of a file mapping into
// the page cache ahead of their use, in the background.
//
// A process that reads a few scattered parts of a large mapped file from
// a cold page cache otherwise waits for each in turn: every page fault
// reads its page (and, by default, up to the disk's read-ahead size around
// it: 8 MiB on papermap's test VM) before the next part is touched. Asked
// for all at once with WillNeed, the reads run side by side while the
// process goes on; the faults then find the pages read or on their way.
//
//	readahead.WillNeed(data[off : off+n]) // for each part about to be read
//
// WillNeed is advisory (MADV_WILLNEED on Linux; nothing elsewhere): it
// never fails, and the pages are read by their faults when it does
// nothing. It reads nothing itself, so bytes it was given are no more
// trusted than before: their checks are the caller's, as without it.
package readahead
