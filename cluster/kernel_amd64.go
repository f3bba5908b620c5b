//go:build !noasm && !gccgo && !safe

package cluster

import "golang.org/x/sys/cpu"

// useAVX2 reports whether the AVX2+FMA kernels in kernel_amd64.s may run.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotF64AVX2(x, y *float32, n int) float64

//go:noescape
func axpy64AVX2(dst *float64, alpha float64, src *float32, n int)

//go:noescape
func argmin4AVX2(out *float32, ntri int, cn *float64, s2 *float64, best, second *float64, idx *int64)

//go:noescape
func transpose8AVX2(src *float32, sstride int, mean *float32, dst *float32, dstride int, nf8 int)

//go:noescape
func subAVX2(dst, a, b *float32, n int)
