package vectorstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/papermap/papermap/internal/format"
)

// copyDir copies the files of a store to a new directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
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

func TestTornTail(t *testing.T) {
	ctx := context.Background()
	const dim, n = 8, 5
	live := t.TempDir()
	s := openStore(t, live, dim)
	recs := makeRecords(11, "p", n, dim)
	mustAdd(t, s, recs[:n-1])
	mustClose(t, s)
	start := logSize(t, live) // where the last frame begins
	// A writer appends the last frame and crashes before Close: the copy
	// taken while it is still open is what such a crash leaves.
	s = openStore(t, live, dim)
	mustAdd(t, s, recs[n-1:])
	end := logSize(t, live)
	src := copyDir(t, live)
	mustClose(t, s)
	if end-start < 50 {
		t.Fatalf("last frame is %d bytes", end-start)
	}

	for _, tc := range []struct {
		name     string
		readOnly bool
	}{{"reader", true}, {"writer", false}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, src)
			path := filepath.Join(dir, logName)
			whole, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Every cut inside the last frame, and debris (zeros, as a
			// power cut may leave) instead of its tail.
			for cut := start; cut < end; cut++ {
				for _, debris := range []bool{false, true} {
					data := whole[:cut]
					if debris {
						data = append(data[:cut:cut], make([]byte, end-cut)...)
					}
					if err := os.WriteFile(path, data, 0o600); err != nil {
						t.Fatal(err)
					}
					s, err := Open(ctx, dir, Options{ReadOnly: tc.readOnly})
					if err != nil {
						t.Fatalf("cut at %d (debris %v): %v", cut, debris, err)
					}
					if s.Len() != n-1 {
						t.Fatalf("cut at %d (debris %v): %d records, want %d", cut, debris, s.Len(), n-1)
					}
					if _, ok := s.Get(recs[n-1].ID); ok {
						t.Fatalf("cut at %d: the torn record is visible", cut)
					}
					if !tc.readOnly {
						// The writer cut the torn tail off and can append.
						if got := logSize(t, dir); got != start {
							t.Fatalf("cut at %d: writer left %d bytes, want %d", cut, got, start)
						}
					} else if got := logSize(t, dir); got != int64(len(data)) {
						t.Fatalf("a reader changed the log")
					}
					mustClose(t, s)
				}
			}
			if !tc.readOnly {
				s := openStore(t, dir, dim)
				mustAdd(t, s, recs[n-1:])
				mustClose(t, s)
				s, err := Open(ctx, dir, Options{ReadOnly: true})
				if err != nil || s.Len() != n {
					t.Fatalf("after re-adding: %v, %d records", err, s.Len())
				}
				s.Close()
			}
		})
	}
}

