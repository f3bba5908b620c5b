package ollama

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// errOllamaRunDone cancels a run's context once every batch is embedded, to
// release the workers still waiting for work.
var errOllamaRunDone = errors.New("ollama: all batches embedded")

// ollamaBatch is a run of consecutive texts sent in one request. A batch is
// always either in the run's queue or held by exactly one worker, so its
// counters need no lock.
type ollamaBatch struct {
	index      int      // 0-based, in the original division into batches
	start, end int      // texts[start:end]
	texts      []string // the texts as given, or cut short (never written to)
	input      []string // prefixed texts
	failures   int      // transient failures on reached servers
	bad        int      // 200 OK answers with unusable vectors
	crashes    int      // runner crashes on this one text
	cuts       int      // times this one text was cut in half
	runes      int      // length of the text before the first cut
}

// ollamaRun is one call of Embed: a queue of batches and a pool of workers,
// Concurrency per host, each pulling the next batch for its host.
type ollamaRun struct {
	o       *Client
	prefix  string
	out     [][]float32 // out[i] is texts[i]'s vector; each batch writes its own range
	batches int         // in the original division
	// queue has room for one batch per text, the most there can be after
	// splitting, so that a requeue never blocks.
	queue    chan *ollamaBatch
	left     atomic.Int64 // batches not yet embedded
	embedded atomic.Int64 // texts embedded, for progress in errors

	mu        sync.Mutex // guards alive, hostErrs and crashCuts
	alive     int        // hosts not given up on
	hostErrs  []error    // why each given-up host was given up on
	crashCuts []crashCut // texts cut after runner crashes, reported once at the end
}

// crashCut is a text embedded only in part because whole, and then longer
// parts of it, crashed the model runner.
type crashCut struct {
	text        int // index
	kept, runes int // characters embedded, of the text's (as sent)
}

// warnCrashCuts reports every crashCut of the run in one warning.
func (r *ollamaRun) warnCrashCuts() {
	r.mu.Lock()
	cuts := slices.Clone(r.crashCuts)
	r.mu.Unlock()
	if len(cuts) == 0 {
		return
	}
	slices.SortFunc(cuts, func(a, b crashCut) int { return a.text - b.text })
	idx := make([]int, len(cuts))
	for k, c := range cuts {
		idx[k] = c.text
	}
	verb := "each was"
	if len(cuts) == 1 {
		verb = "it was"
	}
	r.o.warn(fmt.Sprintf(
		"ollama: the Ollama model runner crashed on %s, or refused it as longer than the model's context; %s cut in half until it went through",
		ollamaTextList(idx, func(k int) string {
			return fmt.Sprintf("embedded: its first %d of %d characters", cuts[k].kept, cuts[k].runes)
		}), verb))
}

// ollamaHostRun is one host's state during one run.
type ollamaHostRun struct {
	h *ollamaHost

	mu        sync.Mutex // guards the fields below
	failures  int        // in a row
	crashes   int        // runner crashes in a row
	notBefore time.Time  // no new request before this (backoff)
	retired   bool       // failed more than MaxRetries times in a row
	lastErr   error
}

func newOllamaRun(o *Client, texts []string, prefix string) *ollamaRun {
	bs := o.opts.BatchSize
	n := (len(texts) + bs - 1) / bs
	r := &ollamaRun{
		o:       o,
		prefix:  prefix,
		out:     make([][]float32, len(texts)),
		batches: n,
		queue:   make(chan *ollamaBatch, len(texts)),
		alive:   len(o.hosts),
	}
	r.left.Store(int64(n))
	for i := range n {
		b := &ollamaBatch{index: i, start: i * bs, end: min((i+1)*bs, len(texts))}
		b.texts = texts[b.start:b.end]
		b.input = make([]string, len(b.texts))
		for j, t := range b.texts {
			b.input[j] = prefix + t
		}
		r.queue <- b
	}
	return r
}

