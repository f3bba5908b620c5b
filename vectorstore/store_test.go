package vectorstore

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/papermap/papermap/embed"
)

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		n, batch    int
		dim         int
		readOnly    bool
		withoutMeta bool
	}{
		{name: "one record", n: 1, batch: 1, dim: 8},
		{name: "many batches reopened by a writer", n: 1000, batch: 100, dim: 32},
		{name: "many batches reopened by a reader", n: 1000, batch: 100, dim: 32, readOnly: true},
		{name: "one batch without metadata", n: 300, batch: 300, dim: 384, withoutMeta: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			recs := makeRecords(1, "p", tc.n, tc.dim)
			if tc.withoutMeta {
				for i := range recs {
					recs[i].Metadata = nil
				}
			}
			s := openStore(t, dir, tc.dim)
			for lo := 0; lo < tc.n; lo += tc.batch {
				st := mustAdd(t, s, recs[lo:min(lo+tc.batch, tc.n)])
				if want := min(tc.batch, tc.n-lo); st != (AddStats{Added: want}) {
					t.Fatalf("Add stats %+v, want %d added", st, want)
				}
			}
			mustClose(t, s)

			s, err := Open(ctx, dir, Options{ReadOnly: tc.readOnly})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Len() != tc.n {
				t.Fatalf("Len after reopening = %d, want %d", s.Len(), tc.n)
			}
			if got := s.Collection().Count(); got != tc.n {
				t.Errorf("collection has %d documents, want %d", got, tc.n)
			}
			m, ok := s.Manifest()
			if !ok || m.Embedder != testInfo(tc.dim) || m.Schema != schemaVersion {
				t.Errorf("Manifest() = %+v, %v", m, ok)
			}
			for _, want := range recs {
				got, ok := s.Get(want.ID)
				if !ok {
					t.Fatalf("Get(%s) found nothing", want.ID)
				}
				if diff := sameRecord(got, want); diff != "" {
					t.Fatal(diff)
				}
				if h, _ := s.Lookup(want.ID); h != HashRecord(want.Content, want.Metadata) {
					t.Fatalf("Lookup(%s) = %s, want HashRecord", want.ID, h)
				}
				doc, err := s.Collection().GetByID(ctx, want.ID)
				if err != nil || doc.Content != want.Content {
					t.Fatalf("collection GetByID(%s) = %q, %v", want.ID, doc.Content, err)
				}
			}
			ids, vecs, dim := s.Matrix()
			if dim != tc.dim || len(ids) != tc.n || len(vecs) != tc.n*tc.dim || !slices.IsSorted(ids) {
				t.Fatalf("Matrix: %d ids (sorted %v), %d values, dim %d", len(ids), slices.IsSorted(ids), len(vecs), dim)
			}
			// makeRecords numbers IDs in sorted order.
			for i, id := range ids {
				if id != recs[i].ID || !slices.Equal(vecs[i*dim:(i+1)*dim], recs[i].Embedding) {
					t.Fatalf("Matrix row %d is %s, want %s with its embedding", i, id, recs[i].ID)
				}
			}
			if !slices.Equal(s.IDs(), ids) {
				t.Errorf("IDs() differs from Matrix ids")
			}
		})
	}
}

