// Command mapopen measures how long papermap's interactive map takes to
// open in headless Chromium (issue 11 item 5):
//
//	go run ./bench/mapopen [--rounds 3] [--timeout 10m] FILE.html...
//
// For each round and file (files alternate within a round) it starts a
// fresh Chromium (1400 × 900, a new profile), navigates to the file and
// waits for the map's own window.papermap.ready (drawn and its snippets
// inflated). It prints, per file, the medians of: the first draw
// (window.papermap.stats.firstDrawMs: milliseconds from navigation start,
// as performance.now() counts them), ready (performance.now() once
// ready) and wall (seconds from the navigation command to ready, outside
// the browser), with the file's size. A file that is not ready within the
// timeout is reported as such.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/papermap/papermap/bench/internal/headless"
)

type result struct{ firstDraw, ready, wall float64 }

func open(path string, timeout time.Duration) (result, error) {
	ctx, stop, err := headless.Start(1400, 900, timeout)
	if err != nil {
		return result{}, err
	}
	defer stop()
	u, err := headless.FileURL(path)
	if err != nil {
		return result{}, err
	}
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return result{}, fmt.Errorf("navigate: %w", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void]("window.papermap && window.papermap.ready", chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		return result{}, fmt.Errorf("not ready: %w", err)
	}
	wall := time.Since(start).Seconds()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[2]float64]("[window.papermap.stats.firstDrawMs, performance.now()]"))
	if err != nil {
		return result{}, err
	}
	return result{v[0], v[1], wall}, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func main() {
	rounds := flag.Int("rounds", 3, "rounds (files alternate within a round)")
	timeout := flag.Duration("timeout", 10*time.Minute, "limit per page open")
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "usage: mapopen [--rounds N] [--timeout D] FILE.html...")
		os.Exit(2)
	}
	res := make([][]result, len(files))
	for r := 0; r < *rounds; r++ {
		for i, f := range files {
			x, err := open(f, *timeout)
			if err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					err = fmt.Errorf("not ready within %v", *timeout)
				}
				fmt.Printf("%s round=%d error=%q\n", f, r+1, err.Error())
				continue
			}
			fmt.Printf("%s round=%d first_draw_ms=%.0f ready_ms=%.0f wall_s=%.2f\n", f, r+1, x.firstDraw, x.ready, x.wall)
			res[i] = append(res[i], x)
		}
	}
	for i, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var fd, rd, wl []float64
		for _, x := range res[i] {
			fd, rd, wl = append(fd, x.firstDraw), append(rd, x.ready), append(wl, x.wall)
		}
		fmt.Printf("%s bytes=%d rounds_ok=%d median_first_draw_ms=%.0f median_ready_ms=%.0f median_wall_s=%.2f\n",
			f, st.Size(), len(res[i]), median(fd), median(rd), median(wl))
	}
}
