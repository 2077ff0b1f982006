package report

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/flytedoctor/flytedoctor/collectors/evidence"
)

// The HTML report in a real headless Chromium (Debian's chromium package, which make test
// installs): each page loads with no console message, exception or request for anything but
// the file itself; the root cause is laid out and visible; the timeline has one bar per task
// attempt, inside its track. A full-page screenshot of each is kept (see artifactsDir).

// browserEnv makes a missing browser fail instead of skip (make test sets it).
const browserEnv = "FLYTEDOCTOR_REQUIRE_BROWSER"

// startBrowser starts headless Chromium for the test, or skips when it is not installed
// and the environment does not require it. The browser talks to the test over a pipe, so it
// listens on no port, and it is kept off the network: no background services, no DNS, and
// a proxy on a closed loopback port for anything that would still leave.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv(browserEnv) != "" {
			t.Fatalf("chromium is not installed and %s is set: install it (scripts/apt-install.sh chromium, as make test does)", browserEnv)
		}
		t.Skipf("chromium is not installed: the HTML report is not checked in a browser (make test installs it; set %s=1 to fail instead)", browserEnv)
	}
	out := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // tests run as root in CI; Chromium refuses its sandbox there
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(out),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,MediaRouter,OptimizationHints,AutofillServerCommunication,CertificateTransparencyComponentUpdater"),
		chromedp.Flag("dns-prefetch-disable", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.ProxyServer("127.0.0.1:9"),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting %s: %v\n%s", bin, err, out.String())
	}
	return browser
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// artifactsDir is where the pages and their screenshots are kept after the test:
// $FLYTEDOCTOR_ARTIFACTS, or bin/html-report in the repository (t.TempDir is deleted).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FLYTEDOCTOR_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "bin")
	}
	dir, err := filepath.Abs(filepath.Join(dir, "html-report"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// pageView is what the page shows, as the browser laid it out.
type pageView struct {
	Roots []laidOut `json:"roots"`
	Bars  []laidOut `json:"bars"`
	// Loaders counts elements that would load something (scripts, images, frames, styles).
	Loaders int `json:"loaders"`
	// ScriptURLs are href values that would run script.
	ScriptURLs []string `json:"scriptURLs"`
}

type laidOut struct {
	Section string  `json:"section"`
	Text    string  `json:"text"`
	Width   float64 `json:"width"`
	Height  float64 `json:"height"`
	Visible bool    `json:"visible"`
	// Inside is true when the element lies within its timeline track (bars only).
	Inside bool `json:"inside"`
}

const probeJS = `(() => {
  const view = el => {
    const r = el.getBoundingClientRect();
    const track = el.closest('.track');
    let inside = true;
    if (track) {
      const tr = track.getBoundingClientRect();
      inside = r.left >= tr.left - 1 && r.right <= tr.right + 1;
    }
    return {section: el.closest('section.report').id, text: el.textContent, width: r.width, height: r.height,
      visible: el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}), inside: inside};
  };
  return {
    roots: [...document.querySelectorAll('.finding.root .summary')].map(view),
    bars: [...document.querySelectorAll('.tl .bar.attempt')].map(view),
    loaders: document.querySelectorAll('script, iframe, frame, object, embed, img, picture, video, audio, source, link[rel~="stylesheet"], link[rel~="preload"], link[rel~="import"]').length,
    scriptURLs: [...document.querySelectorAll('[href], [src], [action]')].map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action')).filter(u => /^\s*(javascript|vbscript):/i.test(u)),
  };
})()`

// loadPage opens file in a new tab of browser and returns what the page shows and every
// problem the browser reported while loading it: console messages, uncaught exceptions,
// browser log warnings and errors (a resource that failed), dialogs, and requests for
// anything but the file itself.
func loadPage(t *testing.T, browser context.Context, file string) (pageView, []string) {
	t.Helper()
	var mu sync.Mutex
	var problems []string
	note := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, a...))
	}
	self := (&url.URL{Scheme: "file", Path: file}).String()
	listen := func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range ev.Args {
				args = append(args, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			note("console.%s: %s", ev.Type, strings.Join(args, " "))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			text := d.Text
			if d.Exception != nil {
				text += " " + d.Exception.Description
			}
			note("uncaught exception: %s", text)
		case *log.EventEntryAdded:
			if e := ev.Entry; e.Level == log.EntryLevelError || e.Level == log.EntryLevelWarning {
				note("browser log %s (%s): %s %s", e.Level, e.Source, e.Text, e.URL)
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; u != self && !strings.HasPrefix(u, "data:") {
				note("request for %s", u)
			}
		case *page.EventJavascriptDialogOpening:
			note("dialog %s: %s", ev.Type, ev.Message)
		}
	}
	tab, cancel := chromedp.NewContext(browser, chromedp.WithListener(listen))
	defer cancel()
	ctx, cancelLoad := context.WithTimeout(tab, 30*time.Second)
	defer cancelLoad()
	if err := chromedp.Do(ctx, chromedp.Navigate(self)); err != nil {
		t.Fatalf("loading %s: %v (problems so far: %q)", file, err, problems)
	}
	view, err := chromedp.Run(ctx, chromedp.Evaluate[pageView](probeJS))
	if err != nil {
		t.Fatalf("reading %s: %v", file, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", file, err)
	}
	shot := strings.TrimSuffix(file, ".html") + ".png"
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d bytes)", shot, len(png))
	mu.Lock()
	defer mu.Unlock()
	return view, append([]string(nil), problems...)
}

