//go:build !amd64 || noasm || gccgo || safe

package ann

import "unsafe"

const useAVX2, useVNNI = false, false

func dotAVX2(a, b *float32, n8 int) float32 { panic("ann: no assembly kernel in this build") }

func prefetchAVX2(p unsafe.Pointer, lines int) {}

func dotU8AVX2(a *float32, b *byte, n8 int) float32 { panic("ann: no assembly kernel in this build") }

func dotI16U8VNNI(q *int16, c *byte, n32 int) int32 {
	panic("ann: no assembly kernel in this build")
}

func dotI16U8VNNIRows(q *int16, c *byte, n32 int, rows int, out *int32) {
	panic("ann: no assembly kernel in this build")
}

func dotI8U8VNNIRows(q *int8, c *byte, n64 int, rows int, out *int32) {
	panic("ann: no assembly kernel in this build")
}

func quantI16AVX512(dst *int16, src *float32, mul float32, n16 int) {
	panic("ann: no assembly kernel in this build")
}

func decodeScaleAVX512(qs, a, b *float32, code *byte, n16 int) float32 {
	panic("ann: no assembly kernel in this build")
}
