package vectorstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"path/filepath"
	"slices"

	"github.com/papermap/papermap/internal/safefile"
)

// File names inside a store directory.
const (
	logName      = "records.log"
	manifestName = "manifest.json"
	lockName     = "LOCK"
	tmpPrefix    = safefile.TempPrefix
)

// logHeader starts every record log; it names the format and its version.
var logHeader = []byte("papermap-log v1\n")

// frameMagic starts every frame. Its bytes are unlikely in text and in
// float32 data, which keeps resynchronisation (Repair) cheap.
var frameMagic = [4]byte{0xD5, 0x7A, 0x3C, 0x91}

const (
	frameHeaderLen = 12      // magic, payload length, checksum
	maxPayloadLen  = 1 << 28 // 256 MiB; anything longer is damage
	// minRecordFrame is a lower bound on the size of a record frame
	// without its vector: the frame header, the kind, a one-byte ID and
	// the varint lengths. It bounds the number of records a log of a given
	// size can hold.
	minRecordFrame = frameHeaderLen + 7

	kindRecord    byte = 1
	kindTombstone byte = 2
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func storeDirOf(file string) string { return filepath.Dir(file) }

// frame is one decoded log entry. Strings are copies; vec is a view into
// the payload that is valid until the next frame is read.
type frame struct {
	kind    byte
	id      string
	hash    string
	content string
	meta    map[string]string
	dim     int
	vec     []byte // dim little-endian float32 values
}

// appendRecordFrame appends the frame of one record to buf.
func appendRecordFrame(buf []byte, id, hash, content string, meta map[string]string, vec []float32) []byte {
	start := len(buf)
	buf = append(buf, frameMagic[:]...)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0) // length and checksum, set below
	buf = append(buf, kindRecord)
	buf = appendString(buf, id)
	buf = appendString(buf, hash)
	buf = appendString(buf, content)
	buf = binary.AppendUvarint(buf, uint64(len(meta)))
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		buf = appendString(buf, k)
		buf = appendString(buf, meta[k])
	}
	buf = binary.AppendUvarint(buf, uint64(len(vec)))
	for _, v := range vec {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
	}
	return sealFrame(buf, start)
}

// frameLen returns the length of the frame appendRecordFrame makes of a
// record, header included, without building it.
func frameLen(id, content string, meta map[string]string, dim int) int {
	n := frameHeaderLen + 1 + stringLen(id) + hashLen + stringLen(content)
	n += uvarintLen(len(meta))
	for k, v := range meta {
		n += stringLen(k) + stringLen(v)
	}
	return n + uvarintLen(dim) + 4*dim
}

// hashLen is the encoded length of a record's hash: a hex SHA-256
// (HashRecord) and its one-byte length.
const hashLen = 1 + 64

func stringLen(s string) int { return uvarintLen(len(s)) + len(s) }

func uvarintLen(n int) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], uint64(n))
}

// appendTombstoneFrame appends the frame that deletes id to buf.
func appendTombstoneFrame(buf []byte, id string) []byte {
	start := len(buf)
	buf = append(buf, frameMagic[:]...)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0)
	buf = append(buf, kindTombstone)
	buf = appendString(buf, id)
	return sealFrame(buf, start)
}

// sealFrame writes the payload length and the checksum of the frame that
// starts at buf[start:]. The checksum covers the length and the payload.
func sealFrame(buf []byte, start int) []byte {
	n := len(buf) - start - frameHeaderLen
	if n > maxPayloadLen {
		panic("vectorstore: record too large for one frame")
	}
	binary.LittleEndian.PutUint32(buf[start+4:], uint32(n))
	binary.LittleEndian.PutUint32(buf[start+8:], frameChecksum(buf[start+4:start+8], buf[start+frameHeaderLen:]))
	return buf
}

func frameChecksum(length, payload []byte) uint32 {
	return crc32.Update(crc32.Checksum(length, castagnoli), castagnoli, payload)
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// payloadReader decodes the fields of a payload; the first error sticks.
// Fields are returned as offsets into the payload.
type payloadReader struct {
	p   []byte
	pos int
	err error
}

func (r *payloadReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.p[r.pos:])
	if n <= 0 {
		r.err = fmt.Errorf("bad %s length", what)
		return 0
	}
	r.pos += n
	return v
}

// field returns the bounds of the next length-prefixed field.
func (r *payloadReader) field(what string) span {
	n := r.uvarint(what)
	if r.err != nil {
		return span{}
	}
	if n > uint64(len(r.p)-r.pos) {
		r.err = fmt.Errorf("%s runs past the end of its frame", what)
		return span{}
	}
	sp := span{r.pos, r.pos + int(n)}
	r.pos = sp.end
	return sp
}

