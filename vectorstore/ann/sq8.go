package ann

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"unsafe"
)

// Quantizer turns a vector into 8-bit codes, one byte per dimension: the
// value v of dimension d becomes round((v − Lo[d]) / Step[d]), clamped to
// 0..255, and decodes to Lo[d] + Step[d]·code. Lo and Step are the
// per-dimension minimum and range/255 of the vectors it was trained on
// (the min-max 8-bit scalar quantizer of FAISS's IndexScalarQuantizer,
// QT_8bit with RS_minmax; Jégou, Douze, Johnson, "Billion-scale
// similarity search with GPUs", and the FAISS wiki's "IndexHNSWSQ").
//
// A graph walk over the codes reads a quarter of the memory a walk over
// float32 rows reads (384 bytes of a 384-dim vector instead of 1,536:
// 6 cache lines instead of 24), and its scores are the query's dot product
// with the decoded vectors ("asymmetric": the query is not quantized).
type Quantizer struct {
	Lo, Step []float32
}

// TrainQuantizer returns the quantizer of the ranges of nodes 0..n-1 of
// vecs in each of dim dimensions. A dimension where every value is the
// same gets Step 0 (every code 0 decodes to that value).
func TrainQuantizer(vecs Vectors, n, dim int) *Quantizer {
	if n <= 0 || dim <= 0 {
		panic("ann: TrainQuantizer of no vectors")
	}
	lo := make([]float32, dim)
	hi := make([]float32, dim)
	copy(lo, vecs.Vec(0)[:dim])
	copy(hi, lo)
	for node := 1; node < n; node++ {
		for d, v := range vecs.Vec(int32(node))[:dim] {
			lo[d] = min(lo[d], v)
			hi[d] = max(hi[d], v)
		}
	}
	step := make([]float32, dim)
	for d := range step {
		step[d] = (hi[d] - lo[d]) / 255
	}
	return &Quantizer{Lo: lo, Step: step}
}

// Dim returns the number of dimensions (and of bytes of a code).
func (qz *Quantizer) Dim() int { return len(qz.Lo) }

// Encode writes the code of v into dst (both Dim() long). Values outside
// the trained range are clamped to it.
func (qz *Quantizer) Encode(dst []byte, v []float32) {
	dst = dst[:len(qz.Lo)]
	for d := range dst {
		c := float32(0)
		if s := qz.Step[d]; s > 0 {
			c = float32(math.Round(float64((v[d] - qz.Lo[d]) / s)))
		}
		dst[d] = uint8(min(max(c, 0), 255))
	}
}

// Decode writes the vector that code stands for into dst.
func (qz *Quantizer) Decode(dst []float32, code []byte) {
	for d := range qz.Lo {
		dst[d] = qz.Lo[d] + qz.Step[d]*float32(code[d])
	}
}

// Check reports an error when the quantizer cannot be used for vectors
// of dim dimensions: the wrong length, or a bound that is not finite or a
// negative step (for a quantizer read from a file).
func (qz *Quantizer) Check(dim int) error {
	if len(qz.Lo) != dim || len(qz.Step) != dim {
		return fmt.Errorf("quantizer of %d and %d values for %d dimensions", len(qz.Lo), len(qz.Step), dim)
	}
	for d := range dim {
		lo, s := float64(qz.Lo[d]), float64(qz.Step[d])
		if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
			return fmt.Errorf("quantizer dimension %d: lo %g, step %g", d, lo, s)
		}
	}
	return nil
}

// Codes gives the index the code of each node, written by the index's
// Quantizer. Like Vectors, the index does not copy them: Code(node) must
// return the same Dim() bytes for as long as the node is in the index.
type Codes interface {
	Code(node int32) []byte
}

// CodeRows is a Codes in memory, row after row.
type CodeRows struct {
	qz  *Quantizer
	buf []byte
}

// EncodeRows returns the codes of nodes 0..n-1 of vecs, encoded on every
// CPU (vecs.Vec is called concurrently).
func EncodeRows(qz *Quantizer, vecs Vectors, n int) *CodeRows {
	d := qz.Dim()
	c := &CodeRows{qz: qz, buf: make([]byte, n*d)}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for node := w * n / workers; node < (w+1)*n/workers; node++ {
				qz.Encode(c.buf[node*d:(node+1)*d], vecs.Vec(int32(node)))
			}
		})
	}
	wg.Wait()
	return c
}

// CodeRowsOf returns the codes in b (rows of qz.Dim() bytes, node after
// node, as Bytes gives them), used in place: b must stay as it is while
// the codes are in use, and Append may write beyond its length.
func CodeRowsOf(qz *Quantizer, b []byte) *CodeRows {
	if len(b)%qz.Dim() != 0 {
		panic("ann: CodeRowsOf bytes that are not whole rows")
	}
	return &CodeRows{qz: qz, buf: b}
}

