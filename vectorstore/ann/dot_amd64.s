//go:build !noasm && !gccgo && !safe

#include "textflag.h"

// func dotAVX2(a, b *float32, n8 int) float32
// Four 8-lane accumulators over 32 values at a time, then one over the
// remaining multiples of 8, summed by a fixed tree.
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n8+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

loop4:
	CMPQ CX, $4
	JL   loop1
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $4, CX
	JMP  loop4

loop1:
	CMPQ CX, $0
	JE   done
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JMP  loop1

done:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func prefetchAVX2(p unsafe.Pointer, lines int)
// Asks for the cache lines of p[0 : 16·lines] ahead of their use.
TEXT ·prefetchAVX2(SB), NOSPLIT, $0-16
	MOVQ p+0(FP), SI
	MOVQ lines+8(FP), CX

pf:
	CMPQ CX, $0
	JE   pfdone
	PREFETCHT0 (SI)
	ADDQ $64, SI
	DECQ CX
	JMP  pf

pfdone:
	RET

// func dotU8AVX2(a *float32, b *byte, n8 int) float32
// The float32 values of a against the bytes of b widened to float32 (the
// asymmetric score of an 8-bit code): four 8-lane accumulators over 32
// values at a time, then one over the remaining multiples of 8, summed by
// the same tree as dotAVX2.
TEXT ·dotU8AVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n8+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

u8loop4:
	CMPQ CX, $4
	JL   u8loop1
	VPMOVZXBD (DI), Y4
	VPMOVZXBD 8(DI), Y5
	VPMOVZXBD 16(DI), Y6
	VPMOVZXBD 24(DI), Y7
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VCVTDQ2PS Y6, Y6
	VCVTDQ2PS Y7, Y7
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	VFMADD231PS 64(SI), Y6, Y2
	VFMADD231PS 96(SI), Y7, Y3
	ADDQ $128, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  u8loop4

u8loop1:
	CMPQ CX, $0
	JE   u8done
	VPMOVZXBD (DI), Y4
	VCVTDQ2PS Y4, Y4
	VFMADD231PS (SI), Y4, Y0
	ADDQ $32, SI
	ADDQ $8, DI
	DECQ CX
	JMP  u8loop1

u8done:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotI16U8VNNI(q *int16, c *byte, n32 int) int32
// Σ q[i]·c[i] over the first 32·n32 values, in 32-bit integers (exact):
// 32 bytes of the code widened to 16-bit words, multiplied with 32
// words of the query and added in pairs to 16 lanes by VPDPWSSD
// (AVX512_VNNI); four accumulators over 128 values at a time, then one
// over the remaining multiples of 32.
TEXT ·dotI16U8VNNI(SB), NOSPLIT, $0-28
	MOVQ q+0(FP), SI
	MOVQ c+8(FP), DI
	MOVQ n32+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3

w8loop4:
	CMPQ CX, $4
	JL   w8loop1
	VPMOVZXBW (DI), Z4
	VPMOVZXBW 32(DI), Z5
	VPMOVZXBW 64(DI), Z6
	VPMOVZXBW 96(DI), Z7
	VPDPWSSD (SI), Z4, Z0
	VPDPWSSD 64(SI), Z5, Z1
	VPDPWSSD 128(SI), Z6, Z2
	VPDPWSSD 192(SI), Z7, Z3
	ADDQ $128, DI
	ADDQ $256, SI
	SUBQ $4, CX
	JMP  w8loop4

w8loop1:
	CMPQ CX, $0
	JE   w8done
	VPMOVZXBW (DI), Z4
	VPDPWSSD (SI), Z4, Z0
	ADDQ $32, DI
	ADDQ $64, SI
	DECQ CX
	JMP  w8loop1

w8done:
	VPADDD Z1, Z0, Z0
	VPADDD Z3, Z2, Z2
	VPADDD Z2, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VPADDD X1, X0, X0
	VMOVD X0, AX
	VZEROUPPER
	MOVL AX, ret+24(FP)
	RET

// func quantI16AVX512(dst *int16, src *float32, mul float32, n16 int)
// dst[i] = round(src[i]·mul) (to nearest, ties to even: VCVTPS2DQ under
// the default rounding mode), saturated to 16 bits, for the first 16·n16
// values.
TEXT ·quantI16AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	VBROADCASTSS mul+16(FP), Z1
	MOVQ n16+24(FP), CX

qloop:
	CMPQ CX, $0
	JE   qdone
	VMULPS (SI), Z1, Z0
	VCVTPS2DQ Z0, Z0
	VPMOVSDW Z0, (DI)
	ADDQ $64, SI
	ADDQ $32, DI
	DECQ CX
	JMP  qloop

qdone:
	VZEROUPPER
	RET

