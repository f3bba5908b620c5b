//go:build noasm || gccgo || safe || !amd64

package cluster

const useAVX2 = false

func dotF64AVX2(x, y *float32, n int) float64 { panic("cluster: no assembly kernels in this build") }

func axpy64AVX2(dst *float64, alpha float64, src *float32, n int) {
	panic("cluster: no assembly kernels in this build")
}

func argmin4AVX2(out *float32, ntri int, cn *float64, s2 *float64, best, second *float64, idx *int64) {
	panic("cluster: no assembly kernels in this build")
}

func transpose8AVX2(src *float32, sstride int, mean *float32, dst *float32, dstride int, nf8 int) {
	panic("cluster: no assembly kernels in this build")
}

func subAVX2(dst, a, b *float32, n int) { panic("cluster: no assembly kernels in this build") }