// Append adds the code of v as the next node's.
func (c *CodeRows) Append(v []float32) {
	d := c.qz.Dim()
	c.buf = append(c.buf, make([]byte, d)...)
	c.qz.Encode(c.buf[len(c.buf)-d:], v)
}

// Len returns the number of rows.
func (c *CodeRows) Len() int { return len(c.buf) / c.qz.Dim() }

// Code implements Codes.
func (c *CodeRows) Code(node int32) []byte {
	d := c.qz.Dim()
	return c.buf[int(node)*d : int(node+1)*d]
}

// Bytes returns the rows, node after node (Len()·Dim() bytes), for a
// caller that writes them to a file.
func (c *CodeRows) Bytes() []byte { return c.buf }

// codedQuery is a query prepared for scoring codes: qs[d] = q[d]·Step[d]
// and bias = Σ q[d]·Lo[d], so that q · decode(code) = bias + Σ qs[d]·code[d].
//
// Where the CPU has AVX-512 VNNI, qs is also rounded to 16-bit integers,
// qi[d] = round(qs[d]/scale) with |qi[d]| ≤ qiMax, and sim computes
// bias + scale·Σ qi[d]·code[d] in exact 32-bit integer arithmetic
// (dotI16U8VNNI: 32 dimensions per VPDPWSSD, where the float kernel
// widens and converts 8 bytes per step). The rounding moves a score by at
// most scale/2·Σ code[d] ≤ 255·dim·scale/2, about 2^-8 of max|qs[d]|·dim
// at 384 dimensions: far below the gaps the walk ranks by, and its best
// nodes are scored again from their vectors anyway.
type codedQuery struct {
	qs    []float32
	bias  float32
	qi    []int16
	scale float32
}

// qiMax bounds the 16-bit query values so that the 32-bit sums cannot
// overflow: 255·qiMax·dim < 2^31 for dim up to 514.
const qiMax = 16383

func (qz *Quantizer) prepare(cq *codedQuery, q []float32) {
	d := len(qz.Lo)
	q, step := q[:d], qz.Step[:d]
	cq.qs = slices.Grow(cq.qs[:0], d)[:d]
	qs := cq.qs
	var top float32
	for i, v := range q {
		v *= step[i]
		qs[i] = v
		if v > top {
			top = v
		} else if -v > top {
			top = -v
		}
	}
	cq.bias = dot(q, qz.Lo)
	cq.round(top)
}

// round sets qi and scale from qs, whose largest |value| is top, when
// the CPU has VNNI (sim then uses them), else empties qi.
func (cq *codedQuery) round(top float32) {
	d := len(cq.qs)
	cq.qi = cq.qi[:0]
	if !useVNNI || d > 514 {
		return
	}
	cq.scale = top / qiMax
	inv := float32(0)
	if top > 0 {
		inv = qiMax / top
	}
	cq.qi = slices.Grow(cq.qi, d)[:d]
	qs, qi := cq.qs, cq.qi
	i := d &^ 15
	if i > 0 {
		quantI16AVX512(unsafe.SliceData(qi), unsafe.SliceData(qs), inv, d/16)
	}
	for ; i < d; i++ {
		qi[i] = int16(math.RoundToEven(float64(qs[i] * inv)))
	}
}

// codeQueries prepares the decodings of codes as queries
// (prepareCode) without decoding them first: with a[d] = Lo[d]·Step[d],
// b[d] = Step[d]² and c = Σ Lo[d]², the decoding r of a code has
// r[d]·Step[d] = a[d] + b[d]·code[d] and Σ r[d]·Lo[d] = c + Σ a[d]·code[d].
type codeQueries struct {
	a, b []float32
	c    float32
}

func newCodeQueries(qz *Quantizer) *codeQueries {
	cqs := &codeQueries{a: make([]float32, qz.Dim()), b: make([]float32, qz.Dim())}
	var c float64
	for d, lo := range qz.Lo {
		st := qz.Step[d]
		cqs.a[d], cqs.b[d] = lo*st, st*st
		c += float64(lo) * float64(lo)
	}
	cqs.c = float32(c)
	return cqs
}

// prepare sets cq to the decoding of code, prepared as a query: what
// Quantizer.prepare gives for the decoded vector, in one pass over the
// code.
func (cqs *codeQueries) prepare(cq *codedQuery, code []byte) {
	d := len(cqs.a)
	code = code[:d]
	cq.qs = slices.Grow(cq.qs[:0], d)[:d]
	qs := cq.qs
	var top float32
	i := 0
	if useVNNI && d >= 16 {
		i = d &^ 15
		top = decodeScaleAVX512(unsafe.SliceData(qs), unsafe.SliceData(cqs.a), unsafe.SliceData(cqs.b), unsafe.SliceData(code), d/16)
	}
	for ; i < d; i++ {
		v := cqs.a[i] + cqs.b[i]*float32(code[i])
		qs[i] = v
		if v > top {
			top = v
		} else if -v > top {
			top = -v
		}
	}
	cq.bias = cqs.c + dotU8(cqs.a, code)
	cq.round(top)
}