type span struct{ start, end int }

// decodePayload decodes a payload whose checksum has been verified. An
// error here means a frame that was written wrongly or by a newer version:
// it is reported as corruption, never as a torn write.
//
// The strings of a record share one allocation: a string copy of the
// payload up to its vector.
func decodePayload(p []byte) (frame, error) {
	var f frame
	if len(p) == 0 {
		return f, errors.New("empty frame")
	}
	f.kind = p[0]
	switch f.kind {
	case kindRecord, kindTombstone:
	default:
		return f, fmt.Errorf("unknown frame kind %d", f.kind)
	}
	r := payloadReader{p: p, pos: 1}
	id := r.field("id")
	if r.err == nil && id.start == id.end {
		r.err = errors.New("empty record id")
	}
	if f.kind == kindTombstone {
		if r.err == nil && r.pos != len(p) {
			r.err = errors.New("trailing bytes in tombstone")
		}
		if r.err == nil {
			f.id = string(p[id.start:id.end])
		}
		return f, r.err
	}
	hash := r.field("hash")
	content := r.field("content")
	nmeta := r.uvarint("metadata")
	if r.err == nil && nmeta > uint64(len(p)-r.pos)/2 {
		r.err = errors.New("metadata count runs past the end of its frame")
	}
	var meta []span
	if r.err == nil && nmeta > 0 {
		meta = make([]span, 0, 2*nmeta)
		for range nmeta {
			meta = append(meta, r.field("metadata key"), r.field("metadata value"))
		}
	}
	fields := r.pos
	dim := r.uvarint("vector")
	if r.err != nil {
		return f, r.err
	}
	rest := uint64(len(p) - r.pos)
	if dim == 0 || dim > rest/4 || rest != 4*dim {
		return f, errors.New("vector length does not match its frame")
	}
	block := string(p[:fields])
	str := func(sp span) string { return block[sp.start:sp.end] }
	f.id, f.hash, f.content = str(id), str(hash), str(content)
	if len(meta) > 0 {
		f.meta = make(map[string]string, len(meta)/2)
		for i := 0; i < len(meta); i += 2 {
			f.meta[str(meta[i])] = str(meta[i+1])
		}
	}
	f.dim = int(dim)
	f.vec = p[r.pos:]
	return f, nil
}

// decodeVector decodes the little-endian float32 values of b into dst.
func decodeVector(dst []float32, b []byte) {
	_ = b[4*len(dst)-1]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// logReader reads a log through a buffer of a few MiB, so that a scan
// costs a read system call per chunk rather than two per frame.
type logReader struct {
	ra   io.ReaderAt
	size int64
	base int64  // file offset of buf[0]
	buf  []byte // bytes base to base+len(buf) of the file
}

const readChunk = 4 << 20

func newLogReader(ra io.ReaderAt, size int64) *logReader {
	return &logReader{ra: ra, size: size}
}

// at returns bytes off to off+n of the file, valid until the next call.
func (r *logReader) at(off, n int64) ([]byte, error) {
	if off >= r.base && off+n <= r.base+int64(len(r.buf)) {
		return r.buf[off-r.base : off-r.base+n], nil
	}
	if r.size-off < n {
		return nil, errShort
	}
	want := min(max(n, readChunk), r.size-off)
	if int64(cap(r.buf)) < want {
		r.buf = make([]byte, want)
	}
	r.buf = r.buf[:want]
	r.base = off
	if m, err := r.ra.ReadAt(r.buf, off); m < len(r.buf) {
		r.buf = r.buf[:0]
		return nil, readErr(err)
	}
	return r.buf[:n], nil
}

// frameAt reads and verifies the frame at off. It returns the decoded
// frame and its total length, or an error saying why no valid frame starts
// there.
func (r *logReader) frameAt(off int64) (frame, int64, error) {
	hdr, err := r.at(off, frameHeaderLen)
	if err != nil {
		return frame{}, 0, err
	}
	if !bytes.Equal(hdr[:4], frameMagic[:]) {
		return frame{}, 0, errBadMagic
	}
	n := int64(binary.LittleEndian.Uint32(hdr[4:]))
	want := binary.LittleEndian.Uint32(hdr[8:])
	if n > maxPayloadLen {
		return frame{}, 0, errBadLength
	}
	whole, err := r.at(off, frameHeaderLen+n)
	if err != nil {
		return frame{}, 0, err
	}
	if frameChecksum(whole[4:8], whole[frameHeaderLen:]) != want {
		return frame{}, 0, errChecksum
	}
	f, err := decodePayload(whole[frameHeaderLen:])
	if err != nil {
		// The checksum is right, so the length can be trusted.
		return frame{}, frameHeaderLen + n, &payloadError{err}
	}
	return f, frameHeaderLen + n, nil
}

// Reasons a frame is invalid. errShort, errBadMagic, errBadLength and
// errChecksum can all be left by an interrupted append; a payloadError
// cannot (its checksum is right) and is always corruption.
var (
	errShort     = errors.New("frame cut short")
	errBadMagic  = errors.New("no frame marker")
	errBadLength = errors.New("impossible frame length")
	errChecksum  = errors.New("checksum mismatch")
)

type payloadError struct{ err error }

func (e *payloadError) Error() string { return e.err.Error() }

// ioError wraps a read error that is not about the content of the file.
type ioError struct{ err error }

func (e *ioError) Error() string { return e.err.Error() }
func (e *ioError) Unwrap() error { return e.err }

func readErr(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		// The file shrank under us (a writer truncating its torn tail).
		return errShort
	}
	return &ioError{err}
}

