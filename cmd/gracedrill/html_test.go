package main

import (
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium runs headless Debian chromium on page with extra flags and returns stdout and stderr.
func chromium(t *testing.T, page string, extra ...string) (string, string) {
	t.Helper()
	requireTool(t, "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run",
		"--user-data-dir=" + filepath.Join(t.TempDir(), "profile"), "--window-size=1200,1000"}, extra...)
	cmd := exec.CommandContext(ctx, "chromium", append(args, "file://"+page)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// drawnPage checks that page is self-contained (it loads nothing) and that chromium draws it
// to the end (data-drawn="true") without a line on the console, and returns its DOM.
func drawnPage(t *testing.T, page string) string {
	t.Helper()
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, remote := range []string{"src=", "href=", "@import", "url(", "fetch(", "XMLHttpRequest"} {
		if strings.Contains(string(html), remote) {
			t.Errorf("the page is not self-contained: it contains %q", remote)
		}
	}
	dom, logs := chromium(t, page, "--enable-logging=stderr", "--v=0", "--dump-dom")
	if !strings.Contains(dom, `data-drawn="true"`) {
		t.Errorf("the chart script did not finish drawing; DOM:\n%.3000s", dom)
	}
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, ":CONSOLE") { // the page logs nothing, so any console line is an error
			t.Errorf("console output: %s", line)
		}
	}
	return dom
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestHTMLReportDrawsInChromiumWithoutConsoleErrors(t *testing.T) {
	t.Parallel()
	page := filepath.Join(t.TempDir(), "report.html")
	res := gracedrill(t, append(runArgs(t, "--html", page), testServerCmd(t, "nodelay")...)...)
	if res.code != exitFail {
		t.Fatalf("exit %d: want the lossy server to fail (its failures make the chart's red bars)", res.code)
	}
	dom := drawnPage(t, page)
	if !strings.Contains(dom, "<svg") || !strings.Contains(dom, "listener closed") {
		t.Errorf("no SVG chart with phase markers in the DOM")
	}

	shot := filepath.Join(t.TempDir(), "shot.png")
	chromium(t, page, "--screenshot="+shot, "--hide-scrollbars")
	img := readPNG(t, shot)
	b := img.Bounds()
	var nonWhite, blue, red, total int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			total++
			if r < 245 || g < 245 || bl < 245 {
				nonWhite++
			}
			if bl > 180 && r < 90 && g > 80 && g < 150 { // the requests/s line, #2f6fdb
				blue++
			}
			if r > 180 && g < 110 && bl < 110 { // failures and the verdict, #c62828
				red++
			}
		}
	}
	t.Logf("screenshot %dx%d: %d non-white, %d blue, %d red pixels", b.Dx(), b.Dy(), nonWhite, blue, red)
	if nonWhite < total/50 || blue < 300 || red < 300 {
		t.Errorf("the chart does not look drawn: %d of %d pixels non-white, %d blue, %d red", nonWhite, total, blue, red)
	}
}