// sim returns the query's similarity with the vector that code stands for.
func (cq *codedQuery) sim(code []byte) float32 {
	if len(cq.qi) > 0 {
		return cq.bias + cq.scale*float32(dotI16U8(cq.qi, code))
	}
	return cq.bias + dotU8(cq.qs, code)
}

// simRows sets out[r] to the query's similarity with each of the
// len(out) codes of dim bytes side by side in rows: sim over a block,
// with one call of the VNNI kernel for all of them where it applies.
func (cq *codedQuery) simRows(rows []byte, dim int, out []float32) {
	n := len(out)
	rows = rows[:n*dim]
	if len(cq.qi) == 0 || dim%32 != 0 || n == 0 {
		for r := range out {
			out[r] = cq.sim(rows[r*dim : (r+1)*dim])
		}
		return
	}
	// The int32 sums are written over out, then turned into floats.
	sums := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(out))), n)
	dotI16U8VNNIRows(unsafe.SliceData(cq.qi), unsafe.SliceData(rows), dim/32, n, unsafe.SliceData(sums))
	for r, v := range sums {
		out[r] = cq.bias + cq.scale*float32(v)
	}
}

// dotI16U8 returns Σ a[i]·b[i] over the first len(a) values (b is at
// least as long), exactly, with the VNNI kernel (the caller checks
// useVNNI).
func dotI16U8(a []int16, b []byte) int32 {
	n := len(a)
	b = b[:n]
	var s int32
	i := n &^ 31
	if i > 0 {
		s = dotI16U8VNNI(unsafe.SliceData(a), unsafe.SliceData(b), n/32)
	}
	for ; i < n; i++ {
		s += int32(a[i]) * int32(b[i])
	}
	return s
}

// dotU8 returns Σ a[i]·b[i] over the first len(a) values (b is at least
// as long), with the AVX2+FMA kernel where the CPU has it.
func dotU8(a []float32, b []byte) float32 {
	n := len(a)
	b = b[:n]
	var s float32
	i := 0
	if useAVX2 && n >= 8 {
		i = n &^ 7
		s = dotU8AVX2(unsafe.SliceData(a), unsafe.SliceData(b), n/8)
	}
	for ; i < n; i++ {
		s += a[i] * float32(b[i])
	}
	return s
}

// prefetchBytes asks the CPU to bring b into the cache (see prefetch).
func prefetchBytes(b []byte) {
	if useAVX2 && len(b) > 0 {
		prefetchAVX2(unsafe.Pointer(unsafe.SliceData(b)), (len(b)+63)/64)
	}
}

// rowQuery is a code's decoding prepared as a query in 8-bit integers,
// for scoring blocks of codes side by side (the batch build's search
// within lists, where each pair of a list is scored once): with AVX-512
// VNNI, 64 bytes of a code per VPDPBUSD, twice the 16-bit kernel's,
// with no widening. The rounding to 8 bits moves a score by at most
// scale/2·Σ code[d] (scale = max|qs[d]|/127): coarser than the walk's
// 16 bits, it only ranks a node's candidates, which the neighbour
// heuristic then compares over the 16-bit kernel. Without VNNI, or for
// codes that are not whole multiples of 64 bytes, it is the 16-bit
// query.
type rowQuery struct {
	cq    codedQuery
	q16   []int16 // q8 before its narrowing
	q8    []int8
	scale float32
}

func (cqs *codeQueries) prepareRows(rq *rowQuery, code []byte) {
	cqs.prepare(&rq.cq, code)
	d := len(cqs.a)
	rq.q8 = rq.q8[:0]
	if !useVNNI || d%64 != 0 {
		return
	}
	// prepare rounded to 16 bits with scale = max|qs|/qiMax (useVNNI).
	top := rq.cq.scale * qiMax
	rq.scale = top / 127
	inv := float32(0)
	if top > 0 {
		inv = 127 / top
	}
	rq.q16 = slices.Grow(rq.q16[:0], d)[:d]
	quantI16AVX512(unsafe.SliceData(rq.q16), unsafe.SliceData(rq.cq.qs), inv, d/16)
	rq.q8 = slices.Grow(rq.q8, d)[:d]
	for i, v := range rq.q16 {
		rq.q8[i] = int8(min(max(v, -127), 127))
	}
}

// simRows sets out[r] to the query's similarity with each of the
// len(out) codes of dim bytes side by side in rows.
func (rq *rowQuery) simRows(rows []byte, dim int, out []float32) {
	n := len(out)
	if len(rq.q8) == 0 || n == 0 {
		rq.cq.simRows(rows, dim, out)
		return
	}
	rows = rows[:n*dim]
	sums := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(out))), n)
	dotI8U8VNNIRows(unsafe.SliceData(rq.q8), unsafe.SliceData(rows), dim/64, n, unsafe.SliceData(sums))
	for r, v := range sums {
		out[r] = rq.cq.bias + rq.scale*float32(v)
	}
}
