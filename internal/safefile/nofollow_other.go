//go:build !unix

package safefile

// oNoFollow is 0 where open(2) has no O_NOFOLLOW: OpenRegular then relies
// on its Lstat before the open and its Stat of the opened file.
const oNoFollow = 0
