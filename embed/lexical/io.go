package lexical

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The lexical model file, version 1, all integers and floats little-endian:
//
//	magic        8 bytes  "PMLEXLSA"
//	version      uint32   1
//	flags        uint32   bit 0 linear tf, bit 1 numbers kept, bit 2 short tokens kept
//	docs         uint64   number of training documents
//	terms        uint64   vocabulary size m
//	dims         uint64   dimensions k
//	minDF        uint64
//	maxDF        float64
//	seed         uint64
//	powerIters   uint64
//	oversampling uint64
//	m × (uvarint length, bytes)   the terms, strictly increasing
//	m × float64                   idf
//	k × float64                   singular values, non-increasing
//	m·k × float32                 V, row-major (one row per term)
//	crc32        uint32   CRC-32C (Castagnoli) of every byte before it
//
// Read checks the checksum before it trusts any count in the file.

const (
	lexicalMagic      = "PMLEXLSA"
	lexicalVersion    = 1
	lexicalHeaderSize = 8 + 4 + 4 + 8*8
)

// ErrCorruptModel is wrapped by the errors Read returns for data that
// is not a complete, intact lexical model file.
var ErrCorruptModel = errors.New("lexical: model data is corrupt or truncated")

var lexicalCRCTable = crc32.MakeTable(crc32.Castagnoli)

const (
	flagLinear = 1 << iota
	flagKeepNumbers
	flagKeepShort
)

// WriteTo writes the model to w in the versioned binary format that
// Read reads, and returns the number of bytes written.
func (l *Model) WriteTo(w io.Writer) (int64, error) {
	cw := &lexicalByteCounter{w: w}
	crc := crc32.New(lexicalCRCTable)
	bw := bufio.NewWriterSize(io.MultiWriter(cw, crc), 1<<16)
	var flags uint32
	if l.linear {
		flags |= flagLinear
	}
	if l.fit.keepNumbers {
		flags |= flagKeepNumbers
	}
	if l.fit.keepShort {
		flags |= flagKeepShort
	}
	var b []byte
	b = append(b, lexicalMagic...)
	b = binary.LittleEndian.AppendUint32(b, lexicalVersion)
	b = binary.LittleEndian.AppendUint32(b, flags)
	for _, v := range []uint64{
		uint64(l.fit.docs), uint64(len(l.terms)), uint64(l.dims), uint64(l.fit.minDF),
		math.Float64bits(l.fit.maxDF), l.fit.seed, uint64(l.fit.powerIters), uint64(l.fit.oversampling),
	} {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	bw.Write(b)
	for _, t := range l.terms {
		b = binary.AppendUvarint(b[:0], uint64(len(t)))
		bw.Write(b)
		bw.WriteString(t)
	}
	for _, v := range l.idf {
		bw.Write(binary.LittleEndian.AppendUint64(b[:0], math.Float64bits(v)))
	}
	for _, v := range l.sigma {
		bw.Write(binary.LittleEndian.AppendUint64(b[:0], math.Float64bits(v)))
	}
	if l.raw != nil {
		bw.Write(l.raw)
	}
	for _, v := range l.basis {
		bw.Write(binary.LittleEndian.AppendUint32(b[:0], math.Float32bits(v)))
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("lexical: write model: %w", err)
	}
	if _, err := cw.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32())); err != nil {
		return cw.n, fmt.Errorf("lexical: write model: %w", err)
	}
	return cw.n, nil
}

// lexicalByteCounter counts the bytes written through it.
type lexicalByteCounter struct {
	w io.Writer
	n int64
}

func (c *lexicalByteCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Read reads a model written by WriteTo. It reads r to the end and
// returns an error wrapping ErrCorruptModel if the data is truncated,
// altered, or not a lexical model, and a plain error for a model of a newer
// format version.
func Read(r io.Reader) (*Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("lexical: read model: %w", err)
	}
	return Decode(data)
}

// Verify checks that data is an intact model file (its magic number,
// format version and checksum) without decoding it, and returns the number
// of documents the model was fitted on. Its errors are Read's; Decode of
// data that passed Verify can still fail only on a model written wrongly.
func Verify(data []byte) (fittedOn int, err error) {
	if err := checkFile(data); err != nil {
		return 0, err
	}
	return int(binary.LittleEndian.Uint64(data[16:])), nil
}

// checkFile checks the magic number, the version and the checksum of a
// model file.
func checkFile(data []byte) error {
	if len(data) < len(lexicalMagic) || string(data[:len(lexicalMagic)]) != lexicalMagic {
		return corruptf("not a lexical model (bad magic number)")
	}
	if len(data) < lexicalHeaderSize+4 {
		return corruptf("%d bytes is shorter than the header", len(data))
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != lexicalVersion {
		return fmt.Errorf("lexical: read model: format version %d is not supported (this build reads version %d)", v, lexicalVersion)
	}
	body := data[:len(data)-4]
	if got, want := crc32.Checksum(body, lexicalCRCTable), binary.LittleEndian.Uint32(data[len(data)-4:]); got != want {
		return corruptf("checksum mismatch")
	}
	return nil
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptModel, fmt.Sprintf(format, args...))
}

