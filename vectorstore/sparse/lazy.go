package sparse

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/papermap/papermap/internal/readahead"
)

// The saved format (version 3; version 4 has the same body, checked by
// chunk: chunks.go) is laid out so that a search can read it where it
// lies: the query's terms are found by binary search in a sorted table,
// only their postings are decoded, and the per-document factors of the
// scoring are stored, not derived from every posting. Read keeps the
// bytes, having checked the checksum and the tables' bounds (version 3),
// or the header's chunks (version 4: every value a search reads is then
// checked against its chunk's checksum and its table's bounds as it is
// read); the first Add, Remove or WriteTo (or scoring settings other than
// those the factors were stored for) decodes the whole index into memory
// (materialize).
//
// After the header line, integers are uvarints in the header and
// little-endian in the tables:
//
//	header   uvarint-length fingerprint; uvarint documents n, live terms
//	         t, MinDF of the norms, math.Float64bits(MaxDF) of the norms,
//	         length of the ID bytes, of the term bytes, of the postings
//	length   n × uint32: terms in each document
//	norm     n × float32: 1/‖TF-IDF vector‖ with that MinDF and MaxDF
//	idOff    (n+1) × uint64, then the ID bytes: document d's ID is
//	         ids[idOff[d]:idOff[d+1]]
//	idSorted n × uint32: the documents in ID order
//	termOff  (t+1) × uint64, then the term bytes, in the writer's order
//	termSorted t × uint32: the terms in byte order
//	df       t × uint32: documents of each term
//	postOff  (t+1) × uint64, then the postings: per term, its documents
//	         in increasing order as uvarint deltas from the previous one
//	         (from 0), each followed by its uvarint count
//	crc      uint32: CRC-32C of everything before it

// lazy is a saved index read in place.
type lazy struct {
	n, t         int
	minDF        int
	maxDF        float64
	length, norm []byte
	idOff, ids   []byte
	idSorted     []byte
	termOff      []byte
	terms        []byte
	termSorted   []byte
	df           []byte
	postOff      []byte
	post         []byte
	chk          *chunks // version 4: the chunks' checks; nil: checked whole
	damaged      *atomic.Bool
	avgOnce      sync.Once
	avg          float64 // BM25's average document length (avgLen)
}

var le = binary.LittleEndian

// The values of the tables, each checked (its chunk, its bounds) as it is
// read: one that fails reads as zero (an empty string, an empty list) and
// marks the index damaged, so that a damaged file never makes a search
// panic or loop, and its owner learns to rebuild it (Index.Damaged).

func (l *lazy) fail() { l.damaged.Store(true) }

// u32 returns the i-th uint32 of table b.
func (l *lazy) u32(b []byte, i int) uint32 {
	if i < 0 || 4*i+4 > len(b) || !l.chk.ok(b, 4*i, 4) {
		l.fail()
		return 0
	}
	return le.Uint32(b[4*i:])
}

// span returns item i of data, whose offsets are table off.
func (l *lazy) span(off, data []byte, i int) []byte {
	a, b, ok := l.spanOf(off, len(data), i)
	if !ok || !l.chk.ok(data, a, b-a) {
		l.fail()
		return nil
	}
	return data[a:b:b]
}

// spanOf returns where item i of data (of n bytes), whose offsets are
// table off, lies, checking the offsets but not the item's bytes.
func (l *lazy) spanOf(off []byte, n, i int) (a, b int, ok bool) {
	if i < 0 || 8*i+16 > len(off) || !l.chk.ok(off, 8*i, 16) {
		l.fail()
		return 0, 0, false
	}
	ua, ub := le.Uint64(off[8*i:]), le.Uint64(off[8*i+8:])
	if ua > ub || ub > uint64(n) {
		l.fail()
		return 0, 0, false
	}
	return int(ua), int(ub), true
}

// below returns the i-th uint32 of table b, which must be below n.
func (l *lazy) below(b []byte, i int, n int) int {
	v := l.u32(b, i)
	if uint64(v) >= uint64(n) {
		l.fail()
		return 0
	}
	return int(v)
}

func (l *lazy) docLen(d int) int32            { return int32(l.u32(l.length, d)) }
func (l *lazy) docNorm(d int) float32         { return math.Float32frombits(l.u32(l.norm, d)) }
func (l *lazy) id(d int) string               { return string(l.span(l.idOff, l.ids, d)) }
func (l *lazy) idBytes(d int) []byte          { return l.span(l.idOff, l.ids, d) }
func (l *lazy) term(t int) []byte             { return l.span(l.termOff, l.terms, t) }
func (l *lazy) termDF(t int) int              { return l.below(l.df, t, l.n+1) }
func (l *lazy) sortedDoc(i int) int           { return l.below(l.idSorted, i, max(l.n, 1)) }
func (l *lazy) sortedTerm(i int) int          { return l.below(l.termSorted, i, max(l.t, 1)) }
func (l *lazy) postingBytes(t int) []byte     { return l.span(l.postOff, l.post, t) }
func (l *lazy) isDamaged() bool               { return l.damaged.Load() }
func (l *lazy) checkAll() (damagedChunks int) { return l.chk.checkAll() }

