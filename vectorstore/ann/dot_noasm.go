//go:build !amd64 || noasm || gccgo || safe

package ann

import "unsafe"

const useAVX2 = false

func dotAVX2(a, b *float32, n8 int) float32 { panic("ann: no assembly kernel in this build") }

func prefetchAVX2(p unsafe.Pointer, lines int) {}

func dotU8AVX2(a *float32, b *byte, n8 int) float32 { panic("ann: no assembly kernel in this build") }
