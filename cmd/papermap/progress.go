package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/papermap/papermap/corpus"
	"github.com/papermap/papermap/internal/format"
)

// progress shows how an ingest advances: a bar with rate and ETA on a
// terminal, plain lines at most every plainEvery otherwise (logs, CI).
type progress struct {
	w     io.Writer
	name  string
	quiet bool
	bar   *progressbar.ProgressBar
	start time.Time
	last  time.Time
	done  int
	total int
}

const plainEvery = 5 * time.Second

func newProgress(w io.Writer, name string, quiet bool) *progress {
	return &progress{w: w, name: name, quiet: quiet, start: time.Now()}
}

func (p *progress) update(pr corpus.Progress) {
	if p.quiet || pr.Total == 0 {
		return
	}
	p.done, p.total = pr.Done, pr.Total
	if isTerminal(p.w) {
		if p.bar == nil {
			p.bar = progressbar.NewOptions(pr.Total,
				progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription(p.name),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("papers"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		_ = p.bar.Set(pr.Done)
		return
	}
	now := time.Now()
	if now.Sub(p.last) < plainEvery && pr.Done < pr.Total {
		return
	}
	if p.last.IsZero() && pr.Done == 0 {
		p.last = now
		return
	}
	p.last = now
	fmt.Fprintln(p.w, p.line(now))
}

func (p *progress) line(now time.Time) string {
	el := now.Sub(p.start)
	s := fmt.Sprintf("%s: %s/%s papers (%d%%)", p.name, format.Int(p.done), format.Int(p.total), 100*p.done/max(p.total, 1))
	if el > time.Second && p.done > 0 {
		rate := float64(p.done) / el.Seconds()
		s += fmt.Sprintf(", %.0f/s", rate)
		if p.done < p.total {
			eta := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
			s += ", ETA " + eta.Round(time.Second).String()
		}
	}
	return s
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

// stageDelay is how long a stage of a computation runs before it is named
// on stderr: quick runs print nothing, slow ones are never silent.
var stageDelay = 2 * time.Second

// stages names the stages of a long computation (corpus.ThemeOptions's
// Progress) on w, each once it has lasted stageDelay, and how long the
// whole took when any was named.
type stages struct {
	w     io.Writer
	name  string
	start time.Time

	mu     sync.Mutex
	gen    int // the current stage; a timer of an earlier one prints nothing
	timer  *time.Timer
	shown  bool
	closed bool
}

func newStages(w io.Writer, name string) *stages {
	return &stages{w: w, name: name, start: time.Now()}
}

// stage starts a stage named msg.
func (s *stages) stage(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.gen++
	gen := s.gen
	if s.timer != nil {
		s.timer.Stop()
	}
	begun := time.Now()
	s.timer = time.AfterFunc(stageDelay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || s.gen != gen {
			return
		}
		s.shown = true
		fmt.Fprintf(s.w, "%s: [%s] %s\n", s.name, begun.Sub(s.start).Round(time.Second), msg)
	})
}

// done ends the stages; it says how long they took if any was named.
func (s *stages) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
	if s.shown {
		fmt.Fprintf(s.w, "%s: done in %s\n", s.name, time.Since(s.start).Round(100*time.Millisecond))
	}
}
