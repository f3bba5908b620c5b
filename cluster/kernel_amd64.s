//go:build !noasm && !gccgo && !safe

#include "textflag.h"

// func dotF64AVX2(x, y *float32, n int) float64
//
// Sum of float64(x[i])*float64(y[i]); products are exact, sums are float64.
TEXT ·dotF64AVX2(SB), NOSPLIT, $0-32
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	XORQ   AX, AX
	MOVQ   CX, DX
	SHRQ   $4, DX
	JEQ    tail16

loop16:
	VCVTPS2PD   (SI)(AX*4), Y4
	VCVTPS2PD   (DI)(AX*4), Y5
	VFMADD231PD Y5, Y4, Y0
	VCVTPS2PD   16(SI)(AX*4), Y6
	VCVTPS2PD   16(DI)(AX*4), Y7
	VFMADD231PD Y7, Y6, Y1
	VCVTPS2PD   32(SI)(AX*4), Y8
	VCVTPS2PD   32(DI)(AX*4), Y9
	VFMADD231PD Y9, Y8, Y2
	VCVTPS2PD   48(SI)(AX*4), Y10
	VCVTPS2PD   48(DI)(AX*4), Y11
	VFMADD231PD Y11, Y10, Y3
	ADDQ        $16, AX
	DECQ        DX
	JNZ         loop16

tail16:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	CMPQ         AX, CX
	JGE          end

tail:
	VCVTSS2SD   (SI)(AX*4), X4, X4
	VCVTSS2SD   (DI)(AX*4), X5, X5
	VFMADD231SD X5, X4, X0
	INCQ        AX
	CMPQ        AX, CX
	JLT         tail

end:
	VMOVSD     X0, ret+24(FP)
	VZEROUPPER
	RET

