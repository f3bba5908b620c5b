package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/papermap/papermap/corpus"
)

// lockedBuffer is a bytes.Buffer safe for the timer goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestStagesNameOnlyLongStages(t *testing.T) {
	old := stageDelay
	stageDelay = 20 * time.Millisecond
	t.Cleanup(func() { stageDelay = old })

	// Quick stages: nothing at all.
	var quiet lockedBuffer
	s := newStages(&quiet, "themes")
	s.stage("one")
	s.stage("two")
	s.done()
	time.Sleep(100 * time.Millisecond) // any timer left would have fired
	if quiet.String() != "" {
		t.Errorf("quick stages printed %q, want nothing", quiet.String())
	}

	// A long stage is named once; a quick one after it is not; done says
	// how long it all took.
	var out lockedBuffer
	s = newStages(&out, "themes")
	s.stage("slow stage")
	time.Sleep(200 * time.Millisecond)
	s.stage("quick stage")
	s.done()
	time.Sleep(100 * time.Millisecond)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "themes: [0s] slow stage") || !strings.HasPrefix(lines[1], "themes: done in ") {
		t.Errorf("printed %q, want the slow stage and the total", lines)
	}
}

// TestProgressRateStartsAfterStage checks that the rate and ETA count from
// the end of a named stage: before, a 15 s lexical fit at 0 papers made the
// first ETA of a 30 s ingest say several minutes.
func TestProgressRateStartsAfterStage(t *testing.T) {
	var out lockedBuffer
	p := newProgress(&out, "ingest", false)
	p.update(corpus.Progress{Done: 0, Total: 100})
	p.update(corpus.Progress{Done: 0, Total: 100, Stage: "fitting the lexical model on 100 papers"})
	if !strings.Contains(out.String(), "ingest: fitting the lexical model on 100 papers\n") {
		t.Fatalf("stage not named on its own line: %q", out.String())
	}
	p.update(corpus.Progress{Done: 40, Total: 100}) // the first step after the fit
	p.update(corpus.Progress{Done: 60, Total: 100})
	// 20 papers in the 2 s since the fit ended: 10/s, 40 left.
	if got, want := p.line(p.start.Add(2*time.Second)), "ingest: 60/100 papers (60%), 10/s, ETA 4s"; got != want {
		t.Errorf("line = %q, want %q", got, want)
	}
}