// Decode is Read for a model already in memory (a file read whole): it
// decodes data without copying it first, and the model keeps no reference
// to it. Its errors are Read's.
func Decode(data []byte) (*Model, error) { return decode(data, false) }

// DecodeShared is Decode for a model that may keep data: the basis (most
// of the file: 40 MB for 40,000 terms in 256 dimensions) is not decoded
// but read in data, row by row, for the terms a text has. A process that
// embeds a few queries then reads a few kilobytes of it instead of
// decoding it all (0.17 s at a million papers' model). data must not
// change for as long as the model is used.
func DecodeShared(data []byte) (*Model, error) { return decode(data, true) }

func decode(data []byte, shared bool) (*Model, error) {
	corrupt := corruptf
	if err := checkFile(data); err != nil {
		return nil, err
	}
	body := data[:len(data)-4]
	flags := binary.LittleEndian.Uint32(data[12:])
	p := &byteParser{data: body[16:]}
	docs, m, k := p.u64(), p.u64(), p.u64()
	fit := fitInfo{
		docs: int(docs), minDF: int(p.u64()), maxDF: math.Float64frombits(p.u64()), seed: p.u64(),
		powerIters: int(p.u64()), oversampling: int(p.u64()),
		keepNumbers: flags&flagKeepNumbers != 0, keepShort: flags&flagKeepShort != 0,
	}
	// Every term takes at least 1 + 8 + 4k bytes: bound the counts by the
	// data length before allocating.
	if m == 0 || k == 0 || m > uint64(len(body)) || k > uint64(len(body)) || m*(9+4*k) > uint64(len(body)) {
		return nil, corrupt("impossible sizes: %d terms, %d dimensions in %d bytes", m, k, len(data))
	}
	l := &Model{
		terms:  make([]string, m),
		index:  make(map[string]int32, m),
		idf:    make([]float64, m),
		sigma:  make([]float64, k),
		dims:   int(k),
		linear: flags&flagLinear != 0,
		fit:    fit,
	}
	// The terms share one string: one allocation instead of one per term.
	termData := p.data
	spans := make([][2]int, m)
	var prev []byte
	for i := range spans {
		t := p.strBytes()
		if i > 0 && p.err == nil && bytes.Compare(prev, t) >= 0 {
			return nil, corrupt("terms are not sorted at term %d", i)
		}
		end := len(termData) - len(p.data)
		spans[i] = [2]int{end - len(t), end}
		prev = t
	}
	if p.err == nil {
		all := string(termData[:len(termData)-len(p.data)])
		for i, sp := range spans {
			l.terms[i] = all[sp[0]:sp[1]]
			l.index[l.terms[i]] = int32(i)
		}
	}
	for i := range l.idf {
		l.idf[i] = math.Float64frombits(p.u64())
	}
	for i := range l.sigma {
		l.sigma[i] = math.Float64frombits(p.u64())
	}
	// The basis is most of the file: kept as it is (shared), or decoded
	// in one loop over its bytes.
	if b := p.take(4 * int(m*k)); b != nil {
		if shared {
			l.raw = b
		} else {
			l.basis = make([]float32, m*k)
			for i := range l.basis {
				l.basis[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		}
	}
	if p.err != nil {
		return nil, corrupt("%v", p.err)
	}
	if len(p.data) != 0 {
		return nil, corrupt("%d unexpected bytes after the model", len(p.data))
	}
	for i, v := range l.idf {
		if !(v >= 1) || math.IsInf(v, 0) {
			return nil, corrupt("idf of term %q is %v", l.terms[i], v)
		}
	}
	return l, nil
}

// byteParser reads fields from a byte slice, remembering the first error.
type byteParser struct {
	data []byte
	err  error
}

func (p *byteParser) take(n int) []byte {
	if p.err != nil {
		return nil
	}
	if n < 0 || n > len(p.data) {
		p.err = io.ErrUnexpectedEOF
		return nil
	}
	b := p.data[:n]
	p.data = p.data[n:]
	return b
}

func (p *byteParser) u64() uint64 {
	if b := p.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (p *byteParser) u32() uint32 {
	if b := p.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// strBytes returns the bytes of a uvarint-length string, a view of the
// data.
func (p *byteParser) strBytes() []byte {
	if p.err != nil {
		return nil
	}
	n, w := binary.Uvarint(p.data)
	if w <= 0 || n > uint64(len(p.data)) {
		p.err = io.ErrUnexpectedEOF
		return nil
	}
	p.data = p.data[w:]
	return p.take(int(n))
}
