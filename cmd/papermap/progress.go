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
// A stage during which no paper can advance (corpus.Progress.Stage, such as
// fitting the lexical model) is named on a line of its own, and the rate
// and ETA are measured from its end, so that they tell how long the rest
// takes. Notices written through notices() get lines of their own too,
// never the end of the bar's line.
type progress struct {
	w     io.Writer
	name  string
	quiet bool
	tty   bool

	mu        sync.Mutex // guards the rest; notices may come from any goroutine
	bar       *progressbar.ProgressBar
	start     time.Time // when the rate is measured from
	startDone int       // Done at start
	last      time.Time
	done      int
	total     int
}

const plainEvery = 5 * time.Second

func newProgress(w io.Writer, name string, quiet bool) *progress {
	return &progress{w: w, name: name, quiet: quiet, tty: isTerminal(w), start: time.Now()}
}

func (p *progress) update(pr corpus.Progress) {
	if p.quiet || pr.Total == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.total = pr.Done, pr.Total
	now := time.Now()
	if pr.Stage != "" {
		p.clearBar()
		p.bar = nil
		fmt.Fprintf(p.w, "%s: %s\n", p.name, pr.Stage)
		// The rate and ETA count from the end of the stage.
		p.start, p.startDone, p.last = time.Time{}, 0, now
		return
	}
	if p.start.IsZero() {
		p.start, p.startDone = now, pr.Done
	}
	if p.tty {
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
	if moved := p.done - p.startDone; el > time.Second && moved > 0 {
		rate := float64(moved) / el.Seconds()
		s += fmt.Sprintf(", %.0f/s", rate)
		if p.done < p.total {
			eta := time.Duration(float64(p.total-p.done) / rate * float64(time.Second))
			s += ", ETA " + eta.Round(time.Second).String()
		}
	}
	return s
}

// clearBar erases the bar from its line, if one is drawn.
func (p *progress) clearBar() {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
}

// notices returns a writer for messages printed while the ingest runs
// (corpus.Options.Notice): each goes on a line of its own, the bar being
// drawn again at the next update.
func (p *progress) notices() io.Writer { return noticeWriter{p} }

type noticeWriter struct{ p *progress }

func (n noticeWriter) Write(b []byte) (int, error) {
	n.p.mu.Lock()
	defer n.p.mu.Unlock()
	n.p.clearBar()
	return n.p.w.Write(b)
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
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