func TestCorruption(t *testing.T) {
	ctx := context.Background()
	const dim, n = 8, 6
	src := t.TempDir()
	s := openStore(t, src, dim)
	recs := makeRecords(12, "p", n, dim)
	var starts []int64
	for i := range recs {
		starts = append(starts, logSize(t, src))
		mustAdd(t, s, recs[i:i+1])
	}
	mustClose(t, s)

	flip := func(off int64) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			path := filepath.Join(dir, logName)
			b, _ := os.ReadFile(path)
			b[off] ^= 0x40
			os.WriteFile(path, b, 0o600)
		}
	}
	for _, tc := range []struct {
		name       string
		damage     func(t *testing.T, dir string)
		file       string
		wantReason string
		wantKept   int // records Repair keeps; -1: no repair for this damage
	}{
		{"checksum of a middle frame", flip(starts[2] + 20), logName, "checksum mismatch", n - 1},
		{"magic of a middle frame", flip(starts[1]), logName, "no frame marker", n - 1},
		{"length of the first frame", flip(starts[0] + 5), logName, "", n - 1},
		{"vector of the frame before last", flip(starts[n-1] - 3), logName, "checksum mismatch", n - 1},
		{"log header", flip(3), logName, "not a papermap record log", n},
		{"bytes inserted in the middle", func(t *testing.T, dir string) {
			path := filepath.Join(dir, logName)
			b, _ := os.ReadFile(path)
			b = append(b[:starts[3]:starts[3]], append([]byte("garbage"), b[starts[3]:]...)...)
			os.WriteFile(path, b, 0o600)
		}, logName, "no frame marker", n},
		{"truncated manifest", func(t *testing.T, dir string) {
			path := filepath.Join(dir, manifestName)
			b, _ := os.ReadFile(path)
			os.WriteFile(path, b[:len(b)/2], 0o600)
		}, manifestName, "bad JSON", -1},
		{"manifest that is not JSON", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, manifestName), []byte("schema: 1\n"), 0o600)
		}, manifestName, "bad JSON", -1},
		{"empty manifest", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, manifestName), nil, 0o600)
		}, manifestName, "bad JSON", -1},
		{"manifest without embedder", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, manifestName), []byte(`{"schema": 1}`), 0o600)
		}, manifestName, "no embedder", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, src)
			tc.damage(t, dir)
			for _, ro := range []bool{true, false} {
				_, err := Open(ctx, dir, Options{ReadOnly: ro})
				var ce *CorruptError
				if !errors.As(err, &ce) {
					t.Fatalf("Open (read-only %v): %v, want a *CorruptError", ro, err)
				}
				path := filepath.Join(dir, tc.file)
				if ce.File != path || !strings.Contains(err.Error(), path) || !strings.Contains(ce.Reason, tc.wantReason) {
					t.Errorf("error %q (reason %q), want file %s and reason %q", err, ce.Reason, path, tc.wantReason)
				}
				if tc.wantKept >= 0 {
					want := fmt.Sprintf("run `papermap repair --store %s` to keep the %s intact records", dir, format.Int(tc.wantKept))
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q does not say %q", err, want)
					}
				}
			}
			if tc.wantKept < 0 {
				return
			}
			kept, err := Repair(ctx, dir)
			if err != nil || kept != tc.wantKept {
				t.Fatalf("Repair = %d, %v; want %d", kept, err, tc.wantKept)
			}
			s, err := Open(ctx, dir, Options{})
			if err != nil {
				t.Fatalf("Open after Repair: %v", err)
			}
			defer s.Close()
			if s.Len() != tc.wantKept {
				t.Errorf("%d records after Repair, want %d", s.Len(), tc.wantKept)
			}
			for _, r := range recs {
				if got, ok := s.Get(r.ID); ok {
					if diff := sameRecord(got, r); diff != "" {
						t.Error(diff)
					}
				}
			}
		})
	}
}

// TestReaderWhileWriting opens readers again and again while a writer
// appends: each must see a prefix of what was written, every record whole.
func TestReaderWhileWriting(t *testing.T) {
	ctx := context.Background()
	const dim, batches, per = 16, 40, 25
	dir := t.TempDir()
	w := openStore(t, dir, dim)
	defer w.Close()
	recs := makeRecords(13, "p", batches*per, dim)
	mustAdd(t, w, recs[:per])

	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for b := 1; b < batches; b++ {
			if _, err := w.Add(ctx, recs[b*per:(b+1)*per]); err != nil {
				t.Error(err)
				return
			}
		}
	})
	last, opens := 0, 0
	for stop := false; !stop; opens++ {
		select {
		case <-done:
			stop = true
		default:
		}
		r, err := Open(ctx, dir, Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("reader %d: %v", opens, err)
		}
		n := r.Len()
		if n < last {
			t.Fatalf("reader %d sees %d records, an earlier one %d", opens, n, last)
		}
		last = n
		for i, want := range recs {
			got, ok := r.Get(want.ID)
			if ok != (i < n) {
				t.Fatalf("reader %d with %d records: %s present %v", opens, n, want.ID, ok)
			}
			if ok {
				if diff := sameRecord(got, want); diff != "" {
					t.Fatal(diff)
				}
			}
		}
		r.Close()
	}
	wg.Wait()
	if last != batches*per {
		t.Errorf("last reader saw %d records, want %d", last, batches*per)
	}
	t.Logf("%d readers opened during %d appends", opens, batches-1)
}

// The crash test runs a child process (this test binary) that adds
// batches in a loop and prints each acknowledged total, and kills it with
// SIGKILL at random moments.
const crashChildEnv = "VECTORSTORE_CRASH_CHILD_DIR"

const crashDim, crashBatch = 32, 50

// crashReopen is how many batches the crash child adds between a Close
// and a reopen.
const crashReopen = 15

