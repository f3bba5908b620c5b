package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/papermap/papermap/corpus"
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
	s := fmt.Sprintf("%s: %s/%s papers (%d%%)", p.name, thousands(p.done), thousands(p.total), 100*p.done/max(p.total, 1))
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