func TestAddStats(t *testing.T) {
	ctx := context.Background()
	const dim = 16
	base := makeRecords(2, "p", 10, dim)
	changed := slices.Clone(base[:3])
	for i := range changed {
		changed[i].Content += " (revised)"
	}
	newMeta := slices.Clone(base[3:4])
	newMeta[0].Metadata = map[string]string{"year": "1999"}
	newVecOnly := slices.Clone(base[4:5])
	newVecOnly[0].Embedding = makeRecords(3, "x", 1, dim)[0].Embedding
	for _, tc := range []struct {
		name       string
		batch      []Record
		want       AddStats
		wantGrowth bool   // the log grows
		wantGet    Record // a record as Get must then return it
	}{
		{name: "same records again", batch: base, want: AddStats{Unchanged: 10}, wantGet: base[0]},
		{name: "changed content", batch: changed, want: AddStats{Updated: 3}, wantGrowth: true, wantGet: changed[1]},
		{name: "changed metadata", batch: newMeta, want: AddStats{Updated: 1}, wantGrowth: true, wantGet: newMeta[0]},
		{name: "new embedding, same content, is unchanged", batch: newVecOnly, want: AddStats{Unchanged: 1}, wantGet: base[4]},
		{name: "an ID twice in a batch, the last wins", batch: []Record{base[5], changed[0], base[0]}, want: AddStats{Unchanged: 1, Updated: 2}, wantGrowth: true, wantGet: base[0]},
		{name: "new and known", batch: append(makeRecords(4, "q", 2, dim), base[9]), want: AddStats{Added: 2, Unchanged: 1}, wantGrowth: true, wantGet: base[9]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, dim)
			mustAdd(t, s, base)
			before := logSize(t, dir)
			st := mustAdd(t, s, tc.batch)
			if st != tc.want {
				t.Errorf("stats %+v, want %+v", st, tc.want)
			}
			if grew := logSize(t, dir) > before; grew != tc.wantGrowth {
				t.Errorf("log grew: %v, want %v", grew, tc.wantGrowth)
			}
			wantLen := 10 + tc.want.Added
			check := func(s *Store) {
				t.Helper()
				if s.Len() != wantLen {
					t.Errorf("Len = %d, want %d", s.Len(), wantLen)
				}
				got, _ := s.Get(tc.wantGet.ID)
				if diff := sameRecord(got, tc.wantGet); diff != "" {
					t.Error(diff)
				}
			}
			check(s)
			mustClose(t, s)
			r, err := Open(ctx, dir, Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			check(r) // the superseded frames lost on reopening too
		})
	}
}

func TestAddRejects(t *testing.T) {
	const dim = 8
	good := makeRecords(5, "ok", 3, dim)
	unit := func(mod func(v []float32)) []float32 {
		v := slices.Clone(good[0].Embedding)
		mod(v)
		return v
	}
	for _, tc := range []struct {
		name    string
		bad     Record
		wantMsg string
	}{
		{"empty ID", Record{Embedding: good[0].Embedding}, "empty ID"},
		{"NaN", Record{ID: "nan", Embedding: unit(func(v []float32) { v[3] = float32(math.NaN()) })}, `"nan": embedding value 3 is NaN`},
		{"infinity", Record{ID: "inf", Embedding: unit(func(v []float32) { v[0] = float32(math.Inf(1)) })}, `"inf": embedding value 0 is +Inf`},
		{"wrong dimension", Record{ID: "short", Embedding: good[0].Embedding[:dim-1]}, `"short": embedding has 7 dims, the store 8`},
		{"no embedding", Record{ID: "none"}, `"none": embedding has 0 dims`},
		{"zero vector", Record{ID: "zero", Embedding: make([]float32, dim)}, `"zero": embedding has norm 0`},
		{"half length", Record{ID: "half", Embedding: unit(func(v []float32) {
			for i := range v {
				v[i] /= 2
			}
		})}, `"half": embedding has norm 0.5`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, dim)
			defer s.Close()
			before := logSize(t, dir)
			batch := []Record{good[0], good[1], tc.bad, good[2]}
			st, err := s.Add(context.Background(), batch)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Add error %v, want one containing %q", err, tc.wantMsg)
			}
			if st != (AddStats{}) || s.Len() != 0 || logSize(t, dir) != before {
				t.Errorf("after a rejected batch: stats %+v, Len %d, log %d bytes (was %d)", st, s.Len(), logSize(t, dir), before)
			}
		})
	}
}