func crashRecords() []Record { return makeRecords(14, "c", 200*crashBatch, crashDim) }

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("run by TestCrash")
	}
	recs := crashRecords()
	s := openStore(t, dir, crashDim)
	fmt.Println("ready")
	for lo := s.Len(); lo < len(recs); lo += crashBatch {
		mustAdd(t, s, recs[lo:min(lo+crashBatch, len(recs))])
		fmt.Printf("ack %d\n", min(lo+crashBatch, len(recs)))
		if (lo/crashBatch)%crashReopen == crashReopen-1 {
			// Close writes the snapshot (records.idx): kills also land
			// while it is written, and on a store that has one.
			mustClose(t, s)
			s = openStore(t, dir, crashDim)
		}
	}
	mustClose(t, s)
	fmt.Println("done")
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	ctx := context.Background()
	dir := t.TempDir()
	recs := crashRecords()
	rng := rand.New(rand.NewPCG(15, 15))
	stored := 0 // records stored before the round
	for round := range 20 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := 0
		var mu sync.Mutex
		read, ready := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(read)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if sc.Text() == "ready" {
					close(ready)
				}
				if v, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
					n, _ := strconv.Atoi(v)
					mu.Lock()
					acked = n
					mu.Unlock()
				}
			}
		}()
		// Kill at a random moment of the ingest, which takes a second or two.
		select {
		case <-ready:
		case <-read:
		}
		time.Sleep(time.Duration(rng.IntN(800)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		<-read
		cmd.Wait()

		mu.Lock()
		a := max(acked, stored)
		mu.Unlock()
		s, err := Open(ctx, dir, Options{ReadOnly: true})
		if errors.Is(err, ErrNotExist) && a == 0 {
			continue // killed before it created the store
		}
		if err != nil {
			t.Fatalf("round %d: open after kill: %v", round, err)
		}
		n := s.Len()
		// Every acknowledged batch is there; at most the batch being
		// written when the child died is there in part.
		if n < a || n > a+crashBatch {
			t.Fatalf("round %d: %d records after a kill with %d acknowledged", round, n, a)
		}
		for i, want := range recs {
			got, ok := s.Get(want.ID)
			if ok != (i < n) {
				t.Fatalf("round %d: %d records, but %s present: %v", round, n, want.ID, ok)
			}
			if ok {
				if diff := sameRecord(got, want); diff != "" {
					t.Fatalf("round %d: %s", round, diff)
				}
			}
		}
		s.Close()
		t.Logf("round %d: killed with %d acknowledged, %d stored (snapshot used: %v)", round, a, n, s.fromSnap)
		stored = n
		if n == len(recs) {
			// Start over, so that later kills also land mid-ingest.
			os.RemoveAll(dir)
			stored = 0
		}
	}
}

// TestCutAfterClose checks that a log cut short after a clean Close (a
// copy gone wrong, a full disk, a hand edit) is reported, not taken for
// the torn end of a crashed write: the records after the cut would
// otherwise vanish without a word.
func TestCutAfterClose(t *testing.T) {
	ctx := context.Background()
	const dim, n = 8, 6
	dir := t.TempDir()
	s := openStore(t, dir, dim)
	recs := makeRecords(12, "c", n, dim)
	mustAdd(t, s, recs[:3])
	half := logSize(t, dir) // a frame boundary
	mustAdd(t, s, recs[3:])
	mustClose(t, s)
	path := filepath.Join(dir, logName)
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int64{half, half + 10, int64(len(whole)) - 1} {
		if err := os.WriteFile(path, whole[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		for _, ro := range []bool{true, false} {
			_, err := Open(ctx, dir, Options{ReadOnly: ro})
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.File != path {
				t.Fatalf("cut at %d (read-only %v): err = %v, want a *CorruptError naming %s", cut, ro, err, path)
			}
		}
	}
	// Repair keeps what is left and the store opens again.
	if err := os.WriteFile(path, whole[:half], 0o600); err != nil {
		t.Fatal(err)
	}
	kept, err := Repair(ctx, dir)
	if err != nil || kept != 3 {
		t.Fatalf("Repair = %d, %v; want 3 records", kept, err)
	}
	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatalf("open after repair: %v", err)
	}
	if s.Len() != 3 {
		t.Errorf("%d records after repair, want 3", s.Len())
	}
	mustClose(t, s)
	// And a compacted store records its new, shorter length.
	s, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, recs[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	if s, err = Open(ctx, dir, Options{ReadOnly: true}); err != nil {
		t.Fatalf("open after compact: %v", err)
	}
	if s.Len() != 2 {
		t.Errorf("%d records after compact, want 2", s.Len())
	}
	mustClose(t, s)
}
