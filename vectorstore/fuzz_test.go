package vectorstore

import (
	"bytes"
	"context"
	"maps"
	"math"
	"testing"
)

// logSeed returns a small valid log: records, an update, a tombstone.
func logSeed() []byte {
	recs := makeRecords(30, "s", 4, 3)
	buf := append([]byte(nil), logHeader...)
	for _, r := range recs {
		buf = appendRecordFrame(buf, r.ID, HashRecord(r.Content, r.Metadata), r.Content, r.Metadata, r.Embedding)
	}
	buf = appendTombstoneFrame(buf, recs[1].ID)
	r := recs[2]
	r.Content = "updated"
	buf = appendRecordFrame(buf, r.ID, HashRecord(r.Content, r.Metadata), r.Content, nil, r.Embedding)
	return buf
}

// sameTable reports whether two tables hold the same records.
func sameTable(a, b *table) bool {
	if len(a.mem) != len(b.mem) || (len(a.mem) > 0 && a.dim != b.dim) {
		return false
	}
	for i := range a.mem {
		ra := &a.mem[i]
		j, ok := b.find(ra.id)
		if !ok {
			return false
		}
		rb := &b.mem[j]
		ca, ma, erra := a.record(i)
		cb, mb, errb := b.record(j)
		if erra != nil || errb != nil || ra.hash != rb.hash || ca != cb || !maps.Equal(ma, mb) {
			return false
		}
		va, vb := a.vec(i), b.vec(j)
		for k := range va {
			if math.Float32bits(va[k]) != math.Float32bits(vb[k]) {
				return false
			}
		}
	}
	return true
}

// FuzzLog feeds arbitrary bytes to the log decoder as a whole log file.
// Whatever the bytes, decoding must not panic; a log without damage (up
// to a torn tail) must decode the same in strict and in repair mode; and
// whatever repair keeps must encode to a log that decodes back to it.
func FuzzLog(f *testing.F) {
	seed := logSeed()
	f.Add(seed)
	f.Add(seed[:len(seed)-5])                 // torn tail
	f.Add(append(seed[:40:40], seed[60:]...)) // a hole in the first frame
	f.Add(append(bytes.Clone(seed), seed...)) // a second header in the middle
	f.Add(logHeader)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		ra, size := bytes.NewReader(data), int64(len(data))
		strict, res, err := decodeTable(ra, size, 0, scanStrict)
		if err != nil {
			t.Fatalf("strict decode: %v", err)
		}
		repaired, rres, err := decodeTable(ra, size, 0, scanRepair)
		if err != nil {
			t.Fatalf("repair decode: %v", err)
		}
		if res.end > size || rres.end > size {
			t.Fatalf("decoded past the end: %d, %d > %d", res.end, rres.end, size)
		}
		if res.bad < 0 && !sameTable(strict, repaired) {
			t.Fatalf("an undamaged log decodes to %d records strictly, %d in repair mode", len(strict.mem), len(repaired.mem))
		}
		var buf bytes.Buffer
		n, _, err := encodeTable(context.Background(), &buf, repaired)
		if err != nil || n != int64(buf.Len()) {
			t.Fatalf("encode: %d bytes, %v (wrote %d)", n, err, buf.Len())
		}
		again, ares, err := decodeTable(bytes.NewReader(buf.Bytes()), n, 0, scanStrict)
		if err != nil || ares.bad >= 0 || ares.torn || ares.end != n {
			t.Fatalf("re-encoded log: %v, %+v", err, ares)
		}
		if !sameTable(again, repaired) {
			t.Fatalf("re-encoded log decodes to other records")
		}
	})
}
