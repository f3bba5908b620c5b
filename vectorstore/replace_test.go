package vectorstore

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/papermap/papermap/embed"
)

func replaceRecs(dim int, ids ...string) []Record {
	var out []Record
	for i, id := range ids {
		v := make([]float32, dim)
		v[i%dim] = 1
		out = append(out, Record{ID: id, Content: "text " + id, Embedding: v})
	}
	return out
}

// TestReplace: a failed build leaves the store as it was; a successful one
// puts the new store in place with the kept auxiliary files; what a crash
// leaves beside the store is removed by the next writer's Open.
func TestReplace(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Replace needs renameat2")
	}
	ctx := t.Context()
	dir := filepath.Join(t.TempDir(), "store")
	side := filepath.Join(filepath.Dir(dir), ".store.replace")
	open := func() *Store {
		t.Helper()
		s, err := Open(ctx, dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	if err := s.SetEmbedder(embed.Info{Backend: "test", Model: "old", Dimensions: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, replaceRecs(2, "a", "b")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"keep.json", "drop.json"} {
		if err := s.WriteFile(name, []byte(name)); err != nil {
			t.Fatal(err)
		}
	}

	boom := errors.New("boom")
	err := s.Replace(ctx, func(next *Store) error {
		if err := next.SetEmbedder(embed.Info{Backend: "test", Model: "new", Dimensions: 3}); err != nil {
			return err
		}
		if _, err := next.Add(ctx, replaceRecs(3, "a")); err != nil {
			return err
		}
		return boom
	}, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("Replace with a failing build: %v, want boom", err)
	}
	if _, err := os.Stat(side); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the failed build's directory is left: %v", err)
	}
	s = open()
	if m, _ := s.Manifest(); m.Embedder.Model != "old" || s.Len() != 2 {
		t.Fatalf("after a failed Replace: model %q, %d records; want the old store", m.Embedder.Model, s.Len())
	}

	err = s.Replace(ctx, func(next *Store) error {
		if err := next.SetEmbedder(embed.Info{Backend: "test", Model: "new", Dimensions: 3}); err != nil {
			return err
		}
		_, err := next.Add(ctx, replaceRecs(3, "a", "b"))
		return err
	}, func(name string) bool { return name != "drop.json" })
	if err != nil {
		t.Fatal(err)
	}
	s = open()
	if m, _ := s.Manifest(); m.Embedder.Model != "new" || s.Len() != 2 {
		t.Fatalf("after Replace: model %q, %d records; want the new store", m.Embedder.Model, s.Len())
	}
	if b, err := s.ReadFile("keep.json"); err != nil || string(b) != "keep.json" {
		t.Errorf("keep.json: %q, %v; want it carried over", b, err)
	}
	if _, err := s.ReadFile("drop.json"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("drop.json: %v; want it left behind", err)
	}
	if _, err := os.Stat(side); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the old store is left beside the new one: %v", err)
	}
	s.Close()

	// A crash after the exchange leaves the old store beside the new
	// one: the next writer removes it; a reader leaves it alone.
	if err := os.MkdirAll(side, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{lockName, logName} {
		if err := os.WriteFile(filepath.Join(side, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Open(ctx, dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := os.Stat(side); err != nil {
		t.Fatalf("a reader removed the leftover: %v", err)
	}
	open().Close()
	if _, err := os.Stat(side); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the writer's Open left the leftover: %v", err)
	}
	// A directory there without a LOCK is not Replace's: kept.
	if err := os.MkdirAll(side, 0o700); err != nil {
		t.Fatal(err)
	}
	open().Close()
	if _, err := os.Stat(side); err != nil {
		t.Fatalf("Open removed a directory that is not a leftover of Replace: %v", err)
	}
}
