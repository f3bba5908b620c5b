package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.md")
	for _, content := range []string{"first\n", "second, longer\n"} {
		if err := WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("content %q, %v; want %q", got, err, content)
		}
		fi, _ := os.Stat(path)
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, want 0644", fi.Mode().Perm())
		}
	}
	// A failed write leaves the old file and no temporary file.
	boom := errors.New("boom")
	err := Write(path, 0o644, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "second, longer\n" {
		t.Errorf("after a failed write the file holds %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after a failed write, want 1", len(entries))
	}
}

func TestWriteRefusesLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "out.html")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("overwritten"), 0o644); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Write through a link: err %v, want ErrNotRegular", err)
	}
	if f, err := OpenRegular(link, os.O_RDWR|os.O_CREATE, 0o600); !errors.Is(err, ErrNotRegular) {
		if f != nil {
			f.WriteString("overwritten")
			f.Close()
		}
		t.Errorf("OpenRegular of a link: err %v, want ErrNotRegular", err)
	}
	// A dangling link is refused too, and its target is not created.
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "created"), dangling); err != nil {
		t.Fatal(err)
	}
	if f, err := OpenRegular(dangling, os.O_RDWR|os.O_CREATE, 0o600); !errors.Is(err, ErrNotRegular) {
		if f != nil {
			f.Close()
		}
		t.Errorf("OpenRegular of a dangling link: err %v, want ErrNotRegular", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "created")); err == nil {
		t.Error("OpenRegular created the target of a dangling link")
	}
	if got, _ := os.ReadFile(victim); string(got) != "keep me" {
		t.Errorf("victim holds %q", got)
	}
	if err := WriteFile(dir, []byte("x"), 0o644); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Write over a directory: err %v, want ErrNotRegular", err)
	}
}

func TestOpenRegular(t *testing.T) {
	path := filepath.Join(t.TempDir(), "LOCK")
	f, err := OpenRegular(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("42\n")
	f.Close()
	f, err = OpenRegular(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "42\n" {
		t.Errorf("reopened file holds %q", b)
	}
}

func TestMkdirAllSyncsParents(t *testing.T) {
	base := t.TempDir()
	var synced []string
	syncDir = func(d string) error { synced = append(synced, d); return SyncDir(d) }
	t.Cleanup(func() { syncDir = SyncDir })

	dir := filepath.Join(base, "a", "b")
	created, err := MkdirAll(dir, 0o700)
	if err != nil || !created {
		t.Fatalf("MkdirAll = %v, %v", created, err)
	}
	want := []string{filepath.Join(base, "a"), base}
	if !slices.Equal(synced, want) {
		t.Errorf("synced %q, want %q", synced, want)
	}
	synced = nil
	if created, err := MkdirAll(dir, 0o700); err != nil || created || len(synced) != 0 {
		t.Errorf("MkdirAll of an existing directory = %v, %v, synced %q", created, err, synced)
	}
}
