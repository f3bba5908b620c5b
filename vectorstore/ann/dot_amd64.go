//go:build !noasm && !gccgo && !safe

package ann

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// useAVX2 reports whether the AVX2+FMA dot product in dot_amd64.s may run.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useVNNI reports whether dotI16U8VNNI (AVX-512 BW and VNNI) may run.
var useVNNI = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512VNNI

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

// dotI16U8VNNI returns Σ q[i]·c[i] over the first 32·n32 values.
//
//go:noescape
func dotI16U8VNNI(q *int16, c *byte, n32 int) int32

// dotI16U8VNNIRows sets out[r] = Σ q[i]·c[r·32·n32+i] over the first
// 32·n32 values of each of rows consecutive codes of 32·n32 bytes.
//
//go:noescape
func dotI16U8VNNIRows(q *int16, c *byte, n32 int, rows int, out *int32)

// dotI8U8VNNIRows sets out[r] = Σ q[i]·c[r·64·n64+i] over the first
// 64·n64 values of each of rows consecutive codes of 64·n64 bytes.
//
//go:noescape
func dotI8U8VNNIRows(q *int8, c *byte, n64 int, rows int, out *int32)

// quantI16AVX512 sets dst[i] = round(src[i]·mul) for the first 16·n16
// values (AVX-512F; the callers check useVNNI, which implies it).
//
//go:noescape
func quantI16AVX512(dst *int16, src *float32, mul float32, n16 int)

// decodeScaleAVX512 sets qs[i] = a[i] + b[i]·code[i] for the first 16·n16
// values and returns the largest |qs[i]| (AVX-512F; the callers check
// useVNNI, which implies it).
//
//go:noescape
func decodeScaleAVX512(qs, a, b *float32, code *byte, n16 int) float32
