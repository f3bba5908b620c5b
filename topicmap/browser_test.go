package topicmap

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"image"
	"image/png"
	"maps"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's chromium over the DevTools protocol. They
// skip when chromium is absent, unless PAPERMAP_BROWSER_TESTS=1 (as in CI),
// which turns its absence into a failure. PAPERMAP_SCREENSHOT=FILE.png saves
// a screenshot of the seed-corpus map for a person to look at.
const browserTestsEnv = "PAPERMAP_BROWSER_TESTS"

// browserFlags are the only command-line flags chromium gets (chromedp adds
// the pipe it talks over and about:blank).
var browserFlags = []string{
	"headless", "no-sandbox", "disable-gpu", "no-first-run",
	"disable-background-networking", "disable-component-update",
	"disable-sync", "disable-quic",
}

func chromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(browserTestsEnv) == "1" {
		tb.Fatalf("chromium not found and %s=1: install it with `apt-get install -y chromium`", browserTestsEnv)
	}
	tb.Skipf("chromium not found (set %s=1 to make this a failure)", browserTestsEnv)
	return ""
}

// newBrowser starts a headless chromium with a fresh profile that is
// stopped after timeout, so a hung browser fails the test instead of
// hanging it. The viewport is 1400 x 900 CSS pixels.
func newBrowser(tb testing.TB, timeout time.Duration) context.Context {
	tb.Helper()
	path := chromiumPath(tb)
	profile, err := os.MkdirTemp("", "papermap-chromium-")
	if err != nil {
		tb.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(profile)}
	for _, f := range browserFlags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	deadline, cancelDeadline := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	tb.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelDeadline()
		// Chromium's helpers may still write to the profile for a moment.
		for range 50 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1400, 900)); err != nil {
		tb.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// watchErrors collects uncaught exceptions, console.error calls and
// error-level log entries (a Content-Security-Policy violation is one) of
// the page; the returned func lists those seen so far.
func watchErrors(tb testing.TB, ctx context.Context) func() []string {
	tb.Helper()
	var mu sync.Mutex
	var errs []string
	add := func(s string) {
		mu.Lock()
		errs = append(errs, s)
		mu.Unlock()
	}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			add((&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				add(fmt.Sprintf("console.error %v", ev.Args))
			}
		case *cdplog.EventEntryAdded:
			if ev.Entry != nil && ev.Entry.Level == cdplog.EntryLevelError {
				add(ev.Entry.Text)
			}
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, runtime.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{})
		return err
	})); err != nil {
		tb.Fatal(err)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

func fileURL(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		panic(err)
	}
	return (&url.URL{Scheme: "file", Path: abs}).String()
}

// openPage loads a file and waits until the map reports it has drawn.
func openPage(tb testing.TB, ctx context.Context, path, ready string) {
	tb.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(fileURL(path))); err != nil {
		tb.Fatalf("loading %s: %v", path, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](ready, chromedp.WithPollingTimeout(90*time.Second))); err != nil {
		tb.Fatalf("page %s never became ready (%s): %v", path, ready, err)
	}
}

