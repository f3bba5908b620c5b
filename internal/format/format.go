// Package format holds the number formatting papermap shows to readers, so
// that the CLI, the maps and reports, and the library's progress messages
// write counts alike.
package format

import (
	"strconv"
	"strings"
)

// Int formats n with a comma between groups of three digits:
// 98442 -> "98,442", -1234 -> "-1,234".
func Int(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
