package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/embed/backend"
	"github.com/papermap/papermap/paper"
)

// TestFingerprintOnePass checks that the fingerprint taken in one pass
// (vectorstore.Store.IDHashes) is the one of every ID and its Lookup, in
// ID order, that theme models and exact-term indexes saved before it hold.
func TestFingerprintOnePass(t *testing.T) {
	c := ingestPapers(t, readSeed(t))
	h := sha256.New()
	for _, id := range c.store.IDs() {
		hash, _ := c.store.Lookup(id)
		h.Write([]byte(id))
		h.Write([]byte{0})
		h.Write([]byte(hash))
		h.Write([]byte{0})
	}
	want := hex.EncodeToString(h.Sum(nil)[:16])
	if _, ok := c.store.(interface{ IDHashes() ([]string, []string) }); !ok {
		t.Fatal("the store has no IDHashes: the test would not cover the one-pass path")
	}
	if got := c.fingerprint(); got != want {
		t.Errorf("fingerprint %s, by IDs and Lookup %s", got, want)
	}
}

// TestFingerprintKept checks the fingerprint kept under the log's stamp
// (fingerprintFile): a writer saves it, a reader of the same log uses it,
// and one of another stamp (the log changed since) is never used.
func TestFingerprintKept(t *testing.T) {
	ctx := t.Context()
	papers := readSeed(t)
	dir := filepath.Join(t.TempDir(), "store")
	w := writerOf(t, dir, papers[:20])
	fp := w.fingerprint()
	if want := w.hashRecords(); fp != want {
		t.Fatalf("fingerprint %s, hashing the records %s", fp, want)
	}
	data, err := w.store.ReadFile(fingerprintFile)
	if err != nil || !strings.HasSuffix(string(data), "\n"+fp+"\n") {
		t.Fatalf("the writer kept %q (%v), want its fingerprint %s", data, err, fp)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// A reader of the same log takes the kept one: the file says so.
	stamp, _, _ := strings.Cut(string(data), "\n")
	if err := os.WriteFile(filepath.Join(dir, fingerprintFile), []byte(stamp+"\nkept-for-this-stamp-0123456789ab\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.fingerprint(); got != "kept-for-this-stamp-0123456789ab" {
		t.Errorf("the reader hashed the records (%s) though the kept fingerprint has the log's stamp", got)
	}
	r.Close()

	// The log changes: the kept fingerprint's stamp no longer matches.
	w, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Ingest(ctx, papers[20:30], IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	fp2 := w.fingerprint()
	if want := w.hashRecords(); fp2 != want || fp2 == fp {
		t.Fatalf("after ten more papers: fingerprint %s, hashing the records %s, before %s", fp2, want, fp)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "garbage", stamp + "\n" + fp + "\n", "a\nb\nc"} {
		if err := os.WriteFile(filepath.Join(dir, fingerprintFile), []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := Open(ctx, dir, Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.fingerprint(); got != fp2 {
			t.Errorf("kept file %q: fingerprint %s, want %s", bad, got, fp2)
		}
		r.Close()
	}
}

// TestFingerprintKeptByIdleWriter: a writer that stores nothing (an
// ingest of papers already stored, or no command that writes) leaves the
// fingerprint file for the records when it is missing or stale, so that
// readers do not hash every record; it leaves a current one alone.
func TestFingerprintKeptByIdleWriter(t *testing.T) {
	ctx := t.Context()
	papers := readSeed(t)
	dir := filepath.Join(t.TempDir(), "store")
	w := writerOf(t, dir, papers[:20])
	want := w.hashRecords()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fingerprintFile)
	for _, tc := range []struct {
		name   string
		before func()
		ingest bool
	}{
		{"missing, nothing ingested", func() { os.Remove(path) }, false},
		{"missing, papers already stored ingested", func() { os.Remove(path) }, true},
		{"of another stamp", func() { os.WriteFile(path, []byte("other-stamp\n"+want+"\n"), 0o600) }, false},
	} {
		tc.before()
		w, err := Open(ctx, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if tc.ingest {
			st, err := w.Ingest(ctx, papers[:5], IngestOptions{})
			if err != nil || st.Added+st.Updated != 0 || st.Unchanged != 5 {
				t.Fatalf("%s: ingest of stored papers: %+v (%v)", tc.name, st, err)
			}
		}
		stamp, err := w.store.(interface{ LogStamp() (string, error) }).LogStamp()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil || string(data) != stamp+"\n"+want+"\n" {
			t.Errorf("%s: the writer left %q (%v), want the stamp %s and fingerprint %s", tc.name, data, err, stamp, want)
		}
	}
	// A current file is left as it is (a writer does not hash again).
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stamp, _, _ := strings.Cut(string(data), "\n")
	kept := stamp + "\nkept-for-this-stamp-0123456789ab\n"
	if err := os.WriteFile(path, []byte(kept), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(path); string(data) != kept {
		t.Errorf("a current fingerprint file was rewritten: %q", data)
	}
}

// writerOf opens a new lexical store in dir as a writer and ingests papers.
func writerOf(t *testing.T, dir string, papers []paper.Paper) *Corpus {
	t.Helper()
	w, err := Open(t.Context(), dir, Options{Embedder: backend.Settings{Backend: embed.BackendLexical}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Ingest(t.Context(), papers, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	return w
}