// func axpy64AVX2(dst *float64, alpha float64, src *float32, n int)
//
// dst[i] += alpha * float64(src[i]).
TEXT ·axpy64AVX2(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	VBROADCASTSD alpha+8(FP), Y0
	MOVQ         src+16(FP), SI
	MOVQ         n+24(FP), CX
	XORQ         AX, AX
	MOVQ         CX, DX
	SHRQ         $3, DX
	JEQ          atail

aloop8:
	VCVTPS2PD   (SI)(AX*4), Y1
	VCVTPS2PD   16(SI)(AX*4), Y2
	VMOVUPD     (DI)(AX*8), Y3
	VMOVUPD     32(DI)(AX*8), Y4
	VFMADD231PD Y1, Y0, Y3
	VFMADD231PD Y2, Y0, Y4
	VMOVUPD     Y3, (DI)(AX*8)
	VMOVUPD     Y4, 32(DI)(AX*8)
	ADDQ        $8, AX
	DECQ        DX
	JNZ         aloop8

atail:
	CMPQ AX, CX
	JGE  aend

atail1:
	VCVTSS2SD   (SI)(AX*4), X1, X1
	VMOVSD      (DI)(AX*8), X3
	VFMADD231SD X1, X0, X3
	VMOVSD      X3, (DI)(AX*8)
	INCQ        AX
	CMPQ        AX, CX
	JLT         atail1

aend:
	VZEROUPPER
	RET

// func argmin4AVX2(out *float32, ntri int, cn *float64, s2 *float64, best, second *float64, idx *int64)
//
// For the four rows of a strip (out as dotStrip4x3AVX2 leaves it) finds the
// smallest and second smallest v_j = cn[j] − s2[r]·out_rj over j < 3·ntri, and
// the first j reaching the smallest. v is rounded after the product and after
// the difference, exactly as the Go expression cn[j] - float64(s2*dot).
TEXT ·argmin4AVX2(SB), NOSPLIT, $0-56
	MOVQ         out+0(FP), SI
	MOVQ         ntri+8(FP), CX
	MOVQ         cn+16(FP), DI
	MOVQ         s2+24(FP), AX
	VMOVUPD      (AX), Y0
	MOVQ         $0x7ff0000000000000, AX
	MOVQ         AX, X1
	VBROADCASTSD X1, Y1
	VMOVAPD      Y1, Y2
	VPXOR        Y3, Y3, Y3
	VPXOR        Y4, Y4, Y4
	MOVQ         $1, AX
	MOVQ         AX, X5
	VPBROADCASTQ X5, Y5
	TESTQ        CX, CX
	JEQ          amdone

amloop:
	VCVTPS2PD    (SI), Y6
	VMULPD       Y0, Y6, Y6
	VBROADCASTSD (DI), Y7
	VSUBPD       Y6, Y7, Y7
	VCMPPD       $1, Y1, Y7, Y8
	VMAXPD       Y1, Y7, Y9
	VMINPD       Y9, Y2, Y2
	VBLENDVPD    Y8, Y7, Y1, Y1
	VBLENDVPD    Y8, Y4, Y3, Y3
	VPADDQ       Y5, Y4, Y4
	VCVTPS2PD    16(SI), Y6
	VMULPD       Y0, Y6, Y6
	VBROADCASTSD 8(DI), Y7
	VSUBPD       Y6, Y7, Y7
	VCMPPD       $1, Y1, Y7, Y8
	VMAXPD       Y1, Y7, Y9
	VMINPD       Y9, Y2, Y2
	VBLENDVPD    Y8, Y7, Y1, Y1
	VBLENDVPD    Y8, Y4, Y3, Y3
	VPADDQ       Y5, Y4, Y4
	VCVTPS2PD    32(SI), Y6
	VMULPD       Y0, Y6, Y6
	VBROADCASTSD 16(DI), Y7
	VSUBPD       Y6, Y7, Y7
	VCMPPD       $1, Y1, Y7, Y8
	VMAXPD       Y1, Y7, Y9
	VMINPD       Y9, Y2, Y2
	VBLENDVPD    Y8, Y7, Y1, Y1
	VBLENDVPD    Y8, Y4, Y3, Y3
	VPADDQ       Y5, Y4, Y4
	ADDQ         $48, SI
	ADDQ         $24, DI
	DECQ         CX
	JNZ          amloop

amdone:
	MOVQ    best+32(FP), AX
	VMOVUPD Y1, (AX)
	MOVQ    second+40(FP), AX
	VMOVUPD Y2, (AX)
	MOVQ    idx+48(FP), AX
	VMOVDQU Y3, (AX)
	VZEROUPPER
	RET

// func transpose8AVX2(src *float32, sstride int, mean *float32, dst *float32, dstride int, nf8 int)
//
// For 8 rows of src (sstride floats apart) and nf8 groups of 8 columns:
// dst[(8g+j)*dstride + r] = src[r*sstride + 8g+j] − mean[8g+j], an 8×8 transpose
// per group.
TEXT ·transpose8AVX2(SB), NOSPLIT, $0-48
	MOVQ src+0(FP), SI
	MOVQ sstride+8(FP), BX
	SHLQ $2, BX
	MOVQ mean+16(FP), DX
	MOVQ dst+24(FP), DI
	MOVQ dstride+32(FP), R8
	SHLQ $2, R8
	MOVQ nf8+40(FP), CX
	TESTQ CX, CX
	JEQ  tdone
	LEAQ (BX)(BX*2), R9  // 3·sstride
	LEAQ (R8)(R8*2), R10 // 3·dstride

tloop:
	VMOVUPS (DX), Y15
	MOVQ    SI, R11
	VMOVUPS (R11), Y0
	VMOVUPS (R11)(BX*1), Y1
	VMOVUPS (R11)(BX*2), Y2
	VMOVUPS (R11)(R9*1), Y3
	LEAQ    (R11)(BX*4), R11
	VMOVUPS (R11), Y4
	VMOVUPS (R11)(BX*1), Y5
	VMOVUPS (R11)(BX*2), Y6
	VMOVUPS (R11)(R9*1), Y7
	VSUBPS  Y15, Y0, Y0
	VSUBPS  Y15, Y1, Y1
	VSUBPS  Y15, Y2, Y2
	VSUBPS  Y15, Y3, Y3
	VSUBPS  Y15, Y4, Y4
	VSUBPS  Y15, Y5, Y5
	VSUBPS  Y15, Y6, Y6
	VSUBPS  Y15, Y7, Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	MOVQ    DI, R11
	VMOVUPS Y8, (R11)
	VMOVUPS Y9, (R11)(R8*1)
	VMOVUPS Y10, (R11)(R8*2)
	VMOVUPS Y11, (R11)(R10*1)
	LEAQ    (R11)(R8*4), R11
	VMOVUPS Y12, (R11)
	VMOVUPS Y13, (R11)(R8*1)
	VMOVUPS Y14, (R11)(R8*2)
	VMOVUPS Y15, (R11)(R10*1)

	ADDQ $32, SI
	ADDQ $32, DX
	LEAQ (DI)(R8*8), DI
	DECQ CX
	JNZ  tloop

tdone:
	VZEROUPPER
	RET

// func subAVX2(dst, a, b *float32, n int)
//
// dst[i] = a[i] − b[i].
TEXT ·subAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	XORQ AX, AX
	MOVQ CX, BX
	SHRQ $3, BX
	JEQ  stail

sloop:
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS  (DX)(AX*4), Y0, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ    $8, AX
	DECQ    BX
	JNZ     sloop

stail:
	CMPQ AX, CX
	JGE  sdone

stail1:
	VMOVSS (SI)(AX*4), X0
	VSUBSS (DX)(AX*4), X0, X0
	VMOVSS X0, (DI)(AX*4)
	INCQ   AX
	CMPQ   AX, CX
	JLT    stail1

sdone:
	VZEROUPPER
	RET