// avgLen is BM25's average document length, over every document (read
// when BM25 first needs it).
func (l *lazy) avgLen() float64 {
	l.avgOnce.Do(func() {
		var total float64
		for d := range l.n {
			total += float64(l.docLen(d))
		}
		l.avg = max(total/float64(max(l.n, 1)), 1)
	})
	return l.avg
}

// doc returns the document number of id.
func (l *lazy) doc(id string) (int, bool) {
	lo, hi := 0, l.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		d := l.sortedDoc(m)
		if strings.Compare(string(l.idBytes(d)), id) < 0 {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < l.n {
		d := l.sortedDoc(lo)
		if string(l.idBytes(d)) == id {
			return d, true
		}
	}
	return 0, false
}

// termOf returns the number of term w.
func (l *lazy) termOf(w []byte) (int, bool) {
	lo, hi := 0, l.t
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		t := l.sortedTerm(m)
		if string(l.term(t)) < string(w) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < l.t {
		t := l.sortedTerm(lo)
		if string(l.term(t)) == string(w) {
			return t, true
		}
	}
	return 0, false
}

// postings calls fn with each posting of term t, in order. It stops at
// the first posting that is not well formed (damage, in a file checked by
// chunk; a file written wrongly otherwise).
func (l *lazy) postings(t int, fn func(doc, tf int32)) {
	b := l.postingBytes(t)
	doc := uint64(0)
	for len(b) > 0 {
		delta, k := binary.Uvarint(b)
		if k <= 0 {
			l.fail()
			return
		}
		b = b[k:]
		tf, k := binary.Uvarint(b)
		if k <= 0 || tf == 0 || tf > 1<<31-1 {
			l.fail()
			return
		}
		b = b[k:]
		doc += delta
		if doc >= uint64(l.n) {
			l.fail()
			return
		}
		fn(int32(doc), int32(tf))
	}
}

// idf returns the idf of term t under opts (0 outside MinDF..MaxDF), as
// prepare computes it.
func (l *lazy) idf(t int, o Options) float32 {
	n, df := l.n, l.termDF(t)
	maxDF := int(o.MaxDF * float64(n))
	if df == 0 || df < o.MinDF || df > maxDF {
		return 0
	}
	if o.Scoring == BM25 {
		return float32(math.Log(1 + (float64(n-df)+0.5)/(float64(df)+0.5)))
	}
	return float32(math.Log(float64(1+n)/float64(1+df)) + 1)
}

// fits reports whether the stored factors serve opts.
func (l *lazy) fits(o Options) bool {
	return o.Scoring == BM25 || (o.MinDF == l.minDF && o.MaxDF == l.maxDF)
}

// search is Search on the saved bytes: the same terms, weights and sums
// in the same order as the decoded index, so the same scores.
func (l *lazy) search(o Options, text string, acc []float32, touched []int32) []int32 {
	counts := map[int]int32{}
	var order []int
	o.Terms(text, func(w []byte) {
		t, ok := l.termOf(w)
		if !ok || l.idf(t, o) == 0 {
			return
		}
		if counts[t] == 0 {
			order = append(order, t)
		}
		counts[t]++
	})
	qw := make([]float32, len(order))
	var sq float64
	for i, t := range order {
		switch o.Scoring {
		case BM25:
			qw[i] = float32(counts[t])
		default:
			qw[i] = tfWeight(counts[t]) * l.idf(t, o)
			sq += float64(qw[i]) * float64(qw[i])
		}
	}
	if sq > 0 {
		inv := float32(1 / math.Sqrt(sq))
		for i := range qw {
			qw[i] *= inv
		}
	}
	if touched == nil {
		// Every document of the query's terms, at most: sized once
		// (hundreds of thousands at a million papers).
		total := 0
		for _, t := range order {
			total += l.termDF(t)
		}
		touched = make([]int32, 0, min(total, l.n))
	}
	// The postings of the query's terms, asked for at once: a paper's
	// text as the query (similar) has a hundred terms, whose postings
	// lie all over the file, and from a cold page cache each would
	// otherwise wait for its own read. (Asking reads nothing: the
	// postings are checked as they are decoded.)
	for _, t := range order {
		if a, b, ok := l.spanOf(l.postOff, len(l.post), t); ok {
			readahead.WillNeed(l.post[a:b])
		}
	}
	for i, t := range order {
		idf, q := l.idf(t, o), qw[i]
		l.postings(t, func(doc, tf int32) {
			var s float32
			switch o.Scoring {
			case BM25:
				b := float32(o.K1 * (1 - o.B + o.B*float64(l.docLen(int(doc)))/l.avgLen()))
				f := float32(tf)
				s = q * idf * f * float32(o.K1+1) / (f + b)
			default:
				s = q * tfWeight(tf) * idf * l.docNorm(int(doc))
			}
			if acc[doc] == 0 {
				touched = append(touched, doc)
			}
			acc[doc] += s
		})
	}
	return touched
}

// readLazy reads a version 3 body (after the header line, before the
// checksum), or with chk (version 4) a body checked by chunk: then only
// the chunks of its header are checked here, and the tables as they are
// read. damaged is the Index's.
func readLazy(b []byte, chk *chunks, damaged *atomic.Bool) (*lazy, string, error) {
	p := parser{b: b}
	fp := p.str()
	var h [7]uint64
	for i := range h {
		h[i] = p.uvarint()
	}
	if p.err != nil {
		return nil, "", p.err
	}
	if !chk.ok(b, 0, len(b)-len(p.b)) {
		return nil, "", fmt.Errorf("%w: checksum mismatch of the header", ErrCorrupt)
	}
	n, t := h[0], h[1]
	if n > uint64(len(p.b)) || t > uint64(len(p.b)) {
		return nil, "", fmt.Errorf("%w: counts larger than the file", ErrCorrupt)
	}
	l := &lazy{n: int(n), t: int(t), minDF: int(min(h[2], 1<<31)), maxDF: math.Float64frombits(h[3]), chk: chk, damaged: damaged}
	take := func(size uint64) []byte {
		if p.err == nil && size > uint64(len(p.b)) {
			p.err = fmt.Errorf("%w: cut short", ErrCorrupt)
		}
		if p.err != nil {
			return nil
		}
		s := p.b[:size:size]
		p.b = p.b[size:]
		return s
	}
	l.length, l.norm = take(4*n), take(4*n)
	l.idOff, l.ids = take(8*(n+1)), take(h[4])
	l.idSorted = take(4 * n)
	l.termOff, l.terms = take(8*(t+1)), take(h[5])
	l.termSorted, l.df = take(4*t), take(4*t)
	l.postOff, l.post = take(8*(t+1)), take(h[6])
	if p.err != nil {
		return nil, "", p.err
	}
	if len(p.b) != 0 {
		return nil, "", fmt.Errorf("%w: %d bytes after the postings", ErrCorrupt, len(p.b))
	}
	if chk == nil && (!offsets(l.idOff, len(l.ids)) || !offsets(l.termOff, len(l.terms)) || !offsets(l.postOff, len(l.post)) ||
		!below(l.idSorted, n) || !below(l.termSorted, t) || !below(l.df, n+1)) {
		return nil, "", fmt.Errorf("%w: a table out of bounds", ErrCorrupt)
	}
	return l, fp, nil
}

// offsets reports whether b holds increasing uint64 offsets from 0 to end.
func offsets(b []byte, end int) bool {
	prev := uint64(0)
	for i := 0; i < len(b); i += 8 {
		v := le.Uint64(b[i:])
		if v < prev || (i == 0 && v != 0) {
			return false
		}
		prev = v
	}
	return prev == uint64(end)
}

// below reports whether every uint32 of b is below n.
func below(b []byte, n uint64) bool {
	for i := 0; i < len(b); i += 4 {
		if uint64(le.Uint32(b[i:])) >= n {
			return false
		}
	}
	return true
}

// materialize decodes a lazily read index into memory, in the writer's
// order of terms, so that its derived weights are those of the index that
// was saved. The caller holds x.mu for writing.
func (x *Index) materialize() {
	l := x.lazy
	if l == nil {
		return
	}
	x.ids = make([]string, l.n)
	x.length = make([]int32, l.n)
	x.docOf = make(map[string]int32, l.n)
	for d := range l.n {
		x.ids[d] = l.id(d)
		x.length[d] = l.docLen(d)
		x.docOf[x.ids[d]] = int32(d)
	}
	x.terms = make(map[string]int32, l.t)
	x.words = make([]string, l.t)
	x.post = make([][]posting, l.t)
	for t := range l.t {
		w := string(l.term(t))
		x.terms[w] = int32(t)
		x.words[t] = w
		ps := make([]posting, 0, l.termDF(t))
		l.postings(t, func(doc, tf int32) { ps = append(ps, posting{doc: doc, tf: tf}) })
		x.post[t] = ps
	}
	x.lazy = nil
	x.weights = nil
}
