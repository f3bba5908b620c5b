package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/papermap/papermap/corpus"
)

// damageBase makes the store the damage tests start from: the 66 seed
// papers with themes, copied for each case.
func damageBase(t *testing.T, bin string) (store, id string) {
	t.Helper()
	store = filepath.Join(t.TempDir(), "base")
	for _, args := range [][]string{
		{"ingest", "--quiet", "--store", store, "--embedder", "lexical", seedFile},
		{"themes", "--store", store, "--k", "4"},
	} {
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	return store, firstID(t, store)
}

// firstID returns the smallest paper ID in store: the first frame of its
// log, which survives any damage further on.
func firstID(t *testing.T, store string) string {
	t.Helper()
	c, err := corpus.Open(context.Background(), store, corpus.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.Store().IDs()[0]
}

// copyStore copies the files of a store directory.
func copyStore(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "store")
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// frameStarts returns the offsets of the frames of a record log (after its
// 16-byte header; each frame is a 4-byte magic, a 4-byte little-endian
// payload length, a 4-byte checksum and the payload: vectorstore/doc.go).
func frameStarts(t *testing.T, log []byte) []int {
	t.Helper()
	var starts []int
	for off := 16; off+12 <= len(log); {
		starts = append(starts, off)
		off += 12 + int(binary.LittleEndian.Uint32(log[off+4:]))
	}
	return starts
}

func editFile(t *testing.T, path string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, edit(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStoreDamage damages one file of a store at a time and runs every
// command on it: each either works or fails with exit code 1 and a message
// that names the damaged file and the way out; none panics. Then the way
// out is taken and must give back the papers.
func TestStoreDamage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary some 80 times")
	}
	bin := papermapBinary(t)
	base, id := damageBase(t, bin)
	mapOut := filepath.Join(t.TempDir(), "m.html")
	reportOut := filepath.Join(t.TempDir(), "r.md")
	commands := map[string][]string{
		"info":    {"info"},
		"search":  {"search", "control variates"},
		"similar": {"similar", id},
		"themes":  {"themes", "--k", "3"},
		"ingest":  {"ingest", "--quiet", seedFile},
		"map":     {"map", "-o", mapOut},
		"report":  {"report", "-o", reportOut},
		"repair":  {"repair"},
	}
	all := []string{"info", "search", "similar", "themes", "ingest", "map", "report", "repair"}

	tests := []struct {
		name   string
		damage func(t *testing.T, store string)
		// fails are the commands that must fail; the others must work.
		fails []string
		// msg are substrings every failure message must have: the file
		// and the way out.
		msg []string
		// wayOut is the command that recovers (run after the damage on a
		// fresh copy) and the count of papers after it; then a re-ingest
		// of the seed file must give back all 66.
		wayOut   []string
		afterFix int
	}{
		{
			name: "log bytes flipped in the middle",
			damage: func(t *testing.T, store string) {
				editFile(t, filepath.Join(store, "records.log"), func(b []byte) []byte {
					starts := frameStarts(t, b)
					mid := starts[len(starts)/2] + 40 // inside the payload of a middle frame
					for i := mid; i < mid+8; i++ {
						b[i] ^= 0xff
					}
					return b
				})
			},
			fails:    []string{"info", "search", "similar", "themes", "ingest", "map", "report"},
			msg:      []string{"records.log", "is corrupt", "papermap repair --store", "re-ingest"},
			wayOut:   []string{"repair"},
			afterFix: 65,
		},
		{
			// A log cut short after the store was closed: the manifest
			// records the length at Close, so this is reported, not taken
			// for the torn end of a crashed write (which is tested by the
			// kill loop). repair keeps the 33 papers before the cut; a
			// re-ingest puts back the rest.
			name: "log truncated in the middle of a frame",
			damage: func(t *testing.T, store string) {
				editFile(t, filepath.Join(store, "records.log"), func(b []byte) []byte {
					starts := frameStarts(t, b)
					return b[:starts[len(starts)/2]+100]
				})
			},
			fails:    []string{"info", "search", "similar", "themes", "ingest", "map", "report"},
			msg:      []string{"records.log", "cut short", "papermap repair --store", "re-ingest"},
			wayOut:   []string{"repair"},
			afterFix: 33,
		},
		{
			name: "manifest truncated",
			damage: func(t *testing.T, store string) {
				editFile(t, filepath.Join(store, "manifest.json"), func(b []byte) []byte { return b[:len(b)/2] })
			},
			fails: all,
			msg:   []string{"manifest.json", "is corrupt", "re-ingest into a new store"},
		},
		{
			name: "manifest garbled",
			damage: func(t *testing.T, store string) {
				editFile(t, filepath.Join(store, "manifest.json"), func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(`"`), []byte(`'`)) })
			},
			fails: all,
			msg:   []string{"manifest.json", "is corrupt", "re-ingest into a new store"},
		},
		{
			name: "manifest deleted",
			damage: func(t *testing.T, store string) {
				if err := os.Remove(filepath.Join(store, "manifest.json")); err != nil {
					t.Fatal(err)
				}
			},
			fails: all,
			msg:   []string{"manifest.json", "missing", "re-ingest into a new store"},
		},
		{
			name: "lexical model deleted",
			damage: func(t *testing.T, store string) {
				if err := os.Remove(filepath.Join(store, "lexical.model")); err != nil {
					t.Fatal(err)
				}
			},
			fails: all,
			msg:   []string{"lexical.model", "missing", "re-ingest into a new store"},
		},
		{
			name: "lexical model truncated",
			damage: func(t *testing.T, store string) {
				editFile(t, filepath.Join(store, "lexical.model"), func(b []byte) []byte { return b[:len(b)/3] })
			},
			fails: all,
			msg:   []string{"lexical.model", "damaged", "re-ingest into a new store"},
		},
		{
			name: "themes garbled",
			damage: func(t *testing.T, store string) {
				editFile(t, filepath.Join(store, "themes.json"), func(b []byte) []byte { return append([]byte("}{"), b[len(b)/2:]...) })
			},
			fails:    []string{"info", "map", "report"},
			msg:      []string{"themes.json", "damaged", "run `papermap themes` to recompute it"},
			wayOut:   []string{"themes", "--k", "4"},
			afterFix: 66,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, name := range all {
				store := copyStore(t, base)
				tc.damage(t, store)
				args := append(append([]string(nil), commands[name]...), "--store", store)
				cmd := exec.Command(bin, args...)
				var out, errb bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &errb
				cmd.Run()
				code := cmd.ProcessState.ExitCode()
				msg := errb.String()
				for _, bad := range []string{"panic", "goroutine ", "SIGSEGV", "fatal error"} {
					if strings.Contains(msg, bad) {
						t.Fatalf("%s panicked:\n%s", name, msg)
					}
				}
				mustFail := false
				for _, f := range tc.fails {
					mustFail = mustFail || f == name
				}
				switch {
				case mustFail && code != exitFailure:
					t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", name, code, exitFailure, out.String(), msg)
				case mustFail:
					for _, want := range append(tc.msg, "papermap "+name+": ") {
						if !strings.Contains(msg, want) {
							t.Errorf("%s: the message lacks %q:\n%s", name, want, msg)
						}
					}
					if strings.Count(strings.TrimSpace(msg), "\n") > 0 {
						t.Errorf("%s: the message is more than one line:\n%s", name, msg)
					}
				case code != exitOK:
					t.Errorf("%s: exit %d, want it to work\n%s", name, code, msg)
				}
				if name == "info" {
					t.Logf("info: exit %d %s", code, strings.TrimSpace(msg))
				}
			}
			if tc.wayOut == nil {
				return
			}
			store := copyStore(t, base)
			tc.damage(t, store)
			args := append(append([]string(nil), tc.wayOut...), "--store", store)
			out, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", tc.wayOut, err, out)
			}
			if got := libraryCount(t, store); got != tc.afterFix {
				t.Errorf("after %v the store holds %d papers, want %d", tc.wayOut, got, tc.afterFix)
			}
			if out, err := exec.Command(bin, "ingest", "--quiet", "--store", store, seedFile).CombinedOutput(); err != nil {
				t.Fatalf("re-ingest: %v\n%s", err, out)
			}
			if got := libraryCount(t, store); got != 66 {
				t.Errorf("after re-ingesting the seed file the store holds %d papers, want 66", got)
			}
		})
	}
}
