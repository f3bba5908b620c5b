package kernel

import "unsafe"

// Dot4x3 sets out[12*t+4*j+r] = x[r]·c_{3t+j} for t < ntriples, r < 4, j < 3,
// where c_i = c[i*cstride : i*cstride+d]. Every x[r] must hold at least d
// values. next, if not nil, holds the rows of the caller's next call: the
// kernel prefetches them into cache while it works (a row from memory would
// otherwise stall the first triple of every strip).
func Dot4x3(x *[4][]float32, c []float32, cstride, ntriples, d int, out []float32, next *[4][]float32) {
	if ntriples == 0 {
		return
	}
	if len(out) < 12*ntriples || len(c) < (3*ntriples-1)*cstride+d {
		panic("kernel: Dot4x3 buffer too short")
	}
	for r := range x {
		if len(x[r]) < d {
			panic("kernel: Dot4x3 row too short")
		}
	}
	if d == 0 {
		clear(out[:12*ntriples])
		return
	}
	if !useAVX2 {
		dot4x3Go(x, c, cstride, ntriples, d, out)
		return
	}
	d8 := d / 8
	if next == nil {
		next = x
	}
	dot4x3AVX2(unsafe.SliceData(x[0]), unsafe.SliceData(x[1]), unsafe.SliceData(x[2]), unsafe.SliceData(x[3]),
		unsafe.SliceData(c), cstride, ntriples, d8, unsafe.SliceData(out),
		unsafe.SliceData(next[0]), unsafe.SliceData(next[1]), unsafe.SliceData(next[2]), unsafe.SliceData(next[3]))
	if tail := 8 * d8; tail < d {
		for t := 0; t < ntriples; t++ {
			for r := 0; r < 4; r++ {
				xr := x[r][tail:d]
				for j := 0; j < 3; j++ {
					cj := c[(3*t+j)*cstride+tail : (3*t+j)*cstride+d]
					s := out[12*t+4*j+r]
					for i, v := range xr {
						s += float32(v * cj[i])
					}
					out[12*t+4*j+r] = s
				}
			}
		}
	}
}

// dot4x3Go is the portable version of the tile kernel. It keeps the same
// property (every output computed by the same sequence of operations) but not
// the same rounding as the assembly kernel.
func dot4x3Go(x *[4][]float32, c []float32, cstride, ntriples, d int, out []float32) {
	x0, x1, x2, x3 := x[0][:d], x[1][:d], x[2][:d], x[3][:d]
	for t := 0; t < ntriples; t++ {
		c0 := c[3*t*cstride : 3*t*cstride+d]
		c1 := c[(3*t+1)*cstride : (3*t+1)*cstride+d]
		c2 := c[(3*t+2)*cstride : (3*t+2)*cstride+d]
		var s00, s01, s02, s10, s11, s12, s20, s21, s22, s30, s31, s32 float32
		for i := range c0 {
			a, b, e := c0[i], c1[i], c2[i]
			v := x0[i]
			s00 += float32(v * a)
			s01 += float32(v * b)
			s02 += float32(v * e)
			v = x1[i]
			s10 += float32(v * a)
			s11 += float32(v * b)
			s12 += float32(v * e)
			v = x2[i]
			s20 += float32(v * a)
			s21 += float32(v * b)
			s22 += float32(v * e)
			v = x3[i]
			s30 += float32(v * a)
			s31 += float32(v * b)
			s32 += float32(v * e)
		}
		o := out[12*t : 12*t+12]
		o[0], o[1], o[2], o[3] = s00, s10, s20, s30
		o[4], o[5], o[6], o[7] = s01, s11, s21, s31
		o[8], o[9], o[10], o[11] = s02, s12, s22, s32
	}
}
