package vectorstore

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
)

// TestWriteFileFrom: a file written by WriteFileFrom reads back; a write
// that fails midway leaves the file as it was and no temporary file
// behind; the store's own file names and a read-only store are refused.
func TestWriteFileFrom(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, 4)
	defer mustClose(t, s)
	write := func(parts ...string) func(io.Writer) error {
		return func(w io.Writer) error {
			for _, p := range parts {
				if _, err := io.WriteString(w, p); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := s.WriteFileFrom("aux.bin", write("first ", "content")); err != nil {
		t.Fatal(err)
	}
	failed := errors.New("failed midway")
	err := s.WriteFileFrom("aux.bin", func(w io.Writer) error {
		io.WriteString(w, "half of the new")
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("a failed write returned %v", err)
	}
	if got, err := s.ReadFile("aux.bin"); err != nil || string(got) != "first content" {
		t.Fatalf("after a failed write: %q, %v", got, err)
	}
	entries, _ := os.ReadDir(dir)
	if err := removeTemps(dir); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(entries) {
		t.Errorf("a temporary file was left behind: %d entries, %d without temporary files", len(entries), len(after))
	}
	if err := s.WriteFileFrom(logName, write("x")); err == nil {
		t.Error("WriteFileFrom over the log was allowed")
	}
	r, err := Open(context.Background(), dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, r)
	if err := r.WriteFileFrom("aux.bin", write("y")); err == nil {
		t.Error("a read-only store wrote a file")
	}
}