func eval[T any](tb testing.TB, ctx context.Context, expr string) T {
	tb.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

type xy struct{ X, Y float64 }

func screenOf(tb testing.TB, ctx context.Context, i int) xy {
	tb.Helper()
	return eval[xy](tb, ctx, fmt.Sprintf("window.papermap.screenOf(%d)", i))
}

func mouse(tb testing.TB, ctx context.Context, typ input.DispatchMouseEventType, p xy, opts ...chromedp.MouseOption) {
	tb.Helper()
	if err := chromedp.Do(ctx, chromedp.MouseEvent(typ, p.X, p.Y, opts...)); err != nil {
		tb.Fatal(err)
	}
}

// nearestByCodes is the reference for the page's neighbour search: cosine
// similarity of the int8 codes (the per-row scales cancel out).
func nearestByCodes(nb *Neighbors, i, k int) []int {
	n := len(nb.Scales)
	norm := func(r int) float64 {
		var s float64
		for _, c := range nb.Codes[r*nb.Dim : (r+1)*nb.Dim] {
			s += float64(c) * float64(c)
		}
		return math.Sqrt(s)
	}
	type scored struct {
		j int
		s float64
	}
	var all []scored
	ni := norm(i)
	for j := range n {
		nj := norm(j)
		if j == i || nj == 0 {
			continue
		}
		var dot float64
		for d := range nb.Dim {
			dot += float64(nb.Codes[i*nb.Dim+d]) * float64(nb.Codes[j*nb.Dim+d])
		}
		all = append(all, scored{j, dot / (ni * nj)})
	}
	slices.SortStableFunc(all, func(a, b scored) int { return cmp.Compare(b.s, a.s) })
	var out []int
	for _, s := range all[:min(k, len(all))] {
		out = append(out, s.j)
	}
	return out
}

func TestBrowserMap(t *testing.T) {
	ctx := newBrowser(t, 3*time.Minute)
	pageErrors := watchErrors(t, ctx)
	m := syntheticMap(3000, 12, 42)
	hostile := withHostile(m)
	page := filepath.Join(t.TempDir(), "map.html")
	if err := WriteFile(page, m); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, page, "window.papermap && window.papermap.ready")

	t.Run("count", func(t *testing.T) {
		if got := eval[int](t, ctx, "window.papermap.pointCount"); got != len(m.Points) {
			t.Errorf("pointCount = %d, want %d", got, len(m.Points))
		}
	})

	t.Run("late data read after the first draw", func(t *testing.T) {
		first, late := eval[float64](t, ctx, "window.papermap.stats.firstDrawMs"), eval[float64](t, ctx, "window.papermap.stats.lateMs")
		if first < 0 || late < first {
			t.Errorf("first draw at %.0f ms, #papermap-late read at %.0f ms: want it read after the draw", first, late)
		}
		if got := eval[string](t, ctx, "document.getElementById('papermap-late').previousElementSibling.textContent.slice(0, 40)"); !strings.Contains(got, "papermap interactive map") {
			t.Errorf("#papermap-late does not follow the page's code (it follows %q)", got)
		}
	})

	t.Run("points drawn in theme colours", func(t *testing.T) {
		shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("pm-canvas")))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		bg := eval[[]float64](t, ctx, "window.papermap.background")
		alpha := eval[float64](t, ctx, "window.papermap.dotAlpha")
		b := img.Bounds()
		var inked int
		perTheme := make([]int, len(m.Themes))
		// A lone dot's centre is the theme colour blended over the
		// background at the page's dot opacity.
		want := make([][3]float64, len(m.Themes))
		for k := range m.Themes {
			c := eval[[]float64](t, ctx, fmt.Sprintf("window.papermap.colourOf(%d)", k))
			for ch := range 3 {
				want[k][ch] = bg[ch] + (c[ch]-bg[ch])*alpha
			}
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				px := [3]float64{float64(r >> 8), float64(g >> 8), float64(bl >> 8)}
				if math.Abs(px[0]-bg[0])+math.Abs(px[1]-bg[1])+math.Abs(px[2]-bg[2]) > 30 {
					inked++
				}
				for k, w := range want {
					if math.Abs(px[0]-w[0]) <= 4 && math.Abs(px[1]-w[1]) <= 4 && math.Abs(px[2]-w[2]) <= 4 {
						perTheme[k]++
					}
				}
			}
		}
		total := b.Dx() * b.Dy()
		if inked < total/100 {
			t.Errorf("only %d of %d canvas pixels differ from the background", inked, total)
		}
		var seen int
		for _, n := range perTheme {
			if n >= 20 {
				seen++
			}
		}
		if seen < len(m.Themes)*2/3 {
			t.Errorf("dots in %d of %d theme colours (pixels per theme %v)", seen, len(m.Themes), perTheme)
		}
		t.Logf("%d inked pixels of %d; pixels at each theme's dot colour: %v", inked, total, perTheme)
	})

	t.Run("hover shows the title as text", func(t *testing.T) {
		i := hostile[1] // </script><script>window.__pwned=1</script>
		mouse(t, ctx, chromedp.MouseMoved, screenOf(t, ctx, i))
		got := eval[string](t, ctx, "window.papermap.hoverText()")
		if !strings.Contains(got, m.Points[i].Title) {
			t.Errorf("tooltip = %q, want it to contain %q", got, m.Points[i].Title)
		}
		if !strings.Contains(got, m.Themes[0].Label) {
			t.Errorf("tooltip = %q, want the theme label %q", got, m.Themes[0].Label)
		}
		j := 17
		mouse(t, ctx, chromedp.MouseMoved, screenOf(t, ctx, j))
		got = eval[string](t, ctx, "window.papermap.hoverText()")
		if !strings.Contains(got, m.Points[j].Title) || !strings.Contains(got, fmt.Sprint(m.Points[j].Year)) {
			t.Errorf("tooltip = %q, want title %q and year %d", got, m.Points[j].Title, m.Points[j].Year)
		}
	})

	t.Run("search box counts matches", func(t *testing.T) {
		for _, q := range []string{"PAPER 12", "graph", "</script>"} {
			want := 0
			for _, p := range m.Points {
				if strings.Contains(strings.ToLower(oneLine(p.Title)), strings.ToLower(q)) {
					want++
				}
			}
			if err := chromedp.Do(ctx,
				chromedp.Evaluate[chromedp.Void](`document.getElementById('pm-search').value = ''`),
				chromedp.SendKeys(chromedp.ID("pm-search"), q),
			); err != nil {
				t.Fatal(err)
			}
			text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("pm-count")))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(text, fmt.Sprint(want)+" match") && !(want == 0 && text == "no match") {
				t.Errorf("typing %q: count shows %q, want %d matches", q, text, want)
			}
			if got := eval[int](t, ctx, fmt.Sprintf("window.papermap.search(%q)", q)); got != want {
				t.Errorf("search(%q) = %d, want %d", q, got, want)
			}
		}
		eval[int](t, ctx, `window.papermap.search('')`)
	})

	t.Run("click shows neighbours", func(t *testing.T) {
		i := 123
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(screenOf(t, ctx, i).X, screenOf(t, ctx, i).Y)); err != nil {
			t.Fatal(err)
		}
		if got := eval[int](t, ctx, "window.papermap.selected()"); got != i {
			t.Fatalf("selected %d after clicking paper %d", got, i)
		}
		title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#pm-panel h2")))
		if err != nil {
			t.Fatal(err)
		}
		if title != m.Points[i].Title {
			t.Errorf("panel title %q, want %q", title, m.Points[i].Title)
		}
		got := eval[[]int](t, ctx, "window.papermap.neighbours()")
		want := nearestByCodes(m.Neighbors, i, 10)
		if !slices.Equal(got, want) {
			t.Errorf("neighbours of %d = %v, want %v", i, got, want)
		}
		items := eval[int](t, ctx, "document.querySelectorAll('#pm-neighbours li').length")
		if items != len(want) {
			t.Errorf("%d neighbours listed, want %d", items, len(want))
		}
		href := eval[string](t, ctx, "(document.querySelector('#pm-panel a') || {}).href || ''")
		if href != m.Points[i].URL {
			t.Errorf("panel link %q, want %q", href, m.Points[i].URL)
		}
		// Clicking a neighbour selects it.
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#pm-neighbours button"))); err != nil {
			t.Fatal(err)
		}
		if got := eval[int](t, ctx, "window.papermap.selected()"); len(want) > 0 && got != want[0] {
			t.Errorf("after clicking the first neighbour, selected = %d, want %d", got, want[0])
		}
		title, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#pm-panel h2")))
		if err != nil {
			t.Fatal(err)
		}
		if len(want) > 0 && title != m.Points[want[0]].Title {
			t.Errorf("panel title %q, want %q", title, m.Points[want[0]].Title)
		}
	})

	t.Run("hostile paper stays text", func(t *testing.T) {
		for _, i := range hostile {
			p := screenOf(t, ctx, i)
			if err := chromedp.Do(ctx, chromedp.MouseClickXY(p.X, p.Y), chromedp.Sleep(50*time.Millisecond)); err != nil {
				t.Fatal(err)
			}
			if got := eval[int](t, ctx, "window.papermap.selected()"); got != i {
				t.Errorf("selected %d after clicking hostile paper %d", got, i)
				continue
			}
			title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#pm-panel h2")))
			if err != nil {
				t.Fatal(err)
			}
			if title != m.Points[i].Title {
				t.Errorf("panel title %q, want the raw text %q", title, m.Points[i].Title)
			}
		}
		checks := map[string]string{
			"window.__pwned === undefined":                                        "a script in the data ran",
			"document.querySelectorAll('img').length === 0":                       "an <img> from the data became an element",
			"document.querySelectorAll('script').length === 3":                    "a <script> from the data became an element",
			"document.querySelectorAll('a[href^=\"javascript\" i]').length === 0": "a javascript: URL became a link",
			"document.querySelectorAll('b').length === 0":                         "a theme label's <b> became an element",
		}
		for _, expr := range slices.Sorted(maps.Keys(checks)) {
			if !eval[bool](t, ctx, expr) {
				t.Errorf("%s: %s is false", checks[expr], expr)
			}
		}
	})

	t.Run("legend toggles a theme", func(t *testing.T) {
		i := hostile[0]
		p := screenOf(t, ctx, i)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#pm-legend-list button"))); err != nil {
			t.Fatal(err)
		}
		mouse(t, ctx, chromedp.MouseMoved, xy{p.X + 1, p.Y + 1})
		if got := eval[string](t, ctx, "window.papermap.hoverText()"); strings.Contains(got, m.Points[i].Title) {
			t.Errorf("theme 0 is hidden but hovering its paper shows %q", got)
		}
		pressed := eval[string](t, ctx, "document.querySelector('#pm-legend-list button').getAttribute('aria-pressed')")
		if pressed != "false" {
			t.Errorf("legend button aria-pressed = %q after toggling off", pressed)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#pm-legend-list button"))); err != nil {
			t.Fatal(err)
		}
		mouse(t, ctx, chromedp.MouseMoved, p)
		if got := eval[string](t, ctx, "window.papermap.hoverText()"); !strings.Contains(got, m.Points[i].Title) {
			t.Errorf("theme 0 shown again but hovering its paper shows %q", got)
		}
	})

	t.Run("pan and zoom", func(t *testing.T) {
		const i, j = 10, 20
		a0, b0 := screenOf(t, ctx, i), screenOf(t, ctx, j)
		from, to := xy{300, 300}, xy{360, 330}
		mouse(t, ctx, chromedp.MousePressed, from, chromedp.ButtonLeft, chromedp.ClickCount(1))
		mouse(t, ctx, chromedp.MouseMoved, xy{330, 315}, chromedp.ButtonLeft)
		mouse(t, ctx, chromedp.MouseMoved, to, chromedp.ButtonLeft)
		mouse(t, ctx, chromedp.MouseReleased, to, chromedp.ButtonLeft, chromedp.ClickCount(1))
		a1 := screenOf(t, ctx, i)
		if math.Abs(a1.X-a0.X-(to.X-from.X)) > 0.5 || math.Abs(a1.Y-a0.Y-(to.Y-from.Y)) > 0.5 {
			t.Errorf("dragging by (%v, %v) moved paper %d from %v to %v", to.X-from.X, to.Y-from.Y, i, a0, a1)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pm-zoom-in"))); err != nil {
			t.Fatal(err)
		}
		a2, b2 := screenOf(t, ctx, i), screenOf(t, ctx, j)
		d0, d2 := math.Hypot(b0.X-a0.X, b0.Y-a0.Y), math.Hypot(b2.X-a2.X, b2.Y-a2.Y)
		// 1.6 is the page's zoom step (assets/map.js, zoomAt callers).
		if math.Abs(d2/d0-1.6) > 1e-3 {
			t.Errorf("zoom in: distance %v -> %v, ratio %v, want 1.6", d0, d2, d2/d0)
		}
		mouse(t, ctx, chromedp.MouseWheel, xy{500, 400}, func(p *input.DispatchMouseEventParams) { p.DeltaX, p.DeltaY = 1e-6, 200 })
		a3, b3 := screenOf(t, ctx, i), screenOf(t, ctx, j)
		if d3 := math.Hypot(b3.X-a3.X, b3.Y-a3.Y); d3 >= d2 {
			t.Errorf("wheel down did not zoom out: distance %v -> %v", d2, d3)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pm-reset"))); err != nil {
			t.Fatal(err)
		}
		eval[bool](t, ctx, "window.papermap.redrawNow(), true")
		if a4 := screenOf(t, ctx, i); math.Abs(a4.X-a0.X) > 0.5 || math.Abs(a4.Y-a0.Y) > 0.5 {
			t.Errorf("reset put paper %d at %v, want %v", i, a4, a0)
		}
	})

	if errs := pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

