package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Two real drills (a careful server and one that shuts down at once), compared.
func TestCompareTableAndPage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "careful.json"), filepath.Join(dir, "nodelay-with-a-long-name.json")
	gracedrill(t, append(runArgs(t, "--json", good), testServerCmd(t, "careful", "--drain", "600ms")...)...)
	// The no-delay server loses requests unless the load balancer's probe happens to land in the
	// few milliseconds between the signal and the listener's close: a compare of two passing runs
	// would show nothing, so run it again (at most three times) until it failed.
	for i := 0; i < 3; i++ {
		// (The exit code, not res.report: the last --json wins, so the helper's report is not written.)
		if res := gracedrill(t, append(runArgs(t, "--json", bad), testServerCmd(t, "nodelay")...)...); res.code == exitFail {
			break
		}
	}
	page := filepath.Join(dir, "compare.html")
	var stdout, stderr bytes.Buffer
	if code := compareCmd([]string{good, "--html", page, bad}, &stdout, &stderr); code != exitPass {
		t.Fatalf("compare exit %d: %s", code, stderr.String())
	}
	table := stdout.String()
	t.Logf("table:\n%s", table)
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	if len(lines) < 10 {
		t.Fatalf("table too short:\n%s", table)
	}
	// Aligned in 80 columns: no tabs, no line longer than 80, and every value of the second run
	// starts in the column its name starts in.
	col := strings.Index(lines[0], "nodelay")
	if col < 0 || strings.Contains(table, "\t") {
		t.Fatalf("header %q: want the runs' names and no tabs", lines[0])
	}
	runeCol := utf8.RuneCountInString(lines[0][:col])
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("line of %d characters: %q", n, l)
		}
		r := []rune(l)
		if len(r) > runeCol && (r[runeCol-1] != ' ' || r[runeCol] == ' ') {
			t.Errorf("line %q: the second run's column does not start at %d", l, runeCol)
		}
	}
	if !strings.Contains(table, "PASS") || !strings.Contains(table, "FAIL") || !strings.Contains(table, "refused") {
		t.Errorf("table lacks the verdicts or failure kinds:\n%s", table)
	}

	dom := drawnPage(t, page)
	if !strings.Contains(dom, `data-runs="2"`) {
		t.Errorf("the page did not draw both runs; DOM:\n%.3000s", dom)
	}
	for _, want := range []string{`data-run="careful"`, `data-run="nodelay-with-a-long-name"`, "listener closed", "signal"} {
		if !strings.Contains(dom, want) {
			t.Errorf("DOM lacks %s", want)
		}
	}

	// Both runs visible: the blue of the requests/s line forms two bands of rows (one chart
	// each, apart by the second run's heading), and the red failure bars are in the second.
	shot := filepath.Join(dir, "shot.png")
	if d := os.Getenv("GRACEDRILL_KEEP_SHOT"); d != "" {
		shot = filepath.Join(d, "compare.png")
	}
	chromium(t, page, "--screenshot="+shot, "--hide-scrollbars", "--window-size=1200,1700")
	img := readPNG(t, shot)
	type band struct{ from, to, blue, red int }
	var bands []band
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		var blue, red int
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if bl > 180 && r < 90 && g > 80 && g < 150 {
				blue++
			}
			if r > 180 && g < 120 && bl < 120 {
				red++
			}
		}
		if blue == 0 {
			continue
		}
		if len(bands) == 0 || y-bands[len(bands)-1].to > 40 {
			bands = append(bands, band{from: y})
		}
		last := &bands[len(bands)-1]
		last.to, last.blue, last.red = y, last.blue+blue, last.red+red
	}
	var charts []band
	for _, bd := range bands {
		if bd.blue > 200 { // a chart, not the legend swatch
			charts = append(charts, bd)
		}
	}
	t.Logf("screenshot %dx%d: blue bands %+v", b.Dx(), b.Dy(), bands)
	if len(charts) != 2 || charts[1].red < 100 || charts[0].red >= charts[1].red {
		t.Errorf("want two charts drawn, the failures in the second: %+v", charts)
	}
}

func TestCompareBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notReport := filepath.Join(dir, "other.json")
	if err := os.WriteFile(notReport, []byte(`{"name":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"mode":`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no reports given"},
		{[]string{filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{notReport}, `not a gracedrill JSON report (no "mode" field)`},
		{[]string{broken}, "broken.json: not a gracedrill JSON report"},
		{[]string{"--bogus", notReport}, "flag provided but not defined: -bogus"},
	} {
		code, out := runCLI(append([]string{"compare"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(out, tc.want) {
			t.Errorf("compare %q: exit %d, output %q: want exit %d and %q", tc.args, code, out, exitUsage, tc.want)
		}
	}
}
