// Command shot takes a screenshot of one of papermap's HTML pages (the
// interactive map or the report) in headless Chromium, as a person would
// see it once the page has drawn:
//
//	go run ./bench/shot [--width 1600] [--height 1000] [--zoom N] [--full] [--wait 2s] FILE.html OUT.png
//
// `chromium --screenshot` fires before the map's canvas has drawn, and
// never shows the map inlined in report.html (a sandboxed iframe), so
// pictures taken with it are blank where the map should be. shot waits
// for the map's own window.papermap.ready where the page has one, or
// --wait after the load (the report: its iframe cannot be read from the
// page), presses the map's zoom-in button --zoom times (sub-theme labels
// appear as you zoom), and then captures the viewport (or, with --full,
// the whole page).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/papermap/papermap/bench/internal/headless"
)

func main() {
	width := flag.Int("width", 1600, "viewport width in CSS pixels")
	height := flag.Int("height", 1000, "viewport height in CSS pixels")
	zoom := flag.Int("zoom", 0, "presses of the map's zoom-in button before the capture")
	full := flag.Bool("full", false, "capture the whole page, not only the viewport")
	wait := flag.Duration("wait", 2*time.Second, "time to wait after the load on pages without the map's ready mark, and after zooming")
	timeout := flag.Duration("timeout", 2*time.Minute, "limit for the whole capture")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: shot [--width W] [--height H] [--zoom N] [--full] [--wait D] FILE.html OUT.png")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if err := shoot(flag.Arg(0), flag.Arg(1), *width, *height, *zoom, *full, *wait, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "shot:", err)
		os.Exit(1)
	}
}

func shoot(page, out string, width, height, zoom int, full bool, wait, timeout time.Duration) error {
	u, err := headless.FileURL(page)
	if err != nil {
		return err
	}
	ctx, stop, err := headless.Start(width, height, timeout)
	if err != nil {
		return err
	}
	defer stop()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return fmt.Errorf("open %s: %w", page, err)
	}
	isMap, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!document.getElementById('pm-zoom-in')"))
	if err != nil {
		return err
	}
	if isMap {
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void]("window.papermap && window.papermap.ready", chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			return fmt.Errorf("%s: the map did not report ready: %w", page, err)
		}
		for range zoom {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pm-zoom-in")), chromedp.Sleep(200*time.Millisecond)); err != nil {
				return fmt.Errorf("zoom in: %w", err)
			}
		}
		if zoom > 0 {
			if err := chromedp.Do(ctx, chromedp.Sleep(wait)); err != nil {
				return err
			}
		}
	} else {
		if zoom > 0 {
			return fmt.Errorf("%s has no map controls to zoom", page)
		}
		if err := chromedp.Do(ctx, chromedp.Sleep(wait)); err != nil {
			return err
		}
	}
	capture := chromedp.CaptureScreenshot()
	if full {
		capture = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(ctx, capture)
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	return os.WriteFile(out, png, 0o644)
}