// TestBrowserSeedScreenshot renders the seed corpus as a person would see
// it, with a paper selected, and checks that the page drew. With
// PAPERMAP_SCREENSHOT=FILE.png it saves the screenshot there.
func TestBrowserSeedScreenshot(t *testing.T) {
	m := seedMap(t)
	ctx := newBrowser(t, 2*time.Minute)
	page := filepath.Join(t.TempDir(), "seed.html")
	if err := WriteFile(page, m); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, page, "window.papermap && window.papermap.ready")
	// Select the paper nearest the first theme's label, hover another.
	sel := 0
	for i, p := range m.Points {
		if p.Theme == 0 {
			sel = i
			break
		}
	}
	p := screenOf(t, ctx, sel)
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
		t.Fatal(err)
	}
	hov := screenOf(t, ctx, (sel+7)%len(m.Points))
	mouse(t, ctx, chromedp.MouseMoved, hov)
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if n := countInk(img, 250, 250, 248); n < 2000 {
		t.Errorf("screenshot has only %d non-background pixels", n)
	}
	if got := eval[int](t, ctx, "document.querySelectorAll('#pm-legend-list li').length"); got < len(m.Themes) {
		t.Errorf("legend lists %d themes, want %d", got, len(m.Themes))
	}
	if out := os.Getenv("PAPERMAP_SCREENSHOT"); out != "" {
		if err := os.WriteFile(out, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot saved to %s", out)
	}
}

