package killloop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/paper"
	"github.com/papermap/papermap/vectorstore"
)

// Config says what to run. Binary, Input and Dir are required; the zero
// value of every other field is the documented default.
type Config struct {
	// Binary is a built papermap binary.
	Binary string
	// Input is the file given to `papermap ingest`.
	Input string
	// Args are further ingest flags, e.g. "--embedder", "lexical".
	Args []string
	// Dir is where the stores are made; it must exist.
	Dir string
	// Kills is how many SIGKILLs to deliver (default 20). Runs that finish
	// before their kill do not count.
	Kills int
	// MaxChain is how many kills one store takes before a rerun finishes
	// it (default 3).
	MaxChain int
	// Seed seeds every random choice (the kill moments).
	Seed uint64
	// VectorTolerance is the largest difference allowed between a
	// component of a stored vector and the reference's (default 1e-6): a
	// resumed ingest must give the vectors an undisturbed one gives.
	VectorTolerance float64
	// Logf, if set, is told of every run and kill as it happens.
	Logf func(format string, args ...any)
}

// Timeline is when the reference ingest reached each step, measured from
// its start by watching the store directory.
type Timeline struct {
	Store    time.Duration // the record log appeared: input read, store opened
	Model    time.Duration // lexical.model appeared: model fitted
	Manifest time.Duration // manifest.json appeared
	Records  time.Duration // the first records reached the log
	Snapshot time.Duration // records.idx appeared: the store's Close began writing it
	End      time.Duration // the process exited
}

// Kill is one SIGKILL delivered to an ingest.
type Kill struct {
	Store  int           // index of the store
	Run    int           // index of the run on that store
	Aim    string        // the phase aimed at: reading, fitting, writing or resume
	At     time.Duration // when the kill was sent, from the start of the run
	Before int           // papers stored before the run (-1: no store)
	After  int           // papers stored after the kill, by `info` (-1: no store)
	State  string        // what the kill left, from the store's files
}

// Report is what Run did and saw.
type Report struct {
	Expected  int      // papers the reference ingest stored
	Skipped   int      // input papers it reported as skipped
	Reference Timeline // the reference ingest's steps
	Kills     []Kill
	// Completed counts runs that finished before their kill was due.
	Completed int
	// Reruns counts the final reruns, one per store; each completed.
	Reruns int
	// Final is the final count of each store.
	Final []int
	// MaxVectorDiff is the largest difference between a component of a
	// stored vector and the reference's, over all stores.
	MaxVectorDiff float64
	Elapsed       time.Duration
}

// Run runs the kill loop described in the package documentation. It
// returns an error for the first violation it sees, together with the
// report so far.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Binary == "" || cfg.Input == "" || cfg.Dir == "" {
		return nil, errors.New("killloop: Binary, Input and Dir are required")
	}
	if cfg.Kills <= 0 {
		cfg.Kills = 20
	}
	if cfg.MaxChain <= 0 {
		cfg.MaxChain = 3
	}
	if cfg.VectorTolerance <= 0 {
		cfg.VectorTolerance = 1e-6
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	l := &loop{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x6b696c6c)), rep: &Report{}}
	start := time.Now()
	err := l.run(ctx)
	l.rep.Elapsed = time.Since(start)
	if l.ref != nil {
		l.ref.Close()
	}
	return l.rep, err
}

type loop struct {
	cfg Config
	rng *rand.Rand
	rep *Report

	input  map[string]paper.Paper // kept input papers by ID
	ref    *corpus.Corpus         // the reference store, open read-only
	refIDs []string
	// resume is how long a run on a part-done store took, from taking the
	// lock to its end, when one last finished; zero until one did.
	resume time.Duration
}

