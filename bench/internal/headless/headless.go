// Package headless starts the fresh headless Chromium that the bench tools
// drive (bench/mapopen, bench/shot): Debian's /usr/bin/chromium, a new
// profile in a temporary directory, no background network.
package headless

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

var flags = []string{"headless", "no-sandbox", "disable-gpu", "no-first-run", "hide-scrollbars",
	"disable-background-networking", "disable-component-update", "disable-sync", "disable-quic"}

// Start starts Chromium with a width × height viewport and returns its tab's
// context, which ends after timeout, and a function that stops the browser
// and removes its profile.
func Start(width, height int, timeout time.Duration) (context.Context, func(), error) {
	profile, err := os.MkdirTemp("", "papermap-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath("/usr/bin/chromium"), chromedp.UserDataDir(profile)}
	for _, f := range flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	deadline, cancel := context.WithTimeout(context.Background(), timeout)
	alloc, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	stop := func() {
		cancelCtx()
		cancelAlloc()
		cancel()
		os.RemoveAll(profile)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		stop()
		return nil, nil, fmt.Errorf("start chromium: %w", err)
	}
	return ctx, stop, nil
}

// FileURL is the file:// address of path.
func FileURL(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: abs}).String(), nil
}