// saveShot saves a screenshot of the page as name in
// $PAPERMAP_SCREENSHOT_DIR, when set.
func saveShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("PAPERMAP_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot saved to %s", filepath.Join(dir, name))
}

// countInk counts pixels that differ clearly from the colour (r, g, b).
func countInk(img image.Image, r, g, b uint8) int {
	n := 0
	bb := img.Bounds()
	for y := bb.Min.Y; y < bb.Max.Y; y++ {
		for x := bb.Min.X; x < bb.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			d := absDiff(uint8(pr>>8), r) + absDiff(uint8(pg>>8), g) + absDiff(uint8(pb>>8), b)
			if d > 30 {
				n++
			}
		}
	}
	return n
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// BenchmarkBrowserMap loads the interactive map of n seeded papers in
// chromium and reports, from performance.now() in the page: when the
// page's script started and when the first frame was drawn (both from
// navigation), how long decoding the data took, the median frame time while
// panning (as a drag draws frames) and the median time of a frame that
// re-renders every dot. Run it with -benchtime=1x: each iteration loads the
// page once.
func BenchmarkBrowserMap(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			m := syntheticMap(n, 40, 1)
			page := filepath.Join(b.TempDir(), "map.html")
			if err := WriteFile(page, m); err != nil {
				b.Fatal(err)
			}
			st, err := os.Stat(page)
			if err != nil {
				b.Fatal(err)
			}
			ctx := newBrowser(b, 5*time.Minute)
			var first, script, parse, pan, render []float64
			b.ResetTimer()
			for range b.N {
				openPage(b, ctx, page, "window.papermap && window.papermap.ready")
				first = append(first, eval[float64](b, ctx, "window.papermap.stats.firstDrawMs"))
				script = append(script, eval[float64](b, ctx, "window.papermap.stats.scriptStartMs"))
				parse = append(parse, eval[float64](b, ctx, "window.papermap.stats.parseMs"))
				pan = append(pan, eval[[]float64](b, ctx, "window.papermap.benchPan(60)")...)
				render = append(render, eval[[]float64](b, ctx, "window.papermap.benchRender(60)")...)
			}
			b.StopTimer()
			b.ReportMetric(median(first), "first-draw-ms")
			b.ReportMetric(median(script), "script-start-ms")
			b.ReportMetric(median(parse), "data-decode-ms")
			b.ReportMetric(median(pan), "pan-frame-ms")
			b.ReportMetric(median(render), "render-frame-ms")
			b.ReportMetric(float64(st.Size()), "page-bytes")
		})
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestBrowserReport loads the HTML report with the map inlined: the map
// in its sandboxed frame must draw (its script is admitted by both the
// frame's and the report's Content-Security-Policy), and nothing hostile
// may run.
func TestBrowserReport(t *testing.T) {
	ctx := newBrowser(t, 2*time.Minute)
	pageErrors := watchErrors(t, ctx)
	m := syntheticMap(800, 8, 5)
	withHostile(m)
	r := sampleReport(m, true)
	r.Title = `Report <script>window.__pwned=5</script>`
	page := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteReportHTML(f, r); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, page, "document.readyState === 'complete'")
	// The frame's page cannot be polled from here (the sandbox gives it
	// an opaque origin), so the screenshots below tell whether it drew.
	if !eval[bool](t, ctx, "window.__pwned === undefined") {
		t.Error("a script from the data ran in the report")
	}
	if got := eval[string](t, ctx, "document.querySelector('h1').textContent"); got != r.Title {
		t.Errorf("report heading %q, want %q", got, r.Title)
	}
	// Strongly coloured pixels are the dots (the legend's swatches alone
	// are a few hundred). The frame may paint after the parent's load
	// event, so look a few times.
	colourful := 0
	for try := 0; try < 20 && colourful < 3000; try++ {
		shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("iframe.map")))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		colourful = countColourful(img)
		if colourful < 3000 {
			time.Sleep(250 * time.Millisecond)
		}
	}
	if colourful < 3000 {
		t.Errorf("the inlined map shows only %d coloured pixels; did its script run?", colourful)
	}
	t.Logf("inlined map: %d coloured pixels", colourful)
	if errs := pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

