//go:build !noasm && !gccgo && !safe

package kernel

import "golang.org/x/sys/cpu"

// useAVX2 reports whether the AVX2+FMA kernel in dot_amd64.s may run.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dot4x3AVX2(x0, x1, x2, x3, c *float32, cstride, ntriples, d8 int, out *float32, p0, p1, p2, p3 *float32)