func TestAddRescales(t *testing.T) {
	// A vector off unit length by less than embed.NormTolerance is stored
	// rescaled, so that every stored vector passes chromem-go's 1e-6 check.
	const dim = 64
	r := makeRecords(6, "p", 1, dim)[0]
	scale := float32(1 + embed.NormTolerance/2)
	orig := slices.Clone(r.Embedding)
	for i := range r.Embedding {
		r.Embedding[i] *= scale
	}
	s := openStore(t, t.TempDir(), dim)
	defer s.Close()
	mustAdd(t, s, []Record{r})
	got, _ := s.Get(r.ID)
	norm, _ := unitNorm(got.Embedding)
	if math.Abs(norm-1) >= unitTolerance {
		t.Errorf("stored norm %v, want 1 within %g", norm, unitTolerance)
	}
	for i := range orig {
		// Rescaling undoes the scale up to float32 rounding (relative 2^-23 per operation).
		if math.Abs(float64(got.Embedding[i]-orig[i])) > 1e-6 {
			t.Fatalf("embedding[%d] = %v, want %v", i, got.Embedding[i], orig[i])
		}
	}
	if r.Embedding[0] != orig[0]*scale {
		t.Errorf("Add modified the caller's vector")
	}
}

func TestEmbedder(t *testing.T) {
	ctx := context.Background()
	lexical := embed.Info{Backend: "lexical", Model: "lsa-tfidf", Dimensions: 256}
	ollama := embed.Info{Backend: "ollama", Model: "nomic-embed-text", Dimensions: 768}

	t.Run("add before SetEmbedder", func(t *testing.T) {
		s, err := Open(ctx, t.TempDir(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, ok := s.Manifest(); ok {
			t.Error("a new store has a manifest")
		}
		_, err = s.Add(ctx, makeRecords(1, "p", 1, 256))
		if !errors.Is(err, ErrNoEmbedder) {
			t.Errorf("Add error %v, want ErrNoEmbedder", err)
		}
	})
	for _, tc := range []struct {
		name    string
		reopen  bool
		want    embed.Info
		wantErr string // "" for none
	}{
		{name: "same embedder", want: lexical},
		{name: "same embedder after reopening", reopen: true, want: lexical},
		{name: "another embedder", want: ollama, wantErr: "store DIR was built with lexical/lsa-tfidf (256 dims); this run uses ollama/nomic-embed-text (768 dims): use another --store or the same embedder"},
		{name: "another embedder after reopening", reopen: true, want: ollama, wantErr: "store DIR was built with lexical/lsa-tfidf (256 dims); this run uses ollama/nomic-embed-text (768 dims): use another --store or the same embedder"},
		{name: "same backend, other dimension", reopen: true, want: embed.Info{Backend: "lexical", Model: "lsa-tfidf", Dimensions: 128}, wantErr: "this run uses lexical/lsa-tfidf (128 dims)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(ctx, dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SetEmbedder(lexical); err != nil {
				t.Fatal(err)
			}
			if tc.reopen {
				// The manifest is written with the first record.
				if _, err := s.Add(ctx, makeRecords(1, "p", 1, lexical.Dimensions)); err != nil {
					t.Fatal(err)
				}
				mustClose(t, s)
				if s, err = Open(ctx, dir, Options{}); err != nil {
					t.Fatal(err)
				}
			}
			defer s.Close()
			err = s.SetEmbedder(tc.want)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("SetEmbedder: %v", err)
				}
				return
			}
			var me *MismatchError
			if !errors.As(err, &me) {
				t.Fatalf("SetEmbedder error %v, want a *MismatchError", err)
			}
			if want := strings.ReplaceAll(tc.wantErr, "DIR", dir); !strings.Contains(err.Error(), want) {
				t.Errorf("error\n%s\nwant it to contain\n%s", err, want)
			}
			if m, _ := s.Manifest(); m.Embedder != lexical {
				t.Errorf("manifest changed to %+v", m.Embedder)
			}
		})
	}
}

