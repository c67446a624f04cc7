package htmlreport

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"os"

	"github.com/gracekit/grace/cmd/gracedrill/internal/jsonreport"
)

// CompareRun is one run on the compare page.
type CompareRun struct {
	Name     string               `json:"name"`
	Verdict  string               `json:"verdict"`
	Timeline *jsonreport.Timeline `json:"timeline"` // nil: the report has no timeline
}

// CompareRow is one headline figure across the runs.
type CompareRow struct {
	Label  string
	Values []string
}

type compareView struct {
	Runs []CompareRun
	Rows []CompareRow
	Data template.JS
}

// WriteCompare renders the compare page: the table of headline figures, then every run's
// timeline on the same time axis and the same vertical scales, with the same phase markers.
func WriteCompare(w io.Writer, runs []CompareRun, rows []CompareRow) error {
	js, err := json.Marshal(runs) // escapes <, > and &
	if err != nil {
		return fmt.Errorf("compare page: %w", err)
	}
	t, err := template.New("compare").Parse(comparePage)
	if err != nil {
		return fmt.Errorf("compare page: %w", err)
	}
	if err := t.Execute(w, compareView{Runs: runs, Rows: rows, Data: template.JS(js)}); err != nil {
		return fmt.Errorf("compare page: %w", err)
	}
	return nil
}

// WriteCompareFile renders the compare page to path.
func WriteCompareFile(path string, runs []CompareRun, rows []CompareRow) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("compare page: %w", err)
	}
	if err := WriteCompare(f, runs, rows); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("compare page: %w", err)
	}
	return nil
}

const comparePage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gracedrill compare</title>
<style>
  :root { --ink: #1d2330; --muted: #6b7385; --line: #e3e6ec; --ok: #1a7f4b; --bad: #c62828; }
  * { box-sizing: border-box; }
  body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
  h1 { font-size: 20px; margin: 0 0 12px; }
  h2 { font-size: 16px; margin: 18px 0 2px; }
  .verdict { display: inline-block; padding: 1px 9px; border-radius: 12px; color: #fff; font-weight: 600; font-size: 12px; letter-spacing: .04em; }
  .verdict.pass { background: var(--ok); } .verdict.fail { background: var(--bad); }
  table.figures { border-collapse: collapse; margin-bottom: 8px; }
  .figures td, .figures th { padding: 3px 18px 3px 0; text-align: left; border-bottom: 1px solid var(--line); }
  .figures th { color: var(--muted); font-weight: 500; }
  .figures thead th { color: var(--ink); font-weight: 600; }
  .run svg { display: block; width: 100%; }
  .legend { display: flex; gap: 16px; flex-wrap: wrap; color: var(--muted); margin: 4px 0 4px; }
  .legend i { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 5px; }
  .missing { color: var(--muted); }
</style>
</head>
<body>
<h1>gracedrill compare</h1>
<table class="figures">
  <thead><tr><th></th>{{range .Runs}}<th>{{.Name}}</th>{{end}}</tr></thead>
  <tbody>{{range .Rows}}<tr><th>{{.Label}}</th>{{range .Values}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody>
</table>
<div class="legend">
  <span><i style="background:#2f6fdb"></i>requests/s</span>
  <span><i style="background:#c62828;height:10px"></i>failed/s</span>
  <span><i style="background:#7b52c7"></i>in flight</span>
  <span><i style="background:#9ab7ea"></i>p50</span>
  <span><i style="background:#e08a1e"></i>p90</span>
  <span><i style="background:#b3261e"></i>p99 latency</span>
  <span>same time axis and scales in every run</span>
</div>
<div id="charts" data-drawn="false"></div>
<script>
"use strict";
const RUNS = {{.Data}};
` + chartScript + `
(function () {
  const charts = document.getElementById("charts");
  const W = Math.max(600, charts.clientWidth || 1100);
  const g = { W, L: 64, R: 110, PH: 110, GAP: 30, TOP: 18 };
  const panels = [
    { title: "requests/s and failed/s", series: [["sent", "#2f6fdb"]], bars: "failed" },
    { title: "in flight", series: [["inflight", "#7b52c7"]] },
    { title: "latency (ms, log scale)", log: true, series: [["p50", "#9ab7ea"], ["p90", "#e08a1e"], ["p99", "#b3261e"]] },
  ];
  // Shared scales: the longest run sets the time axis; each panel's range covers every run.
  const withData = RUNS.filter(r => r.timeline && r.timeline.points.length);
  let tMax = 0.001;
  for (const r of withData) {
    const pts = r.timeline.points;
    tMax = Math.max(tMax, pts[pts.length - 1].t + r.timeline.bucket_ms / 1000, ...r.timeline.events.map(e => e.t));
  }
  const x = t => g.L + (W - g.L - g.R) * t / tMax;
  const scales = panels.map(panel => {
    let vmax = 0, vmin = Infinity;
    for (const r of withData) for (const p of r.timeline.points) {
      for (const [k] of panel.series) { vmax = Math.max(vmax, p[k]); if (p[k] > 0) vmin = Math.min(vmin, p[k]); }
      if (panel.bars) vmax = Math.max(vmax, p[panel.bars]);
    }
    return scaleOf(vmin, vmax, panel.log);
  });
  const H = g.TOP + panels.length * (g.PH + g.GAP) + 10;
  for (const run of RUNS) {
    const section = document.createElement("section");
    section.className = "run";
    const h2 = document.createElement("h2");
    h2.appendChild(document.createTextNode(run.name + " "));
    const badge = document.createElement("span");
    badge.className = "verdict " + (run.verdict === "pass" ? "pass" : "fail");
    badge.textContent = run.verdict;
    h2.appendChild(badge);
    section.appendChild(h2);
    charts.appendChild(section);
    if (!run.timeline || !run.timeline.points.length) {
      const p = document.createElement("p");
      p.className = "missing";
      p.textContent = "this report has no timeline (written by an older gracedrill)";
      section.appendChild(p);
      continue;
    }
    const tl = run.timeline, pts = tl.points;
    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "data-run": run.name });
    section.appendChild(svg);
    panels.forEach((panel, i) => {
      const { y, y0 } = drawPanel(svg, g, i, panel.title, scales[i]);
      if (panel.bars) {
        const bw = Math.max(1, x(tl.bucket_ms / 1000) - x(0) - 1);
        for (const p of pts) if (p[panel.bars] > 0) {
          const h = Math.max(2, y0 - y(p[panel.bars]));
          svg.appendChild(el("rect", { x: x(p.t), y: y0 - h, width: bw, height: h, fill: "#c62828", opacity: 0.65 }));
        }
      }
      for (const [k, color] of panel.series) drawLine(svg, pts, k, color, x, y, tl.bucket_ms, panel.log);
    });
    const yAxis = drawTimeAxis(svg, g, panels.length, x, tMax);
    drawMarkers(svg, g, tl.events, x, yAxis, 6);
  }
  charts.setAttribute("data-drawn", "true");
  charts.setAttribute("data-runs", String(document.querySelectorAll("#charts svg").length));
})();
</script>
</body>
</html>
`
