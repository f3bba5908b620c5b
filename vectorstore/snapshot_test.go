package vectorstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/papermap/papermap/internal/format"
)

// snapshotFixture builds a store with adds, a replacement and deletes, and
// returns the records it holds (by ID) once closed.
func snapshotFixture(t *testing.T, dir string, dim int) map[string]Record {
	t.Helper()
	s := openStore(t, dir, dim)
	recs := makeRecords(31, "s", 700, dim)
	mustAdd(t, s, recs[:400])
	mustAdd(t, s, recs[400:])
	changed := recs[5]
	changed.Content += " (revised)"
	changed.Embedding = slices.Clone(recs[6].Embedding)
	mustAdd(t, s, []Record{changed})
	if err := s.Delete(context.Background(), recs[0].ID, recs[699].ID, recs[350].ID); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	want := make(map[string]Record)
	for _, r := range recs {
		want[r.ID] = r
	}
	want[changed.ID] = changed
	delete(want, recs[0].ID)
	delete(want, recs[699].ID)
	delete(want, recs[350].ID)
	return want
}

// checkHolds fails unless s holds exactly want, and a query for each of a
// few vectors finds that record first.
func checkHolds(t *testing.T, s *Store, want map[string]Record) {
	t.Helper()
	if s.Len() != len(want) {
		t.Fatalf("%d records, want %d", s.Len(), len(want))
	}
	for id, w := range want {
		got, ok := s.Get(id)
		if !ok {
			t.Fatalf("%s missing", id)
		}
		if d := sameRecord(got, w); d != "" {
			t.Fatal(d)
		}
	}
	ids, vecs, dim := s.Matrix()
	for k, id := range ids {
		if !slices.Equal(vecs[k*dim:(k+1)*dim], want[id].Embedding) {
			t.Fatalf("Matrix row of %s differs from its record", id)
		}
	}
	n := 0
	for id, w := range want {
		if n++; n > 20 {
			break
		}
		hits, err := s.Query(context.Background(), w.Embedding, 1, QueryOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// s-000005 was given the vector of s-000006: either may come
		// first, with the same score.
		if hits[0].ID != id && hits[0].Score < 0.9999 {
			t.Fatalf("query by the vector of %s finds %v", id, hits)
		}
	}
	hits, err := s.Query(context.Background(), want["s-000010"].Embedding, 5, QueryOptions{Where: Filter{"venue": "chi"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if want[h.ID].Metadata["venue"] != "chi" {
			t.Fatalf("filtered query returns %s of venue %q", h.ID, want[h.ID].Metadata["venue"])
		}
	}
}

// noticeLog collects notices.
type noticeLog struct {
	mu   sync.Mutex
	msgs []string
}

func (n *noticeLog) add(msg string) {
	n.mu.Lock()
	n.msgs = append(n.msgs, msg)
	n.mu.Unlock()
}

func (n *noticeLog) String() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.msgs, "\n")
}

func TestSnapshotReopen(t *testing.T) {
	ctx := context.Background()
	const dim = 24
	dir := t.TempDir()
	want := snapshotFixture(t, dir, dim)
	if _, err := os.Stat(filepath.Join(dir, snapName)); err != nil {
		t.Fatalf("no snapshot after Close: %v", err)
	}
	for _, ro := range []bool{true, false} {
		var notes noticeLog
		s, err := Open(ctx, dir, Options{ReadOnly: ro, Notice: notes.add})
		if err != nil {
			t.Fatal(err)
		}
		if !s.fromSnap {
			t.Errorf("read-only %v: the snapshot was not used", ro)
		}
		if !s.t.mapped() {
			t.Errorf("read-only %v: the matrix is not the mapped snapshot", ro)
		}
		checkHolds(t, s, want)
		// The accessor an index over the rows uses.
		s.mu.RLock()
		for i := range s.rows() {
			v, err := s.vector(i)
			r, rerr := s.t.row(i)
			if err != nil || rerr != nil || !slices.Equal(v, want[r.id].Embedding) {
				t.Fatalf("vector(%d) = %v, %v, %v; want the vector of %s", i, v, err, rerr, r.id)
			}
		}
		s.mu.RUnlock()
		if fs := s.Fields(); !slices.Equal(fs, []string{"venue", "year"}) {
			t.Errorf("Fields = %v", fs)
		}
		mustClose(t, s)
		if notes.String() != "" {
			t.Errorf("notices on a sound store: %s", notes.String())
		}
	}
}

// TestSnapshotMigration opens a store as an older papermap left it (the
// log and the manifest, no snapshot): readers read the log as before and
// write nothing; the first writer writes the snapshot, which later opens
// use.
func TestSnapshotMigration(t *testing.T) {
	ctx := context.Background()
	const dim = 16
	dir := t.TempDir()
	want := snapshotFixture(t, dir, dim)
	snap := filepath.Join(dir, snapName)
	if err := os.Remove(snap); err != nil {
		t.Fatal(err)
	}
	var notes noticeLog
	r, err := Open(ctx, dir, Options{ReadOnly: true, Notice: notes.add})
	if err != nil {
		t.Fatal(err)
	}
	if r.fromSnap {
		t.Fatal("a store without snapshot opened from one")
	}
	checkHolds(t, r, want)
	mustClose(t, r)
	if _, err := os.Stat(snap); err == nil {
		t.Fatal("a reader wrote the snapshot")
	}
	if notes.String() != "" {
		t.Errorf("notices on a v1 store: %s", notes.String())
	}

	// The first writer is told that it migrates the store.
	w, err := Open(ctx, dir, Options{IndexThreshold: -1, Notice: notes.add})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetEmbedder(testInfo(dim)); err != nil {
		t.Fatal(err)
	}
	if w.fromSnap {
		t.Fatal("snapshot used before it was written")
	}
	if got, n := notes.String(), format.Int(len(want)); !strings.Contains(got, "has no records.idx") || !strings.Contains(got, n+" records") {
		t.Errorf("the first writer's notice is %q, want one saying it writes records.idx for %s records", got, n)
	}
	extra := makeRecords(32, "m", 3, dim)
	mustAdd(t, w, extra)
	for _, r := range extra {
		want[r.ID] = r
	}
	mustClose(t, w)
	if _, err := os.Stat(snap); err != nil {
		t.Fatalf("first write did not migrate: %v", err)
	}
	r, err = Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.fromSnap {
		t.Error("the migrated store did not open from its snapshot")
	}
	checkHolds(t, r, want)
	mustClose(t, r)
}

// TestSnapshotNeverTrusted damages or outdates the snapshot in every way
// we know, and checks that the store still answers exactly what the log
// holds, with a notice where the snapshot was not used or partly read
// again, and that a writer's Close leaves a sound snapshot again.
func TestSnapshotNeverTrusted(t *testing.T) {
	ctx := context.Background()
	const dim = 24
	base := t.TempDir()
	want := snapshotFixture(t, base, dim)
	good, err := os.ReadFile(filepath.Join(base, snapName))
	if err != nil {
		t.Fatal(err)
	}
	hdr := func(off int) int { return off }
	vecOff := len(good) - len(want)*dim*4
	lay := snapLayout(t, good)
	v1 := snapV1(t, good)
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string) // changes the store copy
		used   bool                           // Open still uses the snapshot
		notice string                         // part of the notice expected ("" none)
		// writer is the part of a writer's notice expected, when it
		// differs from notice.
		writer string
		// readerUsed: a reader uses the snapshot though a writer does
		// not (a damaged chunk of the row index: the reader reads the
		// rows from the log when it meets it, the writer reads the log).
		readerUsed bool
	}{
		{"missing", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, snapName)) }, false, "", "has no records.idx", false},
		{"empty", func(t *testing.T, dir string) { writeSnap(t, dir, nil) }, false, "cut short", "", false},
		{"cut short", func(t *testing.T, dir string) { writeSnap(t, dir, good[:len(good)-5]) }, false, "bytes, not", "", false},
		{"header byte", func(t *testing.T, dir string) { writeSnap(t, dir, flip(good, hdr(26))) }, false, "header is damaged", "", false},
		{"directory byte", func(t *testing.T, dir string) { writeSnap(t, dir, flip(good, lay.dir+10)) }, false, "directory fails its checksum", "", false},
		{"directory checksum", func(t *testing.T, dir string) { writeSnap(t, dir, flip(good, hdr(64))) }, false, "header is damaged", "", false},
		{"first index byte", func(t *testing.T, dir string) { writeSnap(t, dir, flip(good, lay.entries)) }, false, "rows 0 to 255 of its row index fail their checksum", "", true},
		{"index byte of the last chunk", func(t *testing.T, dir string) { writeSnap(t, dir, flip(good, lay.pre-3)) }, false, "rows 512 to 696 of its row index fail their checksum", "", true},
		{"directory out of step", func(t *testing.T, dir string) { writeSnap(t, dir, moveFence(t, good, lay)) }, false, "do not match its directory", "", true},
		{"version 1", func(t *testing.T, dir string) { writeSnap(t, dir, v1) }, true, "", "is of an earlier papermap (version 1)", false},
		{"version 1 index byte", func(t *testing.T, dir string) { writeSnap(t, dir, flip(v1, 64+4*countChunks(v1)+10)) }, false, "row index fails its checksum", "", false},
		{"version 1 header byte", func(t *testing.T, dir string) { writeSnap(t, dir, flip(v1, 30)) }, false, "header is damaged", "", false},
		{"vector byte", func(t *testing.T, dir string) { writeSnap(t, dir, flip(good, vecOff+4*dim*300+7)) }, true, "fail their checksum", "", false},
		{"last vector byte", func(t *testing.T, dir string) { writeSnap(t, dir, flip(good, len(good)-1)) }, true, "fail their checksum", "", false},
		{"stale: records added since", func(t *testing.T, dir string) {
			// A writer that was killed before its Close: the log goes on
			// past what the snapshot covers.
			s := openStore(t, dir, dim)
			mustAdd(t, s, makeRecords(33, "k", 5, dim))
			changed := want["s-000100"]
			changed.Content = "rewritten"
			mustAdd(t, s, []Record{changed})
			if err := s.Delete(ctx, "s-000200"); err != nil {
				t.Fatal(err)
			}
			s.release() // as a kill would: no Close, no new snapshot
			writeSnap(t, dir, good)
		}, true, "", "", false},
		{"from another log", func(t *testing.T, dir string) {
			s := openStore(t, dir, dim)
			if err := s.Compact(ctx); err != nil {
				t.Fatal(err)
			}
			// Longer than the old log again, so that only the stamp of
			// the log's bytes tells the logs apart.
			mustAdd(t, s, makeRecords(34, "x", 20, dim))
			s.release()
			writeSnap(t, dir, good) // the old snapshot put back over the new log
		}, false, "another log", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := copyDir(t, base)
			c.damage(t, dir)
			expect := want
			if c.name == "from another log" {
				expect = maps.Clone(want)
				for _, r := range makeRecords(34, "x", 20, dim) {
					expect[r.ID] = r
				}
			}
			if strings.HasPrefix(c.name, "stale") {
				expect = maps.Clone(want)
				for _, r := range makeRecords(33, "k", 5, dim) {
					expect[r.ID] = r
				}
				r := expect["s-000100"]
				r.Content = "rewritten"
				expect["s-000100"] = r
				delete(expect, "s-000200")
			}
			for _, ro := range []bool{true, false} {
				var notes noticeLog
				s, err := Open(ctx, dir, Options{ReadOnly: ro, Notice: notes.add})
				if err != nil {
					t.Fatalf("read-only %v: %v", ro, err)
				}
				if used := c.used || ro && c.readerUsed; s.fromSnap != used {
					t.Errorf("read-only %v: snapshot used %v, want %v", ro, s.fromSnap, used)
				}
				checkHolds(t, s, expect)
				mustClose(t, s)
				notice := c.notice
				if !ro && c.writer != "" {
					notice = c.writer
				}
				switch got := notes.String(); {
				case notice == "" && got != "":
					t.Errorf("read-only %v: notice %q", ro, got)
				case !strings.Contains(got, notice):
					t.Errorf("read-only %v: notice %q, want one saying %q", ro, got, notice)
				}
			}
			// The writer's Close wrote a sound snapshot.
			var notes noticeLog
			s, err := Open(ctx, dir, Options{ReadOnly: true, Notice: notes.add})
			if err != nil {
				t.Fatal(err)
			}
			if !s.fromSnap {
				t.Error("no usable snapshot after a writer's Close")
			}
			checkHolds(t, s, expect)
			mustClose(t, s)
			if notes.String() != "" {
				t.Errorf("notices after the rewrite: %s", notes.String())
			}
			if b, err := os.ReadFile(filepath.Join(dir, snapName)); err != nil || !bytes.HasPrefix(b, snapMagic) {
				t.Errorf("the writer's snapshot is not of version %d: %.16q, %v", snapVersion, b, err)
			}
		})
	}
}