// countColourful counts pixels whose channels differ by more than 60: dots
// and swatches, not text or background.
func countColourful(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if (max(r, g, bl)>>8)-(min(r, g, bl)>>8) > 60 {
				n++
			}
		}
	}
	return n
}

// TestBrowserEdgeMaps loads maps at the edges of the input space: no
// papers at all, and papers with no theme, no year and no neighbours.
func TestBrowserEdgeMaps(t *testing.T) {
	ctx := newBrowser(t, 2*time.Minute)
	pageErrors := watchErrors(t, ctx)
	dir := t.TempDir()
	t.Run("empty", func(t *testing.T) {
		page := filepath.Join(dir, "empty.html")
		if err := WriteFile(page, &Map{Title: "empty"}); err != nil {
			t.Fatal(err)
		}
		openPage(t, ctx, page, "window.papermap && window.papermap.ready")
		if n := eval[int](t, ctx, "window.papermap.search('x')"); n != 0 {
			t.Errorf("search on an empty map found %d", n)
		}
	})
	t.Run("no themes, no neighbours", func(t *testing.T) {
		m := &Map{Title: "bare", Points: []Point{
			{ID: "a", Title: "Alpha", X: 0, Y: 0, Theme: -1},
			{ID: "b", Title: "Beta", X: 1, Y: 1, Theme: -1},
			{ID: "c", Title: "Gamma", X: 2, Y: 0.5, Theme: -1},
		}}
		page := filepath.Join(dir, "bare.html")
		if err := WriteFile(page, m); err != nil {
			t.Fatal(err)
		}
		openPage(t, ctx, page, "window.papermap && window.papermap.ready")
		p := screenOf(t, ctx, 1)
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
			t.Fatal(err)
		}
		if got := eval[int](t, ctx, "window.papermap.selected()"); got != 1 {
			t.Fatalf("selected %d, want 1", got)
		}
		panel := eval[string](t, ctx, "document.getElementById('pm-panel').textContent")
		if !strings.Contains(panel, "Beta") || !strings.Contains(panel, "no theme") || strings.Contains(panel, "Nearest") {
			t.Errorf("panel text %q: want the title, 'no theme' and no neighbours section", panel)
		}
		if got := eval[int](t, ctx, "document.querySelectorAll('#pm-legend-list li').length"); got != 1 {
			t.Errorf("legend has %d rows, want 1 (no theme)", got)
		}
	})
	if errs := pageErrors(); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}
}