// TestEmbedderWithoutRecords checks that a store whose first Add stored
// nothing (it failed, or never came) is still new when reopened: no
// manifest ties it to the embedder of that attempt.
func TestEmbedderWithoutRecords(t *testing.T) {
	ctx := context.Background()
	lexical := embed.Info{Backend: "lexical", Model: "lsa-tfidf", Dimensions: 2}
	dir := t.TempDir()
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetEmbedder(lexical); err != nil {
		t.Fatal(err)
	}
	// A record too long for one frame of the log: an error, not a panic.
	huge := Record{ID: "huge", Content: strings.Repeat("a", maxPayloadLen), Embedding: []float32{0.6, 0.8}}
	_, err = s.Add(ctx, []Record{huge, {ID: "small", Content: "x", Embedding: []float32{1, 0}}})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.ID != "huge" {
		t.Fatalf("Add of a %d-byte record: %v, want a *TooLargeError naming it", len(huge.Content), err)
	}
	huge = Record{}
	mustClose(t, s)
	if s, err = Open(ctx, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m, ok := s.Manifest(); ok || s.Len() != 0 {
		t.Fatalf("after a failed first Add the store has manifest %+v (ok %v) and %d records, want a new store", m, ok, s.Len())
	}
	if err := s.SetEmbedder(embed.Info{Backend: "ollama", Model: "m", Dimensions: 3}); err != nil {
		t.Errorf("another embedder on a store that never stored a record: %v", err)
	}
}

func TestNotAStore(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "is not a papermap store and not empty (it holds notes.txt)") {
		t.Fatalf("Open of a directory with other files: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("Open wrote into a directory it refused")
	}
}

func TestLock(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openStore(t, dir, 4)
	mustAdd(t, w, makeRecords(1, "p", 3, 4))

	_, err := Open(ctx, dir, Options{})
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("second writer: %v, want a *LockedError", err)
	}
	if le.PID != os.Getpid() || le.Dir != dir {
		t.Errorf("LockedError %+v, want pid %d and dir %s", le, os.Getpid(), dir)
	}
	if !strings.Contains(err.Error(), "in use by another papermap process") {
		t.Errorf("error text %q", err)
	}
	if _, err := Repair(ctx, dir); !errors.As(err, &le) {
		t.Errorf("Repair while a writer holds the lock: %v, want a *LockedError", err)
	}

	r, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reader while a writer holds the lock: %v", err)
	}
	if r.Len() != 3 {
		t.Errorf("reader sees %d records, want 3", r.Len())
	}
	mustClose(t, r)

	mustClose(t, w)
	w2, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("writer after the first closed: %v", err)
	}
	mustClose(t, w2)
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	t.Run("missing store", func(t *testing.T) {
		for _, dir := range []string{filepath.Join(t.TempDir(), "none"), t.TempDir()} {
			_, err := Open(ctx, dir, Options{ReadOnly: true})
			if !errors.Is(err, ErrNotExist) {
				t.Errorf("Open(%s, ReadOnly): %v, want ErrNotExist", dir, err)
			}
		}
		if _, err := os.Stat(filepath.Join(t.TempDir(), "none")); err == nil {
			t.Error("a read-only Open created the directory")
		}
	})
	dir := t.TempDir()
	w := openStore(t, dir, 4)
	mustAdd(t, w, makeRecords(1, "p", 2, 4))
	mustClose(t, w)
	r, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct {
		name string
		op   func() error
	}{
		{"Add", func() error { _, err := r.Add(ctx, makeRecords(2, "q", 1, 4)); return err }},
		{"Delete", func() error { return r.Delete(ctx, "p-000000") }},
		{"Compact", func() error { return r.Compact(ctx) }},
		{"WriteFile", func() error { return r.WriteFile("model.bin", []byte("x")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, ErrReadOnly) {
				t.Errorf("%s on a reader: %v, want ErrReadOnly", tc.name, err)
			}
		})
	}
	t.Run("SetEmbedder checks", func(t *testing.T) {
		if err := r.SetEmbedder(testInfo(4)); err != nil {
			t.Errorf("same embedder: %v", err)
		}
		var me *MismatchError
		if err := r.SetEmbedder(testInfo(5)); !errors.As(err, &me) {
			t.Errorf("other embedder: %v, want a *MismatchError", err)
		}
	})
	if r.Len() != 2 {
		t.Errorf("Len = %d, want 2", r.Len())
	}
}

