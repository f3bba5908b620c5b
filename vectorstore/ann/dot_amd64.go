//go:build !noasm && !gccgo && !safe

package ann

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// useAVX2 reports whether the AVX2+FMA dot product in dot_amd64.s may run.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dotAVX2 returns the dot product of the first 8·n8 values of a and b.
//
//go:noescape
func dotAVX2(a, b *float32, n8 int) float32

// prefetchAVX2 asks for the lines cache lines from p on.
//
//go:noescape
func prefetchAVX2(p unsafe.Pointer, lines int)

// dotU8AVX2 returns Σ a[i]·float(b[i]) over the first 8·n8 values.
//
//go:noescape
func dotU8AVX2(a *float32, b *byte, n8 int) float32