func writeSnap(t *testing.T, dir string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, snapName), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func flip(b []byte, at int) []byte {
	c := slices.Clone(b)
	c[at] ^= 0x40
	return c
}

func countChunks(snap []byte) int { return int(binary.LittleEndian.Uint32(snap[44:])) }

// snapParts is where the parts of a version 2 snapshot start.
type snapParts struct {
	dir     int // the directory
	entries int // the row index's entries
	pre     int // the end of the entries
	vecs    int // the matrix
	offs    []int
	crcs    []int // offsets of the chunks' checksums in the directory
}

func snapLayout(t testing.TB, b []byte) snapParts {
	t.Helper()
	if !bytes.HasPrefix(b, snapMagic) {
		t.Fatalf("not a snapshot of version %d: %.16q", snapVersion, b)
	}
	rows := int(binary.LittleEndian.Uint64(b[24:]))
	indexRows := int(binary.LittleEndian.Uint32(b[56:]))
	var p snapParts
	p.dir = snapHeaderLen + 4*countChunks(b)
	p.entries = p.dir + int(binary.LittleEndian.Uint32(b[60:]))
	p.pre = p.entries + int(binary.LittleEndian.Uint64(b[48:]))
	p.vecs = p.pre + (snapAlign-p.pre%snapAlign)%snapAlign
	d := p.dir
	for range (rows + indexRows - 1) / indexRows {
		p.offs = append(p.offs, p.entries+int(binary.LittleEndian.Uint64(b[d:])))
		p.crcs = append(p.crcs, d+8)
		l, k := binary.Uvarint(b[d+12:])
		d += 12 + k + int(l)
	}
	p.offs = append(p.offs, p.pre)
	return p
}