// func decodeScaleAVX512(qs, a, b *float32, code *byte, n16 int) float32
// qs[i] = a[i] + b[i]·code[i] for the first 16·n16 values, and returns
// the largest |qs[i]| (0 when there are none).
TEXT ·decodeScaleAVX512(SB), NOSPLIT, $0-44
	MOVQ qs+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ code+24(FP), BX
	MOVQ n16+32(FP), CX
	VPXORD Z3, Z3, Z3
	MOVL $0x7fffffff, AX
	VPBROADCASTD AX, Z4

dsloop:
	CMPQ CX, $0
	JE   dsdone
	VPMOVZXBD (BX), Z0
	VCVTDQ2PS Z0, Z0
	VMOVUPS (SI), Z1
	VFMADD231PS (DX), Z0, Z1
	VMOVUPS Z1, (DI)
	VPANDD Z4, Z1, Z2
	VMAXPS Z2, Z3, Z3
	ADDQ $16, BX
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	DECQ CX
	JMP  dsloop

dsdone:
	VEXTRACTF64X4 $1, Z3, Y1
	VMAXPS Y1, Y3, Y3
	VEXTRACTF128 $1, Y3, X1
	VMAXPS X1, X3, X3
	VPERMILPS $0x4e, X3, X1
	VMAXPS X1, X3, X3
	VPERMILPS $0xb1, X3, X1
	VMAXPS X1, X3, X3
	VZEROUPPER
	MOVSS X3, ret+40(FP)
	RET

// func dotI16U8VNNIRows(q *int16, c *byte, n32 int, rows int, out *int32)
// out[r] = Σ q[i]·c[r·32·n32+i] over the first 32·n32 values, for rows
// consecutive codes: dotI16U8VNNI over a block of codes in one call.
TEXT ·dotI16U8VNNIRows(SB), NOSPLIT, $0-40
	MOVQ c+8(FP), DI
	MOVQ rows+24(FP), R8
	MOVQ out+32(FP), R9

rrow:
	CMPQ R8, $0
	JE   rdone
	MOVQ q+0(FP), SI
	MOVQ n32+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3

rloop4:
	CMPQ CX, $4
	JL   rloop1
	VPMOVZXBW (DI), Z4
	VPMOVZXBW 32(DI), Z5
	VPMOVZXBW 64(DI), Z6
	VPMOVZXBW 96(DI), Z7
	VPDPWSSD (SI), Z4, Z0
	VPDPWSSD 64(SI), Z5, Z1
	VPDPWSSD 128(SI), Z6, Z2
	VPDPWSSD 192(SI), Z7, Z3
	ADDQ $128, DI
	ADDQ $256, SI
	SUBQ $4, CX
	JMP  rloop4

rloop1:
	CMPQ CX, $0
	JE   rsum
	VPMOVZXBW (DI), Z4
	VPDPWSSD (SI), Z4, Z0
	ADDQ $32, DI
	ADDQ $64, SI
	DECQ CX
	JMP  rloop1

rsum:
	VPADDD Z1, Z0, Z0
	VPADDD Z3, Z2, Z2
	VPADDD Z2, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VPADDD X1, X0, X0
	VMOVD X0, AX
	MOVL AX, (R9)
	ADDQ $4, R9
	DECQ R8
	JMP  rrow

rdone:
	VZEROUPPER
	RET

// func dotI8U8VNNIRows(q *int8, c *byte, n64 int, rows int, out *int32)
// out[r] = Σ q[i]·c[r·64·n64+i] over the first 64·n64 values, for rows
// consecutive codes: 64 bytes of a code (unsigned) multiplied with 64
// signed bytes of the query and added in fours to 16 lanes by VPDPBUSD
// (AVX512_VNNI), two accumulators. Exact: each lane adds at most
// 4·255·128 per step.
TEXT ·dotI8U8VNNIRows(SB), NOSPLIT, $0-40
	MOVQ c+8(FP), DI
	MOVQ rows+24(FP), R8
	MOVQ out+32(FP), R9

brow:
	CMPQ R8, $0
	JE   bdone
	MOVQ q+0(FP), SI
	MOVQ n64+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

bloop2:
	CMPQ CX, $2
	JL   bloop1
	VMOVDQU8 (DI), Z4
	VMOVDQU8 64(DI), Z5
	VPDPBUSD (SI), Z4, Z0
	VPDPBUSD 64(SI), Z5, Z1
	ADDQ $128, DI
	ADDQ $128, SI
	SUBQ $2, CX
	JMP  bloop2

bloop1:
	CMPQ CX, $0
	JE   bsum
	VMOVDQU8 (DI), Z4
	VPDPBUSD (SI), Z4, Z0
	ADDQ $64, DI
	ADDQ $64, SI
	DECQ CX
	JMP  bloop1

bsum:
	VPADDD Z1, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPADDD X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VPADDD X1, X0, X0
	VMOVD X0, AX
	MOVL AX, (R9)
	ADDQ $4, R9
	DECQ R8
	JMP  brow

bdone:
	VZEROUPPER
	RET