type labelInfo struct {
	Theme   int
	Level   int
	Text    string
	Visible bool
	Moved   bool
}

type rect struct{ Left, Top, Right, Bottom float64 }

// visibleLabelRects returns the page's visible theme labels as the browser
// lays them out (getBoundingClientRect), by theme index.
func visibleLabelRects(tb testing.TB, ctx context.Context) map[int]rect {
	tb.Helper()
	rs := eval[[]struct {
		Theme int
		R     rect
	}](tb, ctx, `Array.from(document.querySelectorAll('#pm-label-layer .pm-label'))
		.filter(e => getComputedStyle(e).visibility === 'visible' && !document.getElementById('pm-label-layer').hidden)
		.map(e => { const r = e.getBoundingClientRect(); return {theme: +e.dataset.theme, r: {left: r.left, top: r.top, right: r.right, bottom: r.bottom}}; })`)
	out := map[int]rect{}
	for _, r := range rs {
		out[r.Theme] = r.R
	}
	return out
}

// TestBrowserLabels checks the theme labels of real maps (the seed corpus,
// arXiv 2,000, arXiv with a level of broad themes grouped from its 30, and
// arXiv with the theme hierarchy papermap computed) in chromium: every
// label is in the DOM with its full text and visible at some zoom, no two
// visible labels overlap, broad labels show at the overview and sub-theme
// labels once zoomed in, the legend nests sub-themes under their broad
// theme with its papers counted, and nothing logs an error.
// PAPERMAP_SCREENSHOT_DIR=DIR saves each map's overview and a zoomed-in
// view there for a person to look at.
func TestBrowserLabels(t *testing.T) {
	cases := []struct {
		name string
		m    func(testing.TB) *Map
	}{
		{"seed", seedMap},
		{"arxiv", func(tb testing.TB) *Map { return arxivMap(tb, false) }},
		{"arxiv-broad", func(tb testing.TB) *Map { return arxivMap(tb, true) }},
		{"arxiv-hierarchy", arxivHierMap},
	}
	ctx := newBrowser(t, 4*time.Minute)
	errs := watchErrors(t, ctx)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m(t)
			page := filepath.Join(t.TempDir(), tc.name+".html")
			if err := WriteFile(page, m); err != nil {
				t.Fatal(err)
			}
			openPage(t, ctx, page, "window.papermap && window.papermap.ready")
			hier := false
			for _, th := range m.Themes {
				hier = hier || th.Level > 0
			}

			// Every label is in the DOM with its full text.
			texts := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#pm-label-layer .pm-label')).map(e => e.textContent)`)
			if len(texts) != len(m.Themes) {
				t.Fatalf("%d label elements for %d themes", len(texts), len(m.Themes))
			}
			for i, th := range m.Themes {
				if texts[i] != oneLine(th.Label) {
					t.Errorf("label %d reads %q, want %q", i, texts[i], th.Label)
				}
			}

			// Default view: no two visible labels overlap; the overview
			// shows the broad level only, and all of it.
			eval[any](t, ctx, "window.papermap.reset()")
			rs := visibleLabelRects(t, ctx)
			if len(rs) == 0 {
				t.Fatal("no label visible at the default view")
			}
			keys := slices.Sorted(maps.Keys(rs))
			for a, i := range keys {
				for _, j := range keys[a+1:] {
					p, q := rs[i], rs[j]
					if p.Left < q.Right && q.Left < p.Right && p.Top < q.Bottom && q.Top < p.Bottom {
						t.Errorf("labels %q and %q overlap at the default view: %v, %v", m.Themes[i].Label, m.Themes[j].Label, p, q)
					}
				}
			}
			for _, i := range keys {
				if m.Themes[i].Level != 0 {
					t.Errorf("sub-theme label %q visible at the overview", m.Themes[i].Label)
				}
			}
			for i, th := range m.Themes {
				if th.Level == 0 && th.Size > 0 {
					if _, ok := rs[i]; !ok && hier {
						t.Errorf("broad label %q not visible at the overview", th.Label)
					}
				}
			}
			t.Logf("%d of %d labels visible at the default view", len(rs), len(m.Themes))
			saveShot(t, ctx, tc.name+"-overview.png")

			// The legend lists every theme once, sub-themes after their
			// broad theme, which counts its sub-themes' papers.
			legend := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#pm-legend-list button')).map(b => b.dataset.cat + ' ' + b.querySelector('.pm-legend-n').textContent)`)
			if len(legend) != len(m.Themes) {
				t.Errorf("legend has %d rows for %d themes", len(legend), len(m.Themes))
			}
			if hier {
				count := make([]int, len(m.Themes))
				for _, p := range m.Points {
					for th := p.Theme; th >= 0; th = m.Themes[th].Parent {
						count[th]++
						if m.Themes[th].Level == 0 {
							break
						}
					}
				}
				pos := map[int]int{}
				for r, row := range legend {
					var c, n int
					if _, err := fmt.Sscan(row, &c, &n); err != nil {
						t.Fatalf("legend row %q: %v", row, err)
					}
					pos[c-1] = r
					if n != count[c-1] {
						t.Errorf("legend counts %d papers for %q, want %d", n, m.Themes[c-1].Label, count[c-1])
					}
				}
				for i, th := range m.Themes {
					if th.Level > 0 && pos[i] < pos[th.Parent] {
						t.Errorf("legend lists %q before its broad theme %q", th.Label, m.Themes[th.Parent].Label)
					}
				}
			}

			// Every label visible at some zoom, centred on its theme.
			zooms := []float64{1, 2, 3, 5, 8, 13, 21, 34, 55}
			for i, th := range m.Themes {
				if th.Size == 0 {
					continue
				}
				seen := 0.0
				for _, z := range zooms {
					eval[any](t, ctx, fmt.Sprintf("window.papermap.zoomTo(%d, %g)", i, z))
					if _, ok := visibleLabelRects(t, ctx)[i]; ok {
						seen = z
						break
					}
				}
				if seen == 0 {
					t.Errorf("label %q is visible at no zoom up to %g", th.Label, zooms[len(zooms)-1])
				}
				if hier && th.Level > 0 && seen < 2 && seen != 0 {
					t.Errorf("sub-theme label %q visible at zoom %g, before zooming in", th.Label, seen)
				}
			}

			// Zoomed in on a sub-theme, sub-theme labels appear.
			if hier {
				for i, th := range m.Themes {
					if th.Level == 1 && th.Size > 0 {
						eval[any](t, ctx, fmt.Sprintf("window.papermap.zoomTo(%d, 4)", i))
						sub := 0
						for j := range visibleLabelRects(t, ctx) {
							if m.Themes[j].Level == 1 {
								sub++
							}
						}
						if sub == 0 {
							t.Errorf("zoomed in 4x on %q: no sub-theme label visible", th.Label)
						}
						saveShot(t, ctx, tc.name+"-zoomed.png")
						break
					}
				}
			}
			if e := errs(); len(e) > 0 {
				t.Errorf("page errors: %v", e)
			}
		})
	}
}