// snapV1 rewrites a version 2 snapshot as papermap wrote version 1: a
// 64-byte header with the row index's checksum, no directory.
func snapV1(t *testing.T, b []byte) []byte {
	t.Helper()
	p := snapLayout(t, b)
	entries := b[p.entries:p.pre]
	h := make([]byte, snapHeaderLenV1)
	copy(h, snapMagicV1)
	copy(h[16:56], b[16:56])
	binary.LittleEndian.PutUint32(h[56:], crc32.Checksum(entries, castagnoli))
	binary.LittleEndian.PutUint32(h[60:], crc32.Checksum(h[:60], castagnoli))
	h = append(h, b[snapHeaderLen:p.dir]...) // the matrix's chunk checksums
	h = append(h, entries...)
	h = append(h, make([]byte, (snapAlign-len(h)%snapAlign)%snapAlign)...)
	return append(h, b[p.vecs:]...)
}

// moveFence changes the first ID of chunk 1 of the row index in the
// directory (its last byte one less, so the directory stays in order) and
// makes the directory's and the header's checksums right: every chunk
// passes its checksum, but chunk 1 does not start with the ID the
// directory says.
func moveFence(t *testing.T, b []byte, p snapParts) []byte {
	t.Helper()
	c := slices.Clone(b)
	d := p.crcs[1] + 4
	l, k := binary.Uvarint(c[d:])
	c[d+k+int(l)-1]--
	binary.LittleEndian.PutUint32(c[64:], crc32.Checksum(c[snapHeaderLen:p.entries], castagnoli))
	binary.LittleEndian.PutUint32(c[68:], crc32.Checksum(c[:68], castagnoli))
	return c
}

