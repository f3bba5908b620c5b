package sparse

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"strings"
)

// header starts every saved index; the version changes with the format
// or with the default terms (v1 held unstemmed words; v2, the same terms
// as v3 and v4, was decoded whole at Read: headerV2 files are still read
// so; v3, the body of v4 with one checksum of the whole file, is read in
// place after that checksum is checked).
const (
	header   = "papermap-sparse v4\n"
	headerV3 = "papermap-sparse v3\n"
	headerV2 = "papermap-sparse v2\n"
)

// oldHeaders start the files of earlier versions whose terms differ.
var oldHeaders = []string{"papermap-sparse v1\n"}

// ErrCorrupt is wrapped by Read's errors for bytes that are not an index
// written by WriteTo (cut short, altered, or another file).
var ErrCorrupt = errors.New("sparse: not a valid index file")

// ErrOldFormat is wrapped by Read's error for an index saved by an earlier
// version of this package, whose terms the current one would not match:
// its owner should rebuild it. It wraps ErrCorrupt.
var ErrOldFormat = fmt.Errorf("%w: saved by an earlier version", ErrCorrupt)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteTo saves the index in the layout of lazy.go and chunks.go
// (version 4): the header, the fingerprint, the documents' lengths,
// TF-IDF norms and IDs, the terms with their postings, the sorted tables
// that let Read search the bytes in place, and a CRC-32C of each chunk.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	x.mu.Lock()
	x.materialize()
	x.mu.Unlock()
	if x.damaged.Load() {
		return 0, fmt.Errorf("%w: not saved: it was read from a damaged file", ErrCorrupt)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	n := len(x.ids)
	var live []int32
	for t, ps := range x.post {
		if len(ps) > 0 {
			live = append(live, int32(t))
		}
	}
	// The norms are those prepare gives TF-IDF with this index's MinDF
	// and MaxDF, whatever its scoring now.
	o := x.opts
	o.Scoring = TFIDF
	wt := x.computeWeights(o)
	var idBytes, termBytes, postBytes uint64
	for _, id := range x.ids {
		idBytes += uint64(len(id))
	}
	var vb [binary.MaxVarintLen64]byte
	for _, t := range live {
		termBytes += uint64(len(x.words[t]))
		prev := int32(0)
		for _, p := range x.post[t] {
			postBytes += uint64(binary.PutUvarint(vb[:], uint64(p.doc-prev)) + binary.PutUvarint(vb[:], uint64(p.tf)))
			prev = p.doc
		}
	}
	cw := &countingWriter{w: bufio.NewWriterSize(w, 1<<16), sums: chunkSums{size: chunkBytes}}
	cw.bytes([]byte(header))
	cw.str(x.Fingerprint)
	for _, v := range []uint64{uint64(n), uint64(len(live)), uint64(o.MinDF), math.Float64bits(o.MaxDF), idBytes, termBytes, postBytes} {
		cw.uvarint(v)
	}
	for _, l := range x.length {
		cw.u32(uint32(l))
	}
	for _, v := range wt.norm {
		cw.u32(math.Float32bits(v))
	}
	off := uint64(0)
	cw.u64(0)
	for _, id := range x.ids {
		off += uint64(len(id))
		cw.u64(off)
	}
	for _, id := range x.ids {
		cw.bytes([]byte(id))
	}
	docs := make([]int32, n)
	for d := range docs {
		docs[d] = int32(d)
	}
	slices.SortFunc(docs, func(a, b int32) int { return strings.Compare(x.ids[a], x.ids[b]) })
	for _, d := range docs {
		cw.u32(uint32(d))
	}
	off = 0
	cw.u64(0)
	for _, t := range live {
		off += uint64(len(x.words[t]))
		cw.u64(off)
	}
	for _, t := range live {
		cw.bytes([]byte(x.words[t]))
	}
	sorted := make([]int32, len(live)) // positions in live, by term
	for i := range sorted {
		sorted[i] = int32(i)
	}
	slices.SortFunc(sorted, func(a, b int32) int { return strings.Compare(x.words[live[a]], x.words[live[b]]) })
	for _, i := range sorted {
		cw.u32(uint32(i))
	}
	for _, t := range live {
		cw.u32(uint32(len(x.post[t])))
	}
	off = 0
	cw.u64(0)
	for _, t := range live {
		prev := int32(0)
		for _, p := range x.post[t] {
			off += uint64(binary.PutUvarint(vb[:], uint64(p.doc-prev)) + binary.PutUvarint(vb[:], uint64(p.tf)))
			prev = p.doc
		}
		cw.u64(off)
	}
	for _, t := range live {
		prev := int32(0)
		for _, p := range x.post[t] {
			cw.uvarint(uint64(p.doc - prev))
			cw.uvarint(uint64(p.tf))
			prev = p.doc
		}
	}
	if cw.err == nil {
		f := cw.sums.footer(cw.n)
		_, cw.err = cw.w.Write(f)
		cw.n += int64(len(f))
	}
	if cw.err == nil {
		cw.err = cw.w.Flush()
	}
	return cw.n, cw.err
}

type countingWriter struct {
	w    *bufio.Writer
	sums chunkSums
	n    int64
	err  error
	buf  [binary.MaxVarintLen64]byte
}

func (c *countingWriter) bytes(b []byte) {
	if c.err != nil {
		return
	}
	c.sums.write(b)
	var n int
	n, c.err = c.w.Write(b)
	c.n += int64(n)
}

