package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/embed"
	"github.com/papermap/papermap/vectorstore"
	"github.com/philippgille/chromem-go"
)

// TestExportChromemMatchesSearch exports a store with `papermap export`,
// imports the file with chromem-go itself and checks that chromem-go's
// QueryEmbedding returns the same top 10 as `papermap search` for the
// same query vectors.
func TestExportChromemMatchesSearch(t *testing.T) {
	ctx := context.Background()
	store := seedStore(t)
	file := filepath.Join(t.TempDir(), "papers.gob.gz")
	out := mustRun(t, "export", "--store", store, "--format", "chromem", file)
	if !strings.Contains(out, "exported") {
		t.Errorf("export said %q", out)
	}
	if fi, err := os.Stat(file); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("export file: %v, %v", fi, err)
	}

	db := chromem.NewDB()
	if err := db.ImportFromFile(file, ""); err != nil {
		t.Fatalf("chromem-go cannot import the export: %v", err)
	}
	coll := db.GetCollection(vectorstore.DefaultChromemCollection, nil)
	cp, err := corpus.Open(ctx, store, corpus.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if coll == nil || coll.Count() != cp.Len() {
		t.Fatalf("collection %v, want %d documents", coll, cp.Len())
	}
	for _, q := range []string{"control variates for variance reduction", "graph neural networks", "image generation with diffusion", "reinforcement learning"} {
		vecs, err := cp.Embedder().Embed(ctx, []string{q}, embed.Query)
		if err != nil {
			t.Fatal(err)
		}
		res, err := coll.QueryEmbedding(ctx, vecs[0], 10, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := decode[results](t, mustRun(t, "search", "--store", store, "--json", q)).Results
		if len(res) != len(want) {
			t.Fatalf("%q: chromem-go %d hits, papermap %d", q, len(res), len(want))
		}
		// Scores agree up to float32 rounding (chromem-go sums in another
		// order); IDs may differ only among papers tied on score.
		near := func(a, b float64) bool { return a-b <= 1e-6 && b-a <= 1e-6 }
		for i := range res {
			tied := (i > 0 && near(want[i].Score, want[i-1].Score)) || (i+1 < len(want) && near(want[i].Score, want[i+1].Score))
			if !near(float64(res[i].Similarity), want[i].Score) || (res[i].ID != want[i].ID && !tied) {
				t.Errorf("%q hit %d: chromem-go %s (%.6f), papermap %s (%.6f)", q, i, res[i].ID, res[i].Similarity, want[i].ID, want[i].Score)
			}
		}
	}
	// The document holds the embedded text and the paper's fields.
	p := cp.Papers()[0]
	doc, err := coll.GetByID(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Content != p.Text() || doc.Metadata["title"] != p.Title {
		t.Errorf("document %s: content %q, title %q; want %q, %q", p.ID, doc.Content, doc.Metadata["title"], p.Text(), p.Title)
	}
}

// TestIngestChromem ingests chromem-go data: papermap's own export back
// into its store (nothing changes: the vectors are kept and the records
// are the same), a collection copied under new IDs (vectors kept), into
// a new store (re-embedded, with a notice), and a chromem-go persistent
// directory written by a chromem-go program with no embedder named.
func TestIngestChromem(t *testing.T) {
	ctx := context.Background()
	store := seedStore(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "papers.gob.gz")
	key := "0123456789abcdef0123456789abcdef"
	keyFile := filepath.Join(dir, "key.txt")
	os.WriteFile(keyFile, []byte(key+"\n"), 0o600)
	mustRun(t, "export", "--store", store, "--format", "chromem", "--encryption-key-file", keyFile, file)
	n := decode[struct {
		Papers int `json:"papers"`
	}](t, mustRun(t, "info", "--store", store, "--json")).Papers

	type summary struct {
		Added, Updated, Unchanged int
		Embedder                  string
	}
	ingest := func(t *testing.T, args ...string) (summary, string) {
		t.Helper()
		out, errs, code := run(t, "", append([]string{"ingest", "--quiet", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("ingest %v: exit %d\n%s%s", args, code, out, errs)
		}
		return decode[summary](t, out), errs
	}

	t.Run("own export, same store", func(t *testing.T) {
		if _, errs, code := run(t, "", "ingest", "--store", store, file); code == 0 || !strings.Contains(errs, "give its key") {
			t.Errorf("encrypted export without the key: exit %d, %s", code, errs)
		}
		got, errs := ingest(t, "--store", store, "--encryption-key-file", keyFile, file)
		if got.Unchanged != n || got.Added != 0 || got.Updated != 0 {
			t.Errorf("ingest of the store's own export: %+v, want %d unchanged", got, n)
		}
		if !strings.Contains(errs, "keeping the vectors") {
			t.Errorf("no notice that the vectors are kept: %q", errs)
		}
	})

	t.Run("copy under new IDs keeps vectors", func(t *testing.T) {
		db := chromem.NewDB()
		if err := db.ImportFromFile(file, key); err != nil {
			t.Fatal(err)
		}
		src, err := vectorstore.ReadChromem(file, vectorstore.ReadChromemOptions{EncryptionKey: key})
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.CreateCollection("copy", src.Metadata, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range src.Documents {
			d.ID = "copy-" + d.ID
			if err := c.AddDocument(ctx, d); err != nil {
				t.Fatal(err)
			}
		}
		two := filepath.Join(dir, "two.gob")
		if err := db.ExportToFile(two, false, ""); err != nil {
			t.Fatal(err)
		}
		if _, errs, code := run(t, "", "ingest", "--store", store, two); code == 0 || !strings.Contains(errs, `"copy"`) {
			t.Errorf("two collections, none named: exit %d, %s", code, errs)
		}
		got, _ := ingest(t, "--store", store, "--collection", "copy", two)
		if got.Added != n {
			t.Errorf("copy: %+v, want %d added", got, n)
		}
		st, err := vectorstore.Open(ctx, store, vectorstore.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		id := src.Documents[3].ID
		a, _ := st.Get(id)
		b, ok := st.Get("copy-" + id)
		if !ok || !slices.Equal(a.Embedding, b.Embedding) || a.Content != b.Content {
			t.Errorf("copy of %s: vector or content differs", id)
		}
	})

	t.Run("new store re-embeds", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "fresh")
		got, errs := ingest(t, "--store", fresh, "--embedder", "lexical", "--encryption-key-file", keyFile, file)
		if got.Added != n || !strings.Contains(errs, "re-embedding") {
			t.Errorf("new store: %+v, stderr %q; want %d added and a re-embedding notice", got, errs, n)
		}
		res := decode[results](t, mustRun(t, "search", "--store", fresh, "--json", "control variates for variance reduction"))
		if len(res.Results) == 0 || !strings.Contains(res.Results[0].Title, "Control Variates") {
			t.Errorf("search of the re-embedded store: %+v", res.Results)
		}
	})

	t.Run("chromem-go directory without an embedder", func(t *testing.T) {
		cdir := filepath.Join(t.TempDir(), "rag")
		db, err := chromem.NewPersistentDB(cdir, true)
		if err != nil {
			t.Fatal(err)
		}
		c, err := db.CreateCollection("docs", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		texts := []string{
			"Control variates reduce the variance of Monte Carlo estimators.",
			"Graph neural networks learn on molecules and social networks.",
			"Diffusion models generate images from noise.",
		}
		for i, text := range texts {
			v := make([]float32, 3)
			v[i] = 1
			if err := c.AddDocument(ctx, chromem.Document{ID: "doc" + string(rune('a'+i)), Content: text, Metadata: map[string]string{"source": "wiki"}, Embedding: v}); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.AddDocument(ctx, chromem.Document{ID: "empty", Embedding: []float32{0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		fresh := filepath.Join(t.TempDir(), "fresh")
		got, errs := ingest(t, "--store", fresh, "--embedder", "lexical", cdir)
		if got.Added != len(texts) || !strings.Contains(errs, "does not say which embedder") || !strings.Contains(errs, `document "empty"`) {
			t.Errorf("chromem-go directory: %+v, stderr %q", got, errs)
		}
		if got.Embedder != "lexical" {
			t.Errorf("embedder %q, want lexical", got.Embedder)
		}
	})
}

// TestOutputsNeverThroughLinks checks that no output file papermap writes
// (map, report, export, --skipped-log) is written through a symbolic link,
// and that a regular file given as output is replaced, with the documented
// mode.
func TestOutputsNeverThroughLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	store := seedStore(t)
	mustRun(t, "themes", "--store", store, "--k", "3")
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	os.WriteFile(victim, []byte("precious"), 0o600)
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("Title only\n\n"), 0o600)
	for _, tc := range []struct {
		name string
		args func(out string) []string
		mode os.FileMode
	}{
		{"map.html", func(o string) []string { return []string{"map", "--store", store, "-o", o} }, 0o644},
		{"report.md", func(o string) []string { return []string{"report", "--store", store, "-o", o} }, 0o644},
		{"papers.gob.gz", func(o string) []string { return []string{"export", "--store", store, "--format", "chromem", o} }, 0o600},
		{"skipped.log", func(o string) []string {
			return []string{"ingest", "--quiet", "--store", store, "--skipped-log", o, seedFile, seedFile}
		}, 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			link := filepath.Join(dir, "link-"+tc.name)
			if err := os.Symlink(victim, link); err != nil {
				t.Fatal(err)
			}
			_, errs, _ := run(t, "", tc.args(link)...)
			if b, _ := os.ReadFile(victim); string(b) != "precious" {
				t.Fatalf("%s wrote through a link: the victim holds %.40q", tc.name, b)
			}
			if !strings.Contains(errs, "symbolic link") {
				t.Errorf("no error about the link: %q", errs)
			}
			// A regular file is replaced, with the documented mode.
			out := filepath.Join(dir, tc.name)
			os.WriteFile(out, []byte("old"), 0o640)
			run(t, "", tc.args(out)...)
			fi, err := os.Stat(out)
			if err != nil || fi.Size() <= 3 || fi.Mode().Perm() != tc.mode {
				t.Errorf("%s over an existing file: %v, size %d, mode %v; want it replaced with mode %v", tc.name, err, fi.Size(), fi.Mode().Perm(), tc.mode)
			}
		})
	}
}