func TestClosed(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), 4)
	mustAdd(t, s, makeRecords(1, "p", 2, 4))
	mustClose(t, s)
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Add(ctx, makeRecords(1, "q", 1, 4)); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
	if _, err := s.Query(ctx, makeRecords(1, "q", 1, 4)[0].Embedding, 1, QueryOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Query after Close: %v", err)
	}
	if s.Len() != 0 {
		t.Errorf("Len after Close = %d", s.Len())
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	const dim = 8
	recs := makeRecords(7, "p", 20, dim)
	for _, tc := range []struct {
		name string
		ids  []string
		want int
	}{
		{"one", []string{"p-000003"}, 19},
		{"the last row", []string{"p-000019"}, 19},
		{"several, with repeats", []string{"p-000000", "p-000019", "p-000007", "p-000000"}, 17},
		{"unknown IDs", []string{"nope", ""}, 20},
		{"all", slices.Collect(func(yield func(string) bool) {
			for _, r := range recs {
				if !yield(r.ID) {
					return
				}
			}
		}), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := openStore(t, dir, dim)
			mustAdd(t, s, recs)
			if err := s.Delete(ctx, tc.ids...); err != nil {
				t.Fatal(err)
			}
			check := func(s *Store) {
				t.Helper()
				if s.Len() != tc.want || s.Collection().Count() != tc.want {
					t.Fatalf("Len %d, collection %d, want %d", s.Len(), s.Collection().Count(), tc.want)
				}
				for _, r := range recs {
					got, ok := s.Get(r.ID)
					if slices.Contains(tc.ids, r.ID) {
						if ok {
							t.Errorf("%s still there", r.ID)
						}
						continue
					}
					if diff := sameRecord(got, r); diff != "" {
						t.Error(diff)
					}
					doc, err := s.Collection().GetByID(ctx, r.ID)
					if err != nil || !slices.Equal(doc.Embedding, r.Embedding) {
						t.Errorf("collection document %s: %v", r.ID, err)
					}
				}
			}
			check(s)
			mustClose(t, s)
			s = openStore(t, dir, dim)
			check(s)
			// A deleted ID can come back.
			st := mustAdd(t, s, recs[:1])
			want := AddStats{Unchanged: 1}
			if slices.Contains(tc.ids, recs[0].ID) {
				want = AddStats{Added: 1}
			}
			if st != want {
				t.Errorf("re-adding %s: %+v, want %+v", recs[0].ID, st, want)
			}
			mustClose(t, s)
		})
	}
}

func TestCompact(t *testing.T) {
	ctx := context.Background()
	const dim = 32
	recs := makeRecords(8, "p", 200, dim)
	dir := t.TempDir()
	s := openStore(t, dir, dim)
	mustAdd(t, s, recs)
	compactSize := logSize(t, dir)
	for round := range 3 {
		upd := slices.Clone(recs[:100])
		for i := range upd {
			upd[i].Content = upd[i].Content + strings.Repeat("!", round+1)
		}
		mustAdd(t, s, upd)
		recs = append(upd, recs[100:]...)
	}
	if err := s.Delete(ctx, recs[150].ID); err != nil {
		t.Fatal(err)
	}
	recs = slices.Delete(recs, 150, 151)
	grown := logSize(t, dir)
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	after := logSize(t, dir)
	// The compacted log holds each live record once.
	want := int64(len(logHeader))
	for _, r := range recs {
		want += int64(len(appendRecordFrame(nil, r.ID, HashRecord(r.Content, r.Metadata), r.Content, r.Metadata, r.Embedding)))
	}
	if after != want || after >= grown {
		t.Errorf("log: %d bytes at first, %d before Compact, %d after, want %d", compactSize, grown, after, want)
	}
	// Appending goes on after a compaction.
	more := makeRecords(9, "q", 5, dim)
	mustAdd(t, s, more)
	recs = append(recs, more...)
	mustClose(t, s)

	r, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Len() != len(recs) {
		t.Fatalf("Len %d, want %d", r.Len(), len(recs))
	}
	for _, want := range recs {
		got, _ := r.Get(want.ID)
		if diff := sameRecord(got, want); diff != "" {
			t.Fatal(diff)
		}
	}
}

