package sparse

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
	"slices"
	"strings"
)

// WriteAdded writes what WriteTo would write after Add(ids, texts) with
// Fingerprint fp, without decoding the saved index into memory: the saved
// tables are copied where they lie, each term's postings followed by the
// new documents', and the norms (which every new document changes, through
// the idf) are summed over the postings as they are read. It holds the
// norms (8 bytes a document) and the new documents' terms, where Add
// decodes every posting: at a million papers 1.1 GB of heap, most of a
// one-paper ingest's peak memory, and most of its time (bench/RESULTS.md,
// "Cold search at 1M: the index files read whole").
//
// It applies to an index Read from a file of version 3 or 4 and not
// decoded since, whose chunks all pass their checks (it checks those not
// checked yet), when none of ids is indexed or repeated; otherwise it
// writes nothing and returns ok false, and the caller adds and writes as
// before. The index itself is not
// changed: the written file is the index with the documents added. New
// terms are numbered in the order the documents first use them (Add's
// order depends on a map's), so that the two files may list them in
// another order, with the same postings, weights and scores. It panics if
// the lengths of ids and texts differ.
func (x *Index) WriteAdded(w io.Writer, fp string, ids, texts []string) (n int64, ok bool, err error) {
	if len(ids) != len(texts) {
		panic("sparse: WriteAdded with different numbers of IDs and texts")
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	l := x.lazy
	if l == nil || len(ids) == 0 || l.checkAll() > 0 || x.damaged.Load() {
		return 0, false, nil // every chunk is checked first: none is copied unchecked
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return 0, false, nil
		}
		seen[id] = true
		if _, in := l.doc(id); in {
			return 0, false, nil
		}
	}

	// The new documents' terms: those the index has get the new
	// postings at the end of their lists, the others become terms after
	// the saved ones.
	type add struct{ doc, tf int32 }
	old := map[int32][]add{}
	newTerm := map[string]int32{} // → position among the new terms
	var newWords []string
	var newPost [][]add
	lengths := make([]int32, len(ids))
	for i, text := range texts {
		doc := int32(l.n + i)
		counts := map[string]int32{}
		var order []string
		x.opts.Terms(text, func(t []byte) {
			if counts[string(t)] == 0 {
				order = append(order, string(t))
			}
			counts[string(t)]++
			lengths[i]++
		})
		for _, t := range order {
			a := add{doc, counts[t]}
			if k, ok := l.termOf([]byte(t)); ok {
				old[int32(k)] = append(old[int32(k)], a)
				continue
			}
			k, ok := newTerm[t]
			if !ok {
				k = int32(len(newWords))
				newTerm[t] = k
				newWords = append(newWords, t)
				newPost = append(newPost, nil)
			}
			newPost[k] = append(newPost[k], a)
		}
	}
	if l.isDamaged() {
		return 0, false, nil
	}

	// The norms, as computeWeights sums them: term by term, each
	// document's postings in order.
	o := x.opts
	o.Scoring = TFIDF
	total := l.n + len(ids)
	maxDF := int(o.MaxDF * float64(total))
	idf := func(df int) float32 {
		if df == 0 || df < o.MinDF || df > maxDF {
			return 0
		}
		return float32(math.Log(float64(1+total)/float64(1+df)) + 1)
	}
	sq := make([]float64, total)
	last := make(map[int32]int32, len(old)) // a term's last saved document
	df := make([]uint32, l.t)
	for t := range l.t {
		adds := old[int32(t)]
		df[t] = uint32(l.termDF(t) + len(adds))
		f := idf(int(df[t]))
		if f == 0 && adds == nil {
			continue
		}
		l.postings(t, func(doc, tf int32) {
			if f != 0 {
				v := float64(tfWeight(tf) * f)
				sq[doc] += v * v
			}
			last[int32(t)] = doc
		})
		if f != 0 {
			for _, a := range adds {
				v := float64(tfWeight(a.tf) * f)
				sq[a.doc] += v * v
			}
		}
	}
	for _, ps := range newPost {
		if f := idf(len(ps)); f != 0 {
			for _, a := range ps {
				v := float64(tfWeight(a.tf) * f)
				sq[a.doc] += v * v
			}
		}
	}
	if l.isDamaged() {
		return 0, false, nil
	}

	var vb [binary.MaxVarintLen64]byte
	encoded := func(ps []add, prev int32) (size int) {
		for _, p := range ps {
			size += binary.PutUvarint(vb[:], uint64(p.doc-prev)) + binary.PutUvarint(vb[:], uint64(p.tf))
			prev = p.doc
		}
		return size
	}
	var idBytes, termBytes, extra uint64
	for _, id := range ids {
		idBytes += uint64(len(id))
	}
	for _, t := range newWords {
		termBytes += uint64(len(t))
	}
	for t, ps := range old {
		extra += uint64(encoded(ps, last[t]))
	}
	for _, ps := range newPost {
		extra += uint64(encoded(ps, 0))
	}

	if g, ok := w.(interface{ Grow(int) }); ok {
		// A buffer (a caller that writes the file whole): grown once to
		// the file's size at most, rather than doubled and copied up
		// to it (3 s of a one-paper ingest's CPU at a million papers).
		body := uint64(len(header)+len(fp)+8*binary.MaxVarintLen64) + 4*uint64(total) + 8*uint64(len(ids)+len(newWords)) +
			uint64(len(l.length)+len(l.norm)+len(l.idOff)+len(l.ids)+len(l.idSorted)+len(l.termOff)+len(l.terms)+len(l.termSorted)+len(l.df)+len(l.postOff)+len(l.post)) +
			idBytes + termBytes + extra + 4*uint64(len(ids)+len(newWords)) + 4*uint64(len(newWords)) + 4*uint64(len(ids))
		g.Grow(int(body + 4*(body/uint64(chunkBytes)+1) + footerLen))
	}
	cw := &countingWriter{w: bufio.NewWriterSize(w, 1<<16), sums: chunkSums{size: chunkBytes}}
	cw.bytes([]byte(header))
	cw.str(fp)
	for _, v := range []uint64{uint64(total), uint64(l.t + len(newWords)), uint64(o.MinDF), math.Float64bits(o.MaxDF),
		uint64(len(l.ids)) + idBytes, uint64(len(l.terms)) + termBytes, uint64(len(l.post)) + extra} {
		cw.uvarint(v)
	}
	cw.bytes(l.length)
	for _, v := range lengths {
		cw.u32(uint32(v))
	}
	for _, s := range sq {
		var norm float32
		if s > 0 {
			norm = float32(1 / math.Sqrt(s))
		}
		cw.u32(math.Float32bits(norm))
	}
	// The IDs, then the documents in ID order (the saved order merged with
	// the new documents'); the terms, then the terms in byte order, alike.
	cw.appendStrings(l.idOff, l.ids, l.n, ids, l.sortedDoc, l.idBytes)
	cw.appendStrings(l.termOff, l.terms, l.t, newWords, l.sortedTerm, l.term)
	for _, v := range df {
		cw.u32(v)
	}
	for _, ps := range newPost {
		cw.u32(uint32(len(ps)))
	}
	var off uint64
	cw.u64(0)
	for t := range l.t {
		a, b, _ := l.spanOf(l.postOff, len(l.post), t)
		off += uint64(b-a) + uint64(encoded(old[int32(t)], last[int32(t)]))
		cw.u64(off)
	}
	for _, ps := range newPost {
		off += uint64(encoded(ps, 0))
		cw.u64(off)
	}
	put := func(ps []add, prev int32) {
		for _, p := range ps {
			cw.uvarint(uint64(p.doc - prev))
			cw.uvarint(uint64(p.tf))
			prev = p.doc
		}
	}
	for t := range l.t {
		a, b, _ := l.spanOf(l.postOff, len(l.post), t)
		cw.bytes(l.post[a:b])
		put(old[int32(t)], last[int32(t)])
	}
	for _, ps := range newPost {
		put(ps, 0)
	}
	if l.isDamaged() {
		// A value out of its table's bounds (the chunks were checked):
		// what was written is not to be used.
		return cw.n, false, ErrCorrupt
	}
	if cw.err == nil {
		f := cw.sums.footer(cw.n)
		_, cw.err = cw.w.Write(f)
		cw.n += int64(len(f))
	}
	if cw.err == nil {
		cw.err = cw.w.Flush()
	}
	return cw.n, true, cw.err
}

// appendStrings writes a saved string table (offsets offs, bytes blob, n
// strings) followed by added (numbered n, n+1, ...), then the table's byte
// order merged with added's: the saved strings in their order sorted(i),
// each read by at, and the added ones between them.
func (cw *countingWriter) appendStrings(offs, blob []byte, n int, added []string, sorted func(int) int, at func(int) []byte) {
	cw.bytes(offs)
	off := uint64(len(blob))
	for _, x := range added {
		off += uint64(len(x))
		cw.u64(off)
	}
	cw.bytes(blob)
	for _, x := range added {
		cw.bytes([]byte(x))
	}
	order := make([]int32, len(added))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(added[a], added[b]) })
	j := 0
	for i := range n {
		d := sorted(i)
		for j < len(order) && added[order[j]] < string(at(d)) {
			cw.u32(uint32(n + int(order[j])))
			j++
		}
		cw.u32(uint32(d))
	}
	for ; j < len(order); j++ {
		cw.u32(uint32(n + int(order[j])))
	}
}