// TestBrowserLabelsOffDots checks that on a small map (the seed corpus, 66
// papers) no visible label covers a dot at the default view and zoomed in:
// there is room beside every theme, and a label over dots hides papers.
// (The placement before labels kept off the dots covered 14, 7 and 7 here.)
func TestBrowserLabelsOffDots(t *testing.T) {
	m := seedMap(t)
	ctx := newBrowser(t, 2*time.Minute)
	errs := watchErrors(t, ctx)
	page := filepath.Join(t.TempDir(), "seed.html")
	if err := WriteFile(page, m); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, page, "window.papermap && window.papermap.ready")
	views := []struct{ name, js string }{
		{"default view", "window.papermap.reset()"},
		{"zoomed 2x on theme 0", "window.papermap.zoomTo(0, 2)"},
		{"zoomed 3x on theme 5", "window.papermap.zoomTo(5, 3)"},
	}
	for _, v := range views {
		eval[any](t, ctx, v.js)
		rs := visibleLabelRects(t, ctx)
		if len(rs) == 0 {
			t.Fatalf("%s: no label visible", v.name)
		}
		r := eval[float64](t, ctx, "window.papermap.dotRadius()")
		covered := 0
		for i := range m.Points {
			p := screenOf(t, ctx, i)
			for k, q := range rs {
				if p.X > q.Left-r && p.X < q.Right+r && p.Y > q.Top-r && p.Y < q.Bottom+r {
					covered++
					t.Errorf("%s: label %q covers paper %d at (%.0f, %.0f)", v.name, m.Themes[k].Label, i, p.X, p.Y)
				}
			}
		}
		t.Logf("%s: %d labels visible, %d dots covered", v.name, len(rs), covered)
		saveShot(t, ctx, "offdots-"+strings.ReplaceAll(v.name, " ", "-")+".png")
	}
	if e := errs(); len(e) > 0 {
		t.Errorf("page errors: %v", e)
	}
}