func TestAutoCompact(t *testing.T) {
	defer func(old int64) { compactMinBytes = old }(compactMinBytes)
	compactMinBytes = 4096
	const dim = 16
	dir := t.TempDir()
	s := openStore(t, dir, dim)
	defer s.Close()
	recs := makeRecords(10, "p", 20, dim)
	mustAdd(t, s, recs)
	first := logSize(t, dir)
	// Each round replaces every record: after the second, more than half
	// of the log is dead and Add compacts it.
	maxSize := first
	for round := range 6 {
		for i := range recs {
			recs[i].Content = strings.Repeat("x", round+1)
		}
		mustAdd(t, s, recs)
		maxSize = max(maxSize, logSize(t, dir))
	}
	if got := logSize(t, dir); got > 2*first || maxSize > 3*first {
		t.Errorf("log %d bytes (peak %d) after 6 rewrites of a %d-byte log", got, maxSize, first)
	}
	if s.Len() != 20 {
		t.Errorf("Len %d", s.Len())
	}
}

func TestFilesAndModes(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a", "store")
	s := openStore(t, dir, 4)
	mustAdd(t, s, makeRecords(1, "p", 2, 4))
	if err := s.WriteFile("lexical.model", []byte("model v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteFile("lexical.model", []byte("model v2")); err != nil {
		t.Fatal(err)
	}
	if b, err := s.ReadFile("lexical.model"); err != nil || string(b) != "model v2" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	if _, err := s.ReadFile("themes.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v, want fs.ErrNotExist", err)
	}
	for _, name := range []string{"", ".", "..", "../x", "a/b", ".hidden", logName, manifestName, lockName} {
		if err := s.WriteFile(name, nil); err == nil {
			t.Errorf("WriteFile(%q) succeeded", name)
		}
		if _, err := s.ReadFile(name); err == nil {
			t.Errorf("ReadFile(%q) succeeded", name)
		}
	}
	mustClose(t, s)

	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("store dir mode %v, %v, want 0700", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		fi, _ := e.Info()
		names = append(names, e.Name())
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", e.Name(), fi.Mode().Perm())
		}
	}
	want := []string{lockName, "lexical.model", manifestName, snapName, logName}
	if !slices.Equal(names, want) {
		t.Errorf("files %v, want %v", names, want)
	}
	r, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if b, err := r.ReadFile("lexical.model"); err != nil || string(b) != "model v2" {
		t.Errorf("reader ReadFile = %q, %v", b, err)
	}
}

func TestHashRecord(t *testing.T) {
	// Expected values computed independently with Python's hashlib over
	// the byte layout documented on HashRecord:
	//   def uv(n): ...LEB128...; s = lambda b: uv(len(b)) + b
	//   sha256(b"papermap/record/v1\n" + s(content) + uv(len(meta)) +
	//          b"".join(s(k) + s(v) for k, v in sorted(meta.items()))).hexdigest()
	for _, tc := range []struct {
		name    string
		content string
		meta    map[string]string
		want    string
	}{
		{"empty", "", nil, "da03b9e70c66e4f63c3d01eb13274c5e7c05399a3cfa546d12914408871b78fd"},
		{"content and metadata", "Deep learning for search.", map[string]string{"year": "2019", "venue": "sigir"}, "70b1e0bb35ce669d645bb1c11eaa8f92601c29a95f71f89b93462a6b5a8985f0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := HashRecord(tc.content, tc.meta); got != tc.want {
				t.Errorf("HashRecord = %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("properties", func(t *testing.T) {
		a := HashRecord("x", map[string]string{"a": "1", "b": "2"})
		if b := HashRecord("x", map[string]string{"b": "2", "a": "1"}); a != b {
			t.Error("hash depends on map order")
		}
		if HashRecord("x", nil) != HashRecord("x", map[string]string{}) {
			t.Error("nil and empty metadata hash differently")
		}
		// Length prefixes keep these apart.
		if HashRecord("x", map[string]string{"ab": "c"}) == HashRecord("x", map[string]string{"a": "bc"}) {
			t.Error("key/value boundary not hashed")
		}
		if HashRecord("x", nil) == HashRecord("y", nil) {
			t.Error("content not hashed")
		}
	})
}

// TestLockNotALink checks that a LOCK that is a symbolic link is refused,
// not followed: LOCK -> victim.txt once had the victim truncated and
// overwritten with a pid.
func TestLockNotALink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir, 4)
	mustAdd(t, s, makeRecords(1, "p", 2, 4))
	mustClose(t, s)

	victim := filepath.Join(t.TempDir(), "victim.txt")
	if err := os.WriteFile(victim, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, lockName)
	if err := os.Remove(lock); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, lock); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dir, Options{})
	if err == nil {
		s.Close()
		t.Error("Open with LOCK a symbolic link succeeded")
	} else if !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("error %q does not say LOCK is a link", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the link's target now holds %q", b)
	}
}