// nextFrame returns the offset of the first valid frame that starts after
// from, or -1 when there is none before size.
func nextFrame(r *logReader, from int64) (int64, error) {
	ra, size := r.ra, r.size
	const chunk = 1 << 16
	window := make([]byte, chunk+len(frameMagic)-1)
	for base := from; base < size; base += chunk {
		n := min(int64(len(window)), size-base)
		if m, err := ra.ReadAt(window[:n], base); m < int(n) {
			if err := readErr(err); err != errShort {
				return -1, err
			}
			return -1, nil
		}
		w := window[:n]
		for i := 0; ; {
			j := bytes.Index(w[i:], frameMagic[:])
			if j < 0 || int64(i+j) >= chunk {
				break
			}
			off := base + int64(i+j)
			_, _, err := r.frameAt(off)
			var pe *payloadError
			if err == nil || errors.As(err, &pe) {
				// A frame with the right checksum: data, not debris.
				return off, nil
			}
			var ioe *ioError
			if errors.As(err, &ioe) {
				return -1, err
			}
			i += j + 1
		}
	}
	return -1, nil
}

// scanMode says what scanLog does at an invalid frame.
type scanMode int

const (
	// scanStrict stops at the first invalid frame. If a valid frame
	// follows it, the log is corrupt; otherwise it is a torn tail.
	scanStrict scanMode = iota
	// scanRepair skips invalid stretches and goes on with the next valid
	// frame.
	scanRepair
)

// scanResult says how far a scan got.
type scanResult struct {
	end     int64  // end of the last valid frame read in order
	torn    bool   // bytes after end were ignored as an interrupted write
	bad     int64  // scanStrict: offset of the corruption, -1 if none
	reason  string // why the frame at bad is invalid
	skipped int64  // scanRepair: bytes skipped as damaged
}

// scanLog reads the frames of a record log of the given size from offset
// from (the end of the header, or the end of what a snapshot covers),
// calling apply for each valid one in order, with its offset and length. apply may reject a frame (a record
// whose vector length differs from the store's) by returning a
// *payloadError, which counts as corruption. Other errors from apply, and
// read errors, stop the scan and are returned.
func scanLog(ra io.ReaderAt, from, size int64, mode scanMode, apply func(f *frame, off, length int64) error) (scanResult, error) {
	res := scanResult{end: min(from, size), bad: -1}
	r := newLogReader(ra, size)
	for off := from; off < size; {
		f, n, err := r.frameAt(off)
		if err == nil {
			err = apply(&f, off, n)
		}
		if err == nil {
			off += n
			res.end = off
			continue
		}
		var ioe *ioError
		var pe *payloadError
		switch {
		case errors.As(err, &ioe):
			return res, err
		case errors.As(err, &pe):
			if mode == scanStrict {
				res.bad, res.reason = off, err.Error()
				return res, nil
			}
			res.skipped += n
			off += n
			continue
		case isFrameError(err):
		default:
			return res, err
		}
		next, err2 := nextFrame(r, off+1)
		if err2 != nil {
			return res, err2
		}
		if next < 0 {
			if mode == scanRepair {
				res.skipped += size - off
			}
			res.torn = true
			return res, nil
		}
		if mode == scanStrict {
			res.bad, res.reason = off, err.Error()
			return res, nil
		}
		res.skipped += next - off
		off = next
	}
	return res, nil
}

func isFrameError(err error) bool {
	return err == errShort || err == errBadMagic || err == errBadLength || err == errChecksum
}