func (l *loop) run(ctx context.Context) error {
	ps, _, err := paper.ReadFile(l.cfg.Input, paper.Options{})
	if err != nil {
		return fmt.Errorf("killloop: read the input: %w", err)
	}
	kept, _ := paper.Dedupe(ps)
	l.input = make(map[string]paper.Paper, len(kept))
	for _, p := range kept {
		l.input[p.ID] = p
	}
	if err := l.reference(ctx); err != nil {
		return err
	}

	for s := 0; len(l.rep.Kills) < l.cfg.Kills; s++ {
		if s > 4*l.cfg.Kills {
			return fmt.Errorf("killloop: only %d of %d kills landed in %d stores: every run finished before its kill", len(l.rep.Kills), l.cfg.Kills, s)
		}
		if err := l.store(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// summary is the part of `ingest --json` the loop reads.
type summary struct {
	Complete bool `json:"complete"`
	Ingested int  `json:"ingested"`
	Skipped  []struct {
		ID string `json:"id"`
	} `json:"skipped"`
}

func (l *loop) ingestArgs(store string) []string {
	args := []string{"ingest", "--json", "--quiet", "--store", store}
	args = append(args, l.cfg.Args...)
	return append(args, l.cfg.Input)
}

// reference runs the undisturbed ingest and checks its store.
func (l *loop) reference(ctx context.Context) error {
	store := filepath.Join(l.cfg.Dir, "reference")
	cmd := exec.CommandContext(ctx, l.cfg.Binary, l.ingestArgs(store)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	tl := &l.rep.Reference
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("killloop: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
watch:
	for {
		select {
		case werr = <-done:
			break watch
		case <-tick.C:
		}
		el := time.Since(start)
		seen := func(d *time.Duration, name string, minSize int64) {
			if *d != 0 {
				return
			}
			if fi, err := os.Stat(filepath.Join(store, name)); err == nil && fi.Size() > minSize {
				*d = el
			}
		}
		seen(&tl.Store, "records.log", -1)
		seen(&tl.Model, "lexical.model", -1)
		seen(&tl.Manifest, "manifest.json", -1)
		seen(&tl.Records, "records.log", 16) // beyond the log header
		seen(&tl.Snapshot, "records.idx", -1)
	}
	tl.End = time.Since(start)
	if werr != nil {
		return fmt.Errorf("killloop: the reference ingest failed: %v\n%s", werr, errb.String())
	}
	if tl.Model == 0 {
		return errors.New("killloop: the reference ingest wrote no lexical.model: the loop needs a new store and the lexical embedder")
	}
	// A step too quick to be seen by the 1 ms poll takes the time of the
	// next one.
	tl.Records = max(tl.Records, tl.Manifest)
	var sum summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || !sum.Complete {
		return fmt.Errorf("killloop: the reference ingest's summary is not a complete JSON summary (%v):\n%s", err, out.String())
	}
	l.rep.Skipped = len(sum.Skipped)
	c, err := corpus.Open(ctx, store, corpus.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("killloop: open the reference store: %w", err)
	}
	l.ref = c
	l.refIDs = c.Store().IDs()
	l.rep.Expected = len(l.refIDs)
	if sum.Ingested != l.rep.Expected {
		return fmt.Errorf("killloop: the reference ingest says it stored %d papers, its store holds %d", sum.Ingested, l.rep.Expected)
	}
	// Nothing lost silently: every input paper is stored or reported.
	reported := make(map[string]bool, len(sum.Skipped))
	for _, s := range sum.Skipped {
		reported[s.ID] = true
	}
	for id := range l.input {
		if _, ok := c.Store().Lookup(id); !ok && !reported[id] {
			return fmt.Errorf("killloop: input paper %s is neither stored nor reported as skipped by the reference ingest", id)
		}
	}
	l.cfg.Logf("reference: %d papers stored, %d skipped; store opened at %v, model saved at %v, manifest at %v, first records at %v, snapshot at %v, exit at %v",
		l.rep.Expected, l.rep.Skipped, ms(tl.Store), ms(tl.Model), ms(tl.Manifest), ms(tl.Records), ms(tl.Snapshot), ms(tl.End))
	_, err = l.verify(ctx, store)
	return err
}

// aim is a stretch of an ingest that a kill aims at: the kill comes a
// random delay within span after the trigger fires.
type aim struct {
	name    string
	trigger func(dir string, pid int, start time.Time) bool
	span    time.Duration
}

// aims returns the stretches of a run on a new store: reading the input
// (from the start until the store is opened), fitting the lexical model
// (from when the run holds the store's lock until the model is saved) and
// writing (model, manifest, records, close). The triggers watch the run's
// own files, so the kills follow the run however fast the machine is that
// day; the spans are those of the reference run.
func (l *loop) aims() []aim {
	tl := l.rep.Reference
	return []aim{
		{"reading", atStart, tl.Store},
		{"fitting", holdsLock, tl.Model - tl.Store},
		// Writing runs to the exit: after the last records, Close
		// writes the snapshot (records.idx) and the manifest, and the
		// exact-term index is saved; kills land there too.
		{"writing", savedModel, tl.End - tl.Model},
	}
}

func atStart(string, int, time.Time) bool { return true }

// holdsLock reports whether the process pid has opened the store in dir:
// a writer puts its pid in LOCK once it holds the lock.
func holdsLock(dir string, pid int, _ time.Time) bool {
	b, err := os.ReadFile(filepath.Join(dir, "LOCK"))
	return err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(pid)
}

// savedModel reports whether the lexical model was saved since start.
func savedModel(dir string, _ int, start time.Time) bool {
	fi, err := os.Stat(filepath.Join(dir, "lexical.model"))
	return err == nil && !fi.ModTime().Before(start.Add(-time.Second/100))
}

// store kills ingests on store s until MaxChain kills, the kill quota or a
// finished run, then reruns it to the end and checks it.
func (l *loop) store(ctx context.Context, s int) error {
	dir := filepath.Join(l.cfg.Dir, fmt.Sprintf("store-%02d", s))
	for run := 0; run < l.cfg.MaxChain && len(l.rep.Kills) < l.cfg.Kills; run++ {
		before, _, err := l.info(ctx, dir)
		if err != nil {
			return err
		}
		if before == l.rep.Expected {
			break // every record is in: a run would only find them
		}
		var a aim
		if hasFile(dir, "manifest.json") {
			// The model is saved: what is left is reading, folding the
			// papers into the model and writing them.
			// Until a resumed run has been seen to finish, aim over the
			// length of a whole run: the first such run then most
			// likely finishes and teaches the length.
			span := l.resume
			if span == 0 {
				span = l.rep.Reference.End
			}
			a = aim{"resume", holdsLock, span}
		} else {
			// Each store starts with another phase, so that every
			// phase is hit on a new store and after earlier kills.
			a = l.aims()[(s+run)%3]
		}
		delay := time.Duration(l.rng.Float64() * float64(a.span))
		k := Kill{Store: s, Run: run, Aim: a.name, Before: before}
		killed, at, took, err := l.runAndKill(ctx, dir, a, delay)
		if err != nil {
			return err
		}
		if !killed {
			l.rep.Completed++
			if a.name == "resume" && at > 0 {
				l.resume = took - at // from holding the lock to the end
			}
			l.cfg.Logf("store %d run %d: finished in %v, before its kill (%s, %v after the trigger)", s, run, ms(took), a.name, ms(delay))
			break
		}
		k.At = at
		after, state, err := l.info(ctx, dir)
		if err != nil {
			return fmt.Errorf("%w (after a kill at %v, aimed at %s)", err, ms(k.At), k.Aim)
		}
		k.After, k.State = after, state
		l.rep.Kills = append(l.rep.Kills, k)
		l.cfg.Logf("kill %2d: store %d run %d, SIGKILL at %v (aimed at %s): %d papers before, %d after; left %s",
			len(l.rep.Kills), s, run, ms(k.At), k.Aim, k.Before, k.After, k.State)
	}

	// The rerun that must finish the job.
	args := l.ingestArgs(dir)
	cmd := exec.CommandContext(ctx, l.cfg.Binary, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("killloop: store %d: the rerun failed: %v\n%s", s, err, errb.String())
	}
	took := time.Since(start)
	if err := noPanic(errb.String()); err != nil {
		return fmt.Errorf("killloop: store %d rerun: %w", s, err)
	}
	var sum summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || !sum.Complete || sum.Ingested != l.rep.Expected {
		return fmt.Errorf("killloop: store %d: the rerun's summary says complete=%v ingested=%d, want a complete run of %d (%v):\n%s",
			s, sum.Complete, sum.Ingested, l.rep.Expected, err, out.String())
	}
	l.rep.Reruns++
	n, err := l.verify(ctx, dir)
	l.rep.Final = append(l.rep.Final, n)
	if err != nil {
		return fmt.Errorf("killloop: store %d after its rerun: %w", s, err)
	}
	l.cfg.Logf("store %d: rerun completed in %v; %d papers, exactly the reference's", s, ms(took), n)
	return os.RemoveAll(dir)
}

// runAndKill starts an ingest on dir and kills it delay after a's trigger
// fires. It reports whether the kill landed (false: the run had finished,
// which it must have done successfully), when it was sent and how long the
// run lasted, all from the start of the run. When the run finishes first,
// at is when the trigger fired (0 if it never did).
func (l *loop) runAndKill(ctx context.Context, dir string, a aim, delay time.Duration) (killed bool, at, took time.Duration, err error) {
	cmd := exec.CommandContext(ctx, l.cfg.Binary, l.ingestArgs(dir)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return false, 0, 0, fmt.Errorf("killloop: %w", err)
	}
	pid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	var deadline time.Time // zero until the trigger fires
	var werr error
wait:
	for {
		select {
		case werr = <-done:
			break wait
		case <-tick.C:
		}
		now := time.Now()
		if deadline.IsZero() && a.trigger(dir, pid, start) {
			deadline = now.Add(delay)
			at = now.Sub(start)
		}
		if !deadline.IsZero() && !now.Before(deadline) {
			at = now.Sub(start)
			// Kill may fail if the process has just exited: Wait tells.
			_ = cmd.Process.Signal(syscall.SIGKILL)
			werr = <-done
			break wait
		}
	}
	took = time.Since(start)
	if err := noPanic(errb.String()); err != nil {
		return false, at, took, fmt.Errorf("killloop: %s: %w", dir, err)
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		return true, at, took, nil
	}
	if werr != nil {
		return false, at, took, fmt.Errorf("killloop: an ingest into %s failed by itself: %v\n%s", dir, werr, errb.String())
	}
	return false, at, took, nil
}

// info runs `papermap info --json` on dir and returns the paper count (-1
// when there is no store yet) and a description of what the store's files
// say about how far the last run got.
func (l *loop) info(ctx context.Context, dir string) (int, string, error) {
	cmd := exec.CommandContext(ctx, l.cfg.Binary, "info", "--json", "--store", dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if perr := noPanic(errb.String()); perr != nil {
		return 0, "", fmt.Errorf("killloop: info on %s: %w", dir, perr)
	}
	if err != nil {
		// Killed before the record log was made: there is no store, and
		// info must say exactly that.
		if !hasFile(dir, "records.log") && strings.Contains(errb.String(), "no papermap store there") {
			return -1, "no store (killed before the record log was made)", nil
		}
		return 0, "", fmt.Errorf("killloop: info cannot open %s: %v\n%s", dir, err, errb.String())
	}
	var got struct {
		Papers   int    `json:"papers"`
		Embedder string `json:"embedder"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		return 0, "", fmt.Errorf("killloop: info on %s printed no JSON (%v):\n%s", dir, err, out.String())
	}
	if got.Papers < 0 || got.Papers > l.rep.Expected {
		return 0, "", fmt.Errorf("killloop: info counts %d papers in %s; the input has %d", got.Papers, dir, l.rep.Expected)
	}
	var state string
	switch {
	case !hasFile(dir, "lexical.model") && !hasFile(dir, "manifest.json"):
		state = "an empty store (killed while fitting)"
	case !hasFile(dir, "manifest.json"):
		state = "the model saved, no manifest yet"
	case got.Papers == 0:
		state = "model and manifest, no records yet"
	case got.Papers < l.rep.Expected:
		state = "part of the records"
	default:
		state = "every record"
	}
	if hasFile(dir, "records.idx") {
		state += ", a snapshot"
	}
	return got.Papers, state, nil
}

// verify checks the store in dir against the input and the reference
// store, and returns its count.
func (l *loop) verify(ctx context.Context, dir string) (int, error) {
	c, err := corpus.Open(ctx, dir, corpus.Options{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", dir, err)
	}
	defer c.Close()
	st := c.Store()
	ids := st.IDs()
	if len(ids) != len(l.refIDs) {
		return len(ids), fmt.Errorf("%s holds %d papers, want exactly %d", dir, len(ids), len(l.refIDs))
	}
	for i, id := range ids {
		if i > 0 && ids[i-1] == id {
			return len(ids), fmt.Errorf("%s holds paper %s twice", dir, id)
		}
		if id != l.refIDs[i] {
			return len(ids), fmt.Errorf("%s holds paper %s where the reference holds %s", dir, id, l.refIDs[i])
		}
	}
	m, ok := st.Manifest()
	if !ok {
		return len(ids), fmt.Errorf("%s has papers but no manifest", dir)
	}
	dim := m.Embedder.Dimensions
	for _, id := range ids {
		r, ok := st.Get(id)
		if !ok {
			return len(ids), fmt.Errorf("%s lists paper %s but cannot get it", dir, id)
		}
		p, ok := l.input[id]
		if !ok {
			return len(ids), fmt.Errorf("%s holds paper %s, which is not in the input", dir, id)
		}
		if r.Metadata["title"] != p.Title || r.Content != p.Abstract {
			return len(ids), fmt.Errorf("%s: paper %s is stored with title %.60q and a %d-byte abstract; the input has %.60q and %d bytes",
				dir, id, r.Metadata["title"], len(r.Content), p.Title, len(p.Abstract))
		}
		if h, _ := st.Lookup(id); h != vectorstore.HashRecord(r.Content, r.Metadata) {
			return len(ids), fmt.Errorf("%s: paper %s: the stored hash does not match its content", dir, id)
		}
		if len(r.Embedding) != dim {
			return len(ids), fmt.Errorf("%s: paper %s has a %d-dimensional vector, the store %d", dir, id, len(r.Embedding), dim)
		}
		var ss float64
		for _, v := range r.Embedding {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return len(ids), fmt.Errorf("%s: paper %s has a non-finite vector", dir, id)
			}
			ss += float64(v) * float64(v)
		}
		if d := math.Abs(math.Sqrt(ss) - 1); d > 1e-5 {
			return len(ids), fmt.Errorf("%s: paper %s has a vector of norm %g", dir, id, math.Sqrt(ss))
		}
		ref, _ := l.ref.Store().Get(id)
		if len(ref.Embedding) != dim {
			return len(ids), fmt.Errorf("%s: the reference vector of %s has %d dimensions, this store %d", dir, id, len(ref.Embedding), dim)
		}
		for j, v := range r.Embedding {
			d := math.Abs(float64(v) - float64(ref.Embedding[j]))
			l.rep.MaxVectorDiff = max(l.rep.MaxVectorDiff, d)
			if d > l.cfg.VectorTolerance {
				return len(ids), fmt.Errorf("%s: paper %s: component %d of its vector is %g, the reference's %g", dir, id, j, v, ref.Embedding[j])
			}
		}
	}
	return len(ids), nil
}

// noPanic returns an error if a run's standard error shows a Go panic or
// a runtime crash.
func noPanic(stderr string) error {
	for _, bad := range []string{"panic:", "goroutine ", "fatal error:", "SIGSEGV"} {
		if strings.Contains(stderr, bad) {
			return fmt.Errorf("the process crashed (%q on stderr):\n%s", bad, stderr)
		}
	}
	return nil
}

func hasFile(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// ms rounds d for messages.
func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// Phases returns how many kills aimed at each phase, in the order reading,
// fitting, writing, resume, for reports.
func (r *Report) Phases() map[string]int {
	m := make(map[string]int)
	for _, k := range r.Kills {
		m[k.Aim]++
	}
	return m
}

// States returns how many kills left each store state, for reports.
func (r *Report) States() map[string]int {
	m := make(map[string]int)
	for _, k := range r.Kills {
		m[k.State]++
	}
	return m
}

// Summary is a one-paragraph account of the report.
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d SIGKILLs (", len(r.Kills))
	ph := r.Phases()
	first := true
	for _, name := range []string{"reading", "fitting", "writing", "resume"} {
		if ph[name] == 0 {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		fmt.Fprintf(&b, "%d aimed at %s", ph[name], name)
	}
	fmt.Fprintf(&b, "), %d runs finished before their kill, %d final reruns; final counts %v, each exactly %d; max vector difference to the reference %.3g; %v",
		r.Completed, r.Reruns, compact(r.Final), r.Expected, r.MaxVectorDiff, r.Elapsed.Round(time.Second))
	return b.String()
}

// compact shows a list of equal counts as "N×v".
func compact(xs []int) string {
	if len(xs) > 0 && slices.Min(xs) == slices.Max(xs) {
		return fmt.Sprintf("%d×%d", len(xs), xs[0])
	}
	return fmt.Sprint(xs)
}