func (c *countingWriter) uvarint(v uint64) {
	n := binary.PutUvarint(c.buf[:], v)
	c.bytes(c.buf[:n])
}

func (c *countingWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(c.buf[:4], v)
	c.bytes(c.buf[:4])
}

func (c *countingWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(c.buf[:8], v)
	c.bytes(c.buf[:8])
}

func (c *countingWriter) str(s string) {
	c.uvarint(uint64(len(s)))
	c.bytes([]byte(s))
}

// Read loads an index saved by WriteTo, to be scored with opts. Bytes that
// are not such an index give an error wrapping ErrCorrupt; Read never
// panics, whatever the input. The index keeps data and searches it in
// place (data must not change afterwards): Read checks the header and the
// chunks' checksums, and each search checks the chunks it reads when it
// first reads them (see chunks.go and Damaged: a process answering one
// query reads a small part of the file), without decoding every posting;
// the first Add, Remove or WriteTo decodes it (after Check, by a careful
// caller). A file of version 3 is checked whole at Read (its checksum and
// the bounds of its tables) and read in place; one of version 2 is
// decoded whole.
func Read(data []byte, opts Options) (*Index, error) {
	for _, h := range oldHeaders {
		if len(data) >= len(h) && string(data[:len(h)]) == h {
			return nil, fmt.Errorf("%w (%q)", ErrOldFormat, h[:len(h)-1])
		}
	}
	hdr := header
	for _, h := range []string{headerV3, headerV2} {
		if len(data) >= len(h) && string(data[:len(h)]) == h {
			hdr = h
		}
	}
	if len(data) < len(hdr)+4 || string(data[:len(hdr)]) != hdr {
		return nil, fmt.Errorf("%w: no %q header", ErrCorrupt, header[:len(header)-1])
	}
	x := New(opts)
	var body []byte
	var chk *chunks
	if hdr == header {
		var err error
		if chk, err = readChunks(data, &x.damaged); err != nil {
			return nil, err
		}
		body = chk.data
	} else {
		body = data[:len(data)-4]
		if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
			return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
		}
	}
	if hdr == headerV2 {
		return readV2(body[len(headerV2):], opts)
	}
	l, fp, err := readLazy(body[len(hdr):], chk, &x.damaged)
	if err != nil {
		return nil, err
	}
	x.lazy, x.Fingerprint = l, fp
	if !l.fits(x.opts) {
		x.materialize()
	}
	return x, nil
}

// readV2 decodes the body of a version 2 file: the fingerprint, the
// documents (ID, length), the terms with their postings (document number
// as a delta from the previous one, count), all as uvarints and
// length-prefixed strings.
func readV2(body []byte, opts Options) (*Index, error) {
	p := parser{b: body}
	x := New(opts)
	x.Fingerprint = p.str()
	n := p.count()
	x.ids = make([]string, 0, n)
	x.length = make([]int32, 0, n)
	for range n {
		id := p.str()
		l := p.uvarint()
		if p.err != nil {
			break
		}
		if _, dup := x.docOf[id]; dup || l > 1<<31-1 {
			return nil, fmt.Errorf("%w: document %q repeated or too long", ErrCorrupt, id)
		}
		x.docOf[id] = int32(len(x.ids))
		x.ids = append(x.ids, id)
		x.length = append(x.length, int32(l))
	}
	nt := p.count()
	for range nt {
		word := p.str()
		np := p.count()
		if p.err != nil {
			break
		}
		if _, dup := x.terms[word]; dup || np > len(x.ids) {
			return nil, fmt.Errorf("%w: term %q repeated or with too many documents", ErrCorrupt, word)
		}
		ps := make([]posting, 0, np)
		doc := int64(0)
		for j := range np {
			delta, tf := p.uvarint(), p.uvarint()
			if j > 0 && delta == 0 {
				return nil, fmt.Errorf("%w: term %q lists a document twice", ErrCorrupt, word)
			}
			doc += int64(delta)
			if p.err != nil || doc >= int64(len(x.ids)) || tf == 0 || tf > 1<<31-1 {
				return nil, fmt.Errorf("%w: term %q has a bad posting", ErrCorrupt, word)
			}
			ps = append(ps, posting{doc: int32(doc), tf: int32(tf)})
		}
		x.terms[word] = int32(len(x.words))
		x.words = append(x.words, word)
		x.post = append(x.post, ps)
	}
	if p.err != nil {
		return nil, p.err
	}
	if len(p.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last term", ErrCorrupt, len(p.b))
	}
	return x, nil
}

type parser struct {
	b   []byte
	err error
}

func (p *parser) uvarint() uint64 {
	if p.err != nil {
		return 0
	}
	v, n := binary.Uvarint(p.b)
	if n <= 0 {
		p.err = fmt.Errorf("%w: cut short", ErrCorrupt)
		return 0
	}
	p.b = p.b[n:]
	return v
}

// count reads a number of items, each at least one byte long.
func (p *parser) count() int {
	v := p.uvarint()
	if v > uint64(len(p.b)) {
		if p.err == nil {
			p.err = fmt.Errorf("%w: a count larger than the file", ErrCorrupt)
		}
		return 0
	}
	return int(v)
}

func (p *parser) str() string {
	n := p.uvarint()
	if p.err != nil {
		return ""
	}
	if n > uint64(len(p.b)) {
		p.err = fmt.Errorf("%w: cut short", ErrCorrupt)
		return ""
	}
	s := string(p.b[:n])
	p.b = p.b[n:]
	return s
}
