package vectorstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/philippgille/chromem-go"
)

// TestExportChromemRoundTrip exports a store, imports the file with
// chromem-go itself (DB.ImportFromFile) and checks that chromem-go's
// QueryEmbedding gives the store's top 10 for the same query vectors, with
// and without a metadata filter, for each kind of file chromem-go writes.
func TestExportChromemRoundTrip(t *testing.T) {
	ctx := context.Background()
	const dim, n = 32, 300
	s := openStore(t, t.TempDir(), dim)
	defer s.Close()
	recs := makeRecords(3, "p", n, dim)
	mustAdd(t, s, recs)
	mustAdd(t, s, recs[:10]) // unchanged: nothing new
	if err := s.Delete(ctx, "p-000007"); err != nil {
		t.Fatal(err)
	}

	key := "0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name string
		opts ChromemOptions
		key  string
	}{
		{name: "gzip", opts: ChromemOptions{}},
		{name: "plain, named", opts: ChromemOptions{Uncompressed: true, Collection: "lab"}},
		{name: "gzip, encrypted", opts: ChromemOptions{EncryptionKey: key}, key: key},
		{name: "content function", opts: ChromemOptions{Content: func(r Record) string { return r.Metadata["venue"] + ": " + r.Content }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "papers.gob.gz")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.ExportChromem(ctx, f, tc.opts); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}

			db := chromem.NewDB()
			if err := db.ImportFromFile(path, tc.key); err != nil {
				t.Fatalf("chromem-go cannot import the export: %v", err)
			}
			name := cmp(tc.opts.Collection, DefaultChromemCollection)
			coll := db.GetCollection(name, nil)
			if coll == nil {
				t.Fatalf("no collection %q in %v", name, db.ListCollections())
			}
			if coll.Count() != n-1 {
				t.Fatalf("collection holds %d documents, want %d", coll.Count(), n-1)
			}
			// chromem-go v0.7.0 does not give a collection's metadata:
			// read it back as papermap's ingest does.
			back, err := ReadChromem(path, ReadChromemOptions{EncryptionKey: tc.key})
			if err != nil {
				t.Fatal(err)
			}
			if info, ok := back.Embedder(); !ok || info != testInfo(dim) {
				t.Errorf("collection metadata %v: embedder %+v, want %+v", back.Metadata, info, testInfo(dim))
			}
			for _, i := range []int{0, 8, n - 1} {
				want := recs[i]
				doc, err := coll.GetByID(ctx, want.ID)
				if err != nil {
					t.Fatal(err)
				}
				wantContent := want.Content
				if tc.opts.Content != nil {
					wantContent = want.Metadata["venue"] + ": " + want.Content
				}
				got := Record{ID: doc.ID, Content: doc.Content, Metadata: doc.Metadata, Embedding: doc.Embedding}
				want.Content = wantContent
				if diff := sameRecord(got, want); diff != "" {
					t.Errorf("document %s: %s", want.ID, diff)
				}
			}
			if _, err := coll.GetByID(ctx, "p-000007"); err == nil {
				t.Error("a deleted record was exported")
			}

			rng := rand.New(rand.NewPCG(9, 9))
			for q := range 20 {
				vec := randUnit(rng, dim)
				var where Filter
				if q%2 == 1 {
					where = Filter{"venue": "kdd"}
				}
				want, err := s.Query(ctx, vec, 10, QueryOptions{Where: where})
				if err != nil {
					t.Fatal(err)
				}
				res, err := coll.QueryEmbedding(ctx, vec, 10, where, nil)
				if err != nil {
					t.Fatal(err)
				}
				got := make([]Hit, len(res))
				for i, r := range res {
					got[i] = Hit{ID: r.ID, Score: r.Similarity}
				}
				// Random vectors have no ties; chromem-go sums the dot
				// products in another order: rounding only.
				sameHits(t, "chromem-go import vs Query", got, want, 1e-6)
			}
		})
	}

	if err := s.ExportChromem(ctx, new(strings.Builder), ChromemOptions{EncryptionKey: "short"}); err == nil {
		t.Error("a 5-byte key was accepted")
	}
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// chromemDocs makes n documents with random unit vectors, as a chromem-go
// program would add them.
func chromemDocs(n, dim int) []chromem.Document {
	recs := makeRecords(5, "c", n, dim)
	docs := make([]chromem.Document, n)
	for i, r := range recs {
		docs[i] = chromem.Document{ID: r.ID, Content: r.Content, Metadata: r.Metadata, Embedding: r.Embedding}
	}
	return docs
}

