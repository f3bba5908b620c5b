//go:build !noasm && !gccgo && !safe

#include "textflag.h"

// func dot4x3AVX2(x0, x1, x2, x3, c *float32, cstride, ntriples, d8 int, out *float32, p0, p1, p2, p3 *float32)
//
// For t in [0, ntriples), r in [0, 4), j in [0, 3):
//
//	out[12*t + 4*j + r] = sum over the first 8*d8 elements of x_r[i] * c[(3*t+j)*cstride + i]
//
// Every output is accumulated the same way (8 lanes, FMA in index order, then the
// tree ((l0+l1)+(l2+l3)) + ((l4+l5)+(l6+l7))), so a dot product does not depend on
// which tile position it was computed in.
//
// While working on triple t < 4 the kernel prefetches row p_t (the caller's next
// strip), hiding the memory latency of the rows the next call will read.
TEXT ·dot4x3AVX2(SB), NOSPLIT, $0-104
	MOVQ x0+0(FP), R8
	MOVQ x1+8(FP), R9
	MOVQ x2+16(FP), R10
	MOVQ x3+24(FP), R11
	MOVQ c+32(FP), DI
	MOVQ cstride+40(FP), BX
	SHLQ $2, BX
	MOVQ out+64(FP), R14
	XORQ DX, DX
	CMPQ DX, ntriples+48(FP)
	JGE  done

triple:
	LEAQ   (DI)(BX*1), R12
	LEAQ   (R12)(BX*1), R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	XORQ   AX, AX
	MOVQ   d8+56(FP), CX
	TESTQ  CX, CX
	JEQ    reduce
	CMPQ   DX, $4
	JGE    loop
	LEAQ   p0+72(FP), SI
	MOVQ   (SI)(DX*8), SI

loopPrefetch:
	PREFETCHT0  (SI)(AX*1)
	VMOVUPS     (DI)(AX*1), Y12
	VMOVUPS     (R12)(AX*1), Y13
	VMOVUPS     (R13)(AX*1), Y14
	VMOVUPS     (R8)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y0
	VFMADD231PS Y13, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VMOVUPS     (R9)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y3
	VFMADD231PS Y13, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VMOVUPS     (R10)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VMOVUPS     (R11)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y9
	VFMADD231PS Y13, Y15, Y10
	VFMADD231PS Y14, Y15, Y11
	ADDQ        $32, AX
	DECQ        CX
	JNZ         loopPrefetch
	JMP         reduce

loop:
	VMOVUPS     (DI)(AX*1), Y12
	VMOVUPS     (R12)(AX*1), Y13
	VMOVUPS     (R13)(AX*1), Y14
	VMOVUPS     (R8)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y0
	VFMADD231PS Y13, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VMOVUPS     (R9)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y3
	VFMADD231PS Y13, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VMOVUPS     (R10)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VMOVUPS     (R11)(AX*1), Y15
	VFMADD231PS Y12, Y15, Y9
	VFMADD231PS Y13, Y15, Y10
	VFMADD231PS Y14, Y15, Y11
	ADDQ        $32, AX
	DECQ        CX
	JNZ         loop

reduce:
	// Accumulator Y(3r+j) holds row r, centroid j. Group by centroid so the
	// four rows of one centroid land side by side: out[12t + 4j + r].
	VHADDPS      Y3, Y0, Y0
	VHADDPS      Y9, Y6, Y6
	VHADDPS      Y6, Y0, Y0
	VEXTRACTF128 $1, Y0, X12
	VADDPS       X12, X0, X0
	VMOVUPS      X0, (R14)
	VHADDPS      Y4, Y1, Y1
	VHADDPS      Y10, Y7, Y7
	VHADDPS      Y7, Y1, Y1
	VEXTRACTF128 $1, Y1, X13
	VADDPS       X13, X1, X1
	VMOVUPS      X1, 16(R14)
	VHADDPS      Y5, Y2, Y2
	VHADDPS      Y11, Y8, Y8
	VHADDPS      Y8, Y2, Y2
	VEXTRACTF128 $1, Y2, X14
	VADDPS       X14, X2, X2
	VMOVUPS      X2, 32(R14)
	ADDQ         $48, R14
	LEAQ         (R13)(BX*1), DI
	INCQ         DX
	CMPQ         DX, ntriples+48(FP)
	JLT          triple

done:
	VZEROUPPER
	RET