// TestBrowserColourBy switches the arXiv map to colour by archive and by
// year, and back, checking the legend and the dots follow; hostile field
// names and values stay text.
func TestBrowserColourBy(t *testing.T) {
	m := arxivMap(t, false)
	for i := range m.Points {
		m.Points[i].Year = 1990 + i%18
	}
	hostileName := `<img src=x onerror="window.pwned=1">`
	m.Fields = append(m.Fields, Field{Name: hostileName, Values: []string{`<script>window.pwned=2</script>`, `"><b>x</b>`}, Of: make([]int32, len(m.Points))})
	for i := range m.Points {
		m.Fields[1].Of[i] = int32(i % 2)
	}
	ctx := newBrowser(t, 2*time.Minute)
	errs := watchErrors(t, ctx)
	page := filepath.Join(t.TempDir(), "colour.html")
	if err := WriteFile(page, m); err != nil {
		t.Fatal(err)
	}
	openPage(t, ctx, page, "window.papermap && window.papermap.ready")
	modes := eval[[]string](t, ctx, "window.papermap.modes()")
	if want := []string{"theme", "year", "archive", hostileName}; !slices.Equal(modes, want) {
		t.Fatalf("colour modes %q, want %q", modes, want)
	}
	if n := eval[int](t, ctx, "window.papermap.setMode(2)"); n != len(m.Fields[0].Values) {
		t.Errorf("archive mode has %d categories, want %d", n, len(m.Fields[0].Values))
	}
	if lt := eval[string](t, ctx, "window.papermap.legendText()"); !strings.Contains(lt, "astro-ph") || !strings.Contains(lt, "hep-th") {
		t.Errorf("archive legend reads %q", lt)
	}
	if n := eval[int](t, ctx, "window.papermap.setMode(1)"); n != 18 {
		t.Errorf("year mode has %d categories, want 18", n)
	}
	if n := eval[int](t, ctx, "window.papermap.setMode(3)"); n != 2 {
		t.Errorf("hostile field has %d categories, want 2", n)
	}
	if lt := eval[string](t, ctx, "window.papermap.legendText()"); !strings.Contains(lt, "<script>window.pwned=2</script>") {
		t.Errorf("hostile value not shown as text: legend reads %q", lt)
	}
	if got := eval[int](t, ctx, "document.querySelectorAll('img, script:not([type]) ~ script:not(#papermap-late), b').length"); got != 0 {
		t.Errorf("hostile field made %d elements", got)
	}
	if eval[bool](t, ctx, "window.pwned !== undefined") {
		t.Error("hostile field value ran script")
	}
	eval[int](t, ctx, "window.papermap.setMode(0)")
	if e := errs(); len(e) > 0 {
		t.Errorf("page errors: %v", e)
	}
}
