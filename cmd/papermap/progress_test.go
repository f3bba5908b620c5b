package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
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
