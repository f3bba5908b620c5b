//go:build noasm || gccgo || safe || !amd64

package kernel

const useAVX2 = false

func dot4x3AVX2(x0, x1, x2, x3, c *float32, cstride, ntriples, d8 int, out *float32, p0, p1, p2, p3 *float32) {
	panic("kernel: no assembly kernel in this build")
}