// TestEmptyDirMode checks that an empty directory made by the user (mode
// 0755) that becomes a store gets the store's mode, 0700.
func TestEmptyDirMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := filepath.Join(t.TempDir(), "store")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // whatever the umask
		t.Fatal(err)
	}
	s := openStore(t, dir, 4)
	mustClose(t, s)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("store dir mode %v, %v, want 0700", fi.Mode().Perm(), err)
	}
	// An existing store keeps the mode its owner gave it.
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, 4)
	mustClose(t, s)
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("reopened store dir mode %v, %v, want the owner's 0750", fi.Mode().Perm(), err)
	}
}

// TestFrameLen checks that the size Add checks before writing is the
// size of the frame it writes.
func TestFrameLen(t *testing.T) {
	for _, tc := range []struct {
		id, content string
		meta        map[string]string
		dim         int
	}{
		{"a", "", nil, 0},
		{"2007.0001", strings.Repeat("x", 300), map[string]string{"year": "2007", "title": strings.Repeat("t", 200)}, 256},
		{strings.Repeat("i", 20000), "c", map[string]string{"": ""}, 3},
	} {
		vec := make([]float32, tc.dim)
		got := len(appendRecordFrame(nil, tc.id, HashRecord(tc.content, tc.meta), tc.content, tc.meta, vec))
		if want := frameLen(tc.id, tc.content, tc.meta, tc.dim); got != want {
			t.Errorf("frame of %d-byte id, %d-byte content, dim %d: %d bytes, frameLen says %d", len(tc.id), len(tc.content), tc.dim, got, want)
		}
	}
}

// TestCollectionLazy checks that Open does not build the chromem-go
// collection, that Collection builds it, and that once built Add and
// Delete (which move rows and grow the matrix) keep it in step.
func TestCollectionLazy(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir(), 4)
	defer s.Close()
	mustAdd(t, s, makeRecords(1, "p", 5, 4))
	if s.coll != nil {
		t.Fatal("the collection was built before Collection was called")
	}
	coll := s.Collection()
	if coll == nil || coll.Count() != 5 {
		t.Fatalf("Collection() = %v", coll)
	}
	mustAdd(t, s, makeRecords(2, "q", 3000, 4)) // grows the matrix
	if err := s.Delete(ctx, "p-000000", "q-000001", "q-002999"); err != nil {
		t.Fatal(err)
	}
	if s.Collection() != coll || coll.Count() != s.Len() {
		t.Fatalf("collection %d documents, store %d", coll.Count(), s.Len())
	}
	for _, id := range s.IDs() {
		doc, err := coll.GetByID(ctx, id)
		r, _ := s.Get(id)
		if err != nil || !slices.Equal(doc.Embedding, r.Embedding) || doc.Content != r.Content {
			t.Fatalf("document %s out of step with the store: %v", id, err)
		}
	}
	if _, err := coll.GetByID(ctx, "q-000001"); err == nil {
		t.Error("a deleted record is still in the collection")
	}
}