// TestSnapshotLogDamage flips bytes of a record's content in the log of a
// store with a snapshot. A small log is checked whole by Open, which
// reports the damage as without a snapshot; above verifyLogMax, Open
// trusts the snapshot's checksummed vectors and the damage is found when
// the record is read: Get reports it missing, with a notice naming the
// log and the way out, and the other records and queries are unaffected.
func TestSnapshotLogDamage(t *testing.T) {
	ctx := context.Background()
	const dim = 16
	base := t.TempDir()
	want := snapshotFixture(t, base, dim)
	s, err := Open(ctx, base, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	victim := "s-000123"
	vi, _, err := s.t.locate(victim)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.t.row(vi)
	if err != nil {
		t.Fatal(err)
	}
	off := r.off
	mustClose(t, s)
	dir := copyDir(t, base)
	path := filepath.Join(dir, logName)
	log, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Inside the frame, past its header: the content.
	if err := os.WriteFile(path, flip(log, int(off)+frameHeaderLen+20), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, ro := range []bool{true, false} {
		if _, err := Open(ctx, dir, Options{ReadOnly: ro}); err == nil || !strings.Contains(err.Error(), "is corrupt") {
			t.Errorf("small log, read-only %v: Open = %v, want the damage reported", ro, err)
		}
	}

	defer func(v int64) { verifyLogMax = v }(verifyLogMax)
	verifyLogMax = 0
	var notes noticeLog
	s, err = Open(ctx, dir, Options{ReadOnly: true, Notice: notes.add})
	if err != nil {
		t.Fatalf("large log: %v", err)
	}
	defer s.Close()
	if !s.fromSnap {
		t.Fatal("snapshot not used")
	}
	if _, ok := s.Get(victim); ok {
		t.Error("Get returned the damaged record")
	}
	for _, w := range []string{"records.log", "is corrupt", victim, "papermap repair"} {
		if !strings.Contains(notes.String(), w) {
			t.Errorf("notice %q lacks %q", notes.String(), w)
		}
	}
	delete(want, victim)
	for id, w := range want {
		got, ok := s.Get(id)
		if !ok {
			t.Fatalf("%s missing", id)
		}
		if d := sameRecord(got, w); d != "" {
			t.Fatal(d)
		}
	}
	hits, err := s.Query(ctx, want["s-000124"].Embedding, 1, QueryOptions{})
	if err != nil || hits[0].ID != "s-000124" {
		t.Errorf("query: %v, %v", hits, err)
	}
}