func (r *ollamaRun) run(parent context.Context) ([][]float32, error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	var wg sync.WaitGroup
	for _, h := range r.o.hosts {
		hr := &ollamaHostRun{h: h}
		for range r.o.opts.Concurrency {
			wg.Go(func() { r.work(ctx, cancel, hr) })
		}
	}
	wg.Wait()
	if r.left.Load() == 0 {
		return r.out, nil
	}
	// Every worker has returned, so r.out is complete as far as it goes:
	// the batches embedded (and checked) before the failure, nil elsewhere.
	if parent.Err() != nil {
		return r.out, fmt.Errorf("ollama: stopped with %d of %d texts embedded: %w",
			r.embedded.Load(), len(r.out), context.Cause(parent))
	}
	return r.out, context.Cause(ctx)
}

// work embeds batches on hr's host until the run is over or the host is
// given up on.
func (r *ollamaRun) work(ctx context.Context, cancel context.CancelCauseFunc, hr *ollamaHostRun) {
	for {
		if !hr.wait(ctx) {
			return
		}
		var b *ollamaBatch
		select {
		case <-ctx.Done():
			return
		case b = <-r.queue:
		}
		if hr.blocked() {
			// Another worker of this host failed while this one waited for
			// work: leave the batch to others and back off too.
			r.queue <- b
			continue
		}

		vecs, err := r.o.send(ctx, hr.h, b.input, r.o.dims)
		if err == nil {
			copy(r.out[b.start:b.end], vecs)
			r.embedded.Add(int64(b.end - b.start))
			hr.succeeded()
			if b.cuts > 0 {
				r.mu.Lock()
				r.crashCuts = append(r.crashCuts, crashCut{text: b.start, kept: utf8.RuneCountInString(b.texts[0]), runes: b.runes})
				r.mu.Unlock()
			}
			if r.left.Add(-1) == 0 {
				cancel(errOllamaRunDone)
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}

		kind := classifyOllamaError(err)
		if kind == failTimeout {
			if len(b.texts) > 1 {
				r.split(b)
				continue
			}
			kind = failTransient
		}
		if kind == failTooLong {
			// A refusal is no crash: the host is fine, the text too long.
			if err := r.crashed(hr.h, b, err, true); err != nil {
				cancel(err)
				return
			}
			continue
		}
		if kind == failCrash {
			if hr.crashed() <= maxCrashesInARow {
				if err := r.crashed(hr.h, b, err, false); err != nil {
					cancel(err)
					return
				}
				continue
			}
			// A runner that crashes on everything is a failing host,
			// whatever the texts.
			kind = failTransient
		}
		switch kind {
		case failPermanent:
			cancel(r.batchError(b, err))
			return
		case failBad:
			if b.bad++; b.bad >= maxBadAnswers {
				cancel(r.batchError(b, fmt.Errorf("gave up after %d unusable answers: %w", b.bad, err)))
				return
			}
		case failTransient:
			if b.failures++; b.failures > r.o.opts.MaxRetries {
				cancel(r.batchError(b, fmt.Errorf("gave up after %d attempts: %w", b.failures, err)))
				return
			}
		case failUnreached:
			// The batch never reached a server: not its fault.
		}
		r.queue <- b
		if hr.fail(r.o, err) {
			r.retire(hr, cancel)
			return
		}
	}
}

// crashed handles a runner crash on batch b (see failCrash), or a refusal
// of it as too long (failTooLong, refused true). A batch of several texts
// is split in two, to find the text at fault. A single text that crashed
// the runner is tried once more as it is, in case the crash had another
// cause; then (at once for a refused text) it is cut in half, up to maxCuts
// times, since the server would have cut it anyway (truncate is on) had it
// not crashed; its success is reported through Options.Warn. It
// returns an error when the text still fails.
func (r *ollamaRun) crashed(h *ollamaHost, b *ollamaBatch, err error, refused bool) error {
	if len(b.texts) > 1 {
		r.split(b)
		return nil
	}
	if b.crashes++; b.crashes == 1 && !refused {
		r.queue <- b
		return nil
	}
	if b.cuts >= maxCuts {
		return r.batchError(b, fmt.Errorf(
			"the model runner at %s crashed on this text %d times, the last time on only its first %d characters: %w",
			h.url, b.crashes, utf8.RuneCountInString(b.texts[0]), err))
	}
	cut := ollamaHalve(b.texts[0])
	if strings.TrimSpace(cut) == "" {
		return r.batchError(b, fmt.Errorf("the model runner at %s crashed on this text %d times: %w", h.url, b.crashes, err))
	}
	if b.cuts == 0 {
		b.runes = utf8.RuneCountInString(b.texts[0])
	}
	b.cuts++
	b.texts = []string{cut}
	b.input = []string{r.prefix + cut}
	r.queue <- b
	return nil
}

// split queues the two halves of b (of two texts or more) in its place.
// Their counters start afresh.
func (r *ollamaRun) split(b *ollamaBatch) {
	mid := len(b.texts) / 2
	r.left.Add(1)
	r.queue <- &ollamaBatch{index: b.index, start: b.start, end: b.start + mid,
		texts: b.texts[:mid], input: b.input[:mid]}
	r.queue <- &ollamaBatch{index: b.index, start: b.start + mid, end: b.end,
		texts: b.texts[mid:], input: b.input[mid:]}
}

// ollamaHalve returns about the first half of s, cut after a space when
// there is one in the second quarter, and never inside a UTF-8 sequence.
func ollamaHalve(s string) string {
	half := len(s) / 2
	for half > 0 && !utf8.RuneStart(s[half]) {
		half--
	}
	if i := strings.LastIndexAny(s[:half], " \t\n"); i >= len(s)/4 {
		half = i
	}
	return s[:half]
}

// batchError says which texts err stopped.
func (r *ollamaRun) batchError(b *ollamaBatch, err error) error {
	return fmt.Errorf("ollama: batch %d of %d (texts %d-%d): %w", b.index+1, r.batches, b.start, b.end-1, err)
}

// retire records that hr's host is given up on; when it was the last host,
// it ends the run with every host's last error.
func (r *ollamaRun) retire(hr *ollamaHostRun, cancel context.CancelCauseFunc) {
	hr.mu.Lock()
	herr := fmt.Errorf("gave up after %d failures in a row: %w", hr.failures, hr.lastErr)
	hr.mu.Unlock()

	r.mu.Lock()
	defer r.mu.Unlock()
	r.hostErrs = append(r.hostErrs, herr)
	if r.alive--; r.alive > 0 {
		return
	}
	done := r.embedded.Load()
	if len(r.hostErrs) == 1 {
		cancel(fmt.Errorf("ollama: stopped with %d of %d texts embedded: %w", done, len(r.out), herr))
		return
	}
	cancel(fmt.Errorf("ollama: stopped with %d of %d texts embedded: every Ollama host failed:\n%w",
		done, len(r.out), errors.Join(r.hostErrs...)))
}

// wait blocks until the host may be sent a request; it reports false when
// the host is given up on or ctx is done.
func (hr *ollamaHostRun) wait(ctx context.Context) bool {
	for {
		hr.mu.Lock()
		retired, notBefore := hr.retired, hr.notBefore
		hr.mu.Unlock()
		if retired {
			return false
		}
		d := time.Until(notBefore)
		if d <= 0 {
			return true
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// blocked reports whether the host is backing off or given up on.
func (hr *ollamaHostRun) blocked() bool {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	return hr.retired || time.Now().Before(hr.notBefore)
}

func (hr *ollamaHostRun) succeeded() {
	hr.mu.Lock()
	hr.failures, hr.crashes = 0, 0
	hr.mu.Unlock()
}

// crashed counts a runner crash and returns the number in a row.
func (hr *ollamaHostRun) crashed() int {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	hr.crashes++
	return hr.crashes
}

// fail records a failure and sets the backoff; it reports true exactly once,
// when this failure makes the host given up on (more than MaxRetries
// failures in a row).
func (hr *ollamaHostRun) fail(o *Client, err error) (retireNow bool) {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	hr.failures++
	hr.lastErr = err
	if hr.retired {
		return false
	}
	if hr.failures > o.opts.MaxRetries {
		hr.retired = true
		return true
	}
	hr.notBefore = time.Now().Add(o.backoff(hr.failures))
	return false
}