// TestForgetEmbedder: before the first record is stored, ForgetEmbedder
// makes the store new again (another embedder may be set); once a record
// is stored it is refused and the embedder stays.
func TestForgetEmbedder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s := openStore(t, dir, 8)
	defer mustClose(t, s)
	if err := s.ForgetEmbedder(); err != nil {
		t.Fatalf("ForgetEmbedder on a store with no record: %v", err)
	}
	if _, ok := s.Manifest(); ok {
		t.Error("Manifest() still known after ForgetEmbedder")
	}
	if err := s.SetEmbedder(testInfo(4)); err != nil {
		t.Fatalf("SetEmbedder with another dimension after ForgetEmbedder: %v", err)
	}
	mustAdd(t, s, makeRecords(1, "p", 3, 4))
	if err := s.ForgetEmbedder(); err == nil {
		t.Error("ForgetEmbedder on a store with records succeeded")
	}
	if m, ok := s.Manifest(); !ok || m.Embedder != testInfo(4) {
		t.Errorf("Manifest() = %+v, %v after a refused ForgetEmbedder", m.Embedder, ok)
	}
	if err := s.WriteFile("aux", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second time there is nothing to remove
		if err := s.RemoveFile("aux"); err != nil {
			t.Errorf("RemoveFile: %v", err)
		}
	}
	if _, err := s.ReadFile("aux"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile after RemoveFile: %v; want fs.ErrNotExist", err)
	}
	if err := s.RemoveFile(manifestName); err == nil {
		t.Error("RemoveFile of the manifest succeeded")
	}
}

// TestErrorNumbersGrouped: counts in error messages have thousands
// separators like every other number papermap prints (issue 13 §6).
func TestErrorNumbersGrouped(t *testing.T) {
	err := &CorruptError{File: "/s/records.log", Offset: 1234567, Reason: "checksum mismatch", Intact: 1999}
	for _, want := range []string{"at byte 1,234,567", "keep the 1,999 intact records"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	tl := &TooLargeError{ID: "x", Bytes: 300 << 20, Max: 256 << 20}
	if want := "takes 314,572,800 bytes, more than the 268,435,456"; !strings.Contains(tl.Error(), want) {
		t.Errorf("%q does not say %q", tl, want)
	}
}

// A reader saves derived data with WriteCache while no writer holds the
// store, writes nothing while one does, and leaves the lock free for the
// next writer.
func TestWriteCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := openStore(t, dir, 4)
	mustAdd(t, w, makeRecords(1, "p", 2, 4))
	mustClose(t, w)
	r, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	read := func() string {
		t.Helper()
		b, err := r.ReadFile("layout.json")
		if err != nil {
			t.Fatalf("ReadFile: %v", err)
		}
		return string(b)
	}
	if ok, err := r.WriteCache("layout.json", []byte("one")); !ok || err != nil {
		t.Fatalf("WriteCache on a reader, no writer: %v, %v; want true, nil", ok, err)
	}
	if got := read(); got != "one" {
		t.Errorf("after WriteCache: %q, want %q", got, "one")
	}
	// The lock was released: a writer opens, and while it is open the
	// reader writes nothing.
	w, err = Open(ctx, dir, Options{IndexThreshold: -1})
	if err != nil {
		t.Fatalf("writer after a reader's WriteCache: %v", err)
	}
	if ok, err := r.WriteCache("layout.json", []byte("two")); ok || err != nil {
		t.Errorf("WriteCache while a writer holds the store: %v, %v; want false, nil", ok, err)
	}
	if got := read(); got != "one" {
		t.Errorf("a reader's WriteCache beside a writer changed the file to %q", got)
	}
	if ok, err := w.WriteCache("layout.json", []byte("three")); !ok || err != nil {
		t.Errorf("WriteCache on the writer: %v, %v; want true, nil", ok, err)
	}
	mustClose(t, w)
	if got := read(); got != "three" {
		t.Errorf("after the writer's WriteCache: %q, want %q", got, "three")
	}
	for _, name := range []string{"records.log", "LOCK", "../x", ".hidden"} {
		if ok, err := r.WriteCache(name, []byte("x")); ok || err == nil {
			t.Errorf("WriteCache(%q): %v, %v; want an error", name, ok, err)
		}
	}
	if r.Len() != 2 {
		t.Errorf("Len = %d, want 2", r.Len())
	}
}