// attemptCount is the number of task attempts in the snapshot: the bars the timeline must draw.
func attemptCount(snap *evidence.Snapshot) int {
	n := 0
	if snap.Execution != nil {
		snap.Execution.Walk(func(path []evidence.Step) bool {
			n += len(path[len(path)-1].Node.Attempts)
			return true
		})
	}
	return n
}

// checkPage checks a loaded page against its reports: each root cause's summary is laid out
// and visible, and each report's timeline has one visible bar per attempt, inside its track.
func checkPage(t *testing.T, reports []*Report, view pageView, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Errorf("browser: %s", p)
	}
	if view.Loaders > 0 || len(view.ScriptURLs) > 0 {
		t.Errorf("the page is not self-contained: %d elements load something, script URLs %q", view.Loaders, view.ScriptURLs)
	}
	for i, r := range reports {
		section := fmt.Sprintf("r%d", i+1)
		var want []string
		for _, f := range r.Findings {
			if f.RootCause {
				want = append(want, cleanString(f.Summary))
			}
		}
		var got []string
		for _, s := range view.Roots {
			if s.Section != section {
				continue
			}
			got = append(got, s.Text)
			if !s.Visible || s.Width <= 0 || s.Height <= 0 {
				t.Errorf("%s: root cause %q is not visible: %+v", section, s.Text, s)
			}
		}
		if strings.Join(got, "\n--\n") != strings.Join(want, "\n--\n") {
			t.Errorf("%s: root causes on the page %q, want %q", section, got, want)
		}
		bars := 0
		for _, b := range view.Bars {
			if b.Section != section {
				continue
			}
			bars++
			if !b.Visible || b.Width <= 0 || b.Height <= 0 || !b.Inside {
				t.Errorf("%s: attempt bar not drawn within its track: %+v", section, b)
			}
		}
		if want := attemptCount(r.Snapshot); bars != want {
			t.Errorf("%s: %d attempt bars, want one per attempt: %d", section, bars, want)
		}
	}
}

func cleanString(s string) string { return string(cleanText([]byte(s))) }

func writePage(t *testing.T, dir, name string, reports []*Report, o Options) string {
	t.Helper()
	path := filepath.Join(dir, name+".html")
	if err := os.WriteFile(path, render(t, "html", reports, o), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every shared input, the demo's several reports in one page, and the hostile report, in
// the browser.
func TestHTMLInBrowser(t *testing.T) {
	browser := startBrowser(t)
	dir := artifactsDir(t)
	t.Logf("pages and screenshots in %s", dir)
	var all []*Report
	var titles []string
	for _, name := range inputNames(t) {
		r := input(t, name)
		all = append(all, r)
		titles = append(titles, "scenario "+name)
		t.Run(name, func(t *testing.T) {
			reports := []*Report{r}
			view, problems := loadPage(t, browser, writePage(t, dir, name, reports, Options{}))
			checkPage(t, reports, view, problems)
		})
	}
	t.Run("several", func(t *testing.T) {
		view, problems := loadPage(t, browser, writePage(t, dir, "several", all, Options{Titles: titles}))
		checkPage(t, all, view, problems)
	})
	t.Run("hostile", func(t *testing.T) {
		reports := []*Report{hostileHTMLReport()}
		view, problems := loadPage(t, browser, writePage(t, dir, "hostile", reports, Options{}))
		checkPage(t, reports, view, problems)
	})
}

// The harness sees what it is there to see: a page with a console error, an exception, a
// request elsewhere (to a closed loopback port), a hidden root cause and a missing bar fails
// every check.
func TestBrowserHarnessCatchesFaults(t *testing.T) {
	browser := startBrowser(t)
	dir := t.TempDir()
	r := input(t, "image-pull")
	good := string(render(t, "html", []*Report{r}, Options{}))
	bad := strings.Replace(good, "</body>", `<img src="http://127.0.0.1:9/x.png"><script>console.error("boom"); throw new Error("thrown")</script></body>`, 1)
	bad = strings.Replace(bad, "</style>", ".finding.root .summary { display: none } .bar.attempt { display: none }</style>", 1)
	path := filepath.Join(dir, "bad.html")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	view, problems := loadPage(t, browser, path)
	all := strings.Join(problems, "\n")
	for _, want := range []string{"console.error: boom", "uncaught exception: Uncaught Error: thrown", "request for http://127.0.0.1:9/x.png"} {
		if !strings.Contains(all, want) {
			t.Errorf("the harness missed %q; it saw:\n%s", want, all)
		}
	}
	if view.Loaders != 2 {
		t.Errorf("loaders %d, want 2 (the image and the script)", view.Loaders)
	}
	if len(view.Roots) != 1 || view.Roots[0].Visible {
		t.Errorf("a hidden root cause seen as %+v", view.Roots)
	}
	if len(view.Bars) != 1 || view.Bars[0].Visible || view.Bars[0].Width != 0 {
		t.Errorf("a hidden bar seen as %+v", view.Bars)
	}
}