// TestReadChromem reads data written by chromem-go itself: export files
// (plain, gzip, encrypted) and persistent directories (plain and gzip).
func TestReadChromem(t *testing.T) {
	ctx := context.Background()
	const dim = 8
	docs := chromemDocs(40, dim)
	key := "fedcba9876543210fedcba9876543210"
	fill := func(t *testing.T, db *chromem.DB, names ...string) {
		for _, name := range names {
			c, err := db.CreateCollection(name, map[string]string{ChromemKeyEmbedder: "ollama/nomic-embed-text", ChromemKeyDimensions: "8"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.AddDocuments(ctx, docs, 2); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(t *testing.T, c *ChromemCollection, name string) {
		t.Helper()
		if c.Name != name || len(c.Documents) != len(docs) {
			t.Fatalf("collection %q with %d documents, want %q with %d", c.Name, len(c.Documents), name, len(docs))
		}
		for i, d := range c.Documents {
			want := Record{ID: docs[i].ID, Content: docs[i].Content, Metadata: docs[i].Metadata, Embedding: docs[i].Embedding}
			if diff := sameRecord(Record{ID: d.ID, Content: d.Content, Metadata: d.Metadata, Embedding: d.Embedding}, want); diff != "" {
				t.Errorf("document %d: %s", i, diff)
			}
		}
		if info, ok := c.Embedder(); !ok || info.Backend != "ollama" || info.Model != "nomic-embed-text" || info.Dimensions != 8 {
			t.Errorf("Embedder() = %+v, %v", info, ok)
		}
	}

	t.Run("export files", func(t *testing.T) {
		dir := t.TempDir()
		db := chromem.NewDB()
		fill(t, db, "alpha")
		for _, tc := range []struct {
			file     string
			compress bool
			key      string
		}{{"a.gob", false, ""}, {"a.gob.gz", true, ""}, {"a.gob.gz.enc", true, key}} {
			path := filepath.Join(dir, tc.file)
			if err := db.ExportToFile(path, tc.compress, tc.key); err != nil {
				t.Fatal(err)
			}
			if !IsChromemExport(path) {
				t.Errorf("IsChromemExport(%s) = false", tc.file)
			}
			c, err := ReadChromem(path, ReadChromemOptions{EncryptionKey: tc.key})
			if err != nil {
				t.Fatalf("%s: %v", tc.file, err)
			}
			check(t, c, "alpha")
		}
		if _, err := ReadChromem(filepath.Join(dir, "a.gob.gz.enc"), ReadChromemOptions{}); err == nil || !strings.Contains(err.Error(), "give its key") {
			t.Errorf("encrypted file without a key: %v", err)
		}
	})

	t.Run("persistent directories", func(t *testing.T) {
		for _, compress := range []bool{false, true} {
			dir := filepath.Join(t.TempDir(), "chromem")
			db, err := chromem.NewPersistentDB(dir, compress)
			if err != nil {
				t.Fatal(err)
			}
			fill(t, db, "alpha", "beta")
			if !IsChromemDir(dir) {
				t.Errorf("IsChromemDir = false (compress %v)", compress)
			}
			_, err = ReadChromem(dir, ReadChromemOptions{})
			if !errors.Is(err, ErrChromemCollection) || !strings.Contains(err.Error(), `"alpha", "beta"`) {
				t.Errorf("two collections, none named: %v, want the names listed", err)
			}
			_, err = ReadChromem(dir, ReadChromemOptions{Collection: "gamma"})
			if !errors.Is(err, ErrChromemCollection) {
				t.Errorf("a missing collection: %v", err)
			}
			c, err := ReadChromem(dir, ReadChromemOptions{Collection: "beta"})
			if err != nil {
				t.Fatal(err)
			}
			check(t, c, "beta")
		}
	})

	t.Run("not chromem-go", func(t *testing.T) {
		dir := t.TempDir()
		if IsChromemDir(dir) {
			t.Error("an empty directory is a chromem-go directory")
		}
		path := filepath.Join(dir, "x.gob")
		os.WriteFile(path, []byte("not gob at all"), 0o600)
		if _, err := ReadChromem(path, ReadChromemOptions{}); err == nil {
			t.Error("garbage read as a chromem-go export")
		}
		if slices.Contains([]bool{IsChromemExport("a.jsonl"), IsChromemExport("a.gz")}, true) {
			t.Error("IsChromemExport is true for a paper file")
		}
	})
}
