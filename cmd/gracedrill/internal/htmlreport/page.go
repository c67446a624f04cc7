package htmlreport

// pageTemplate is the page: html/template markup, inline CSS and the script that draws the chart.
const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
  :root { --ink: #1d2330; --muted: #6b7385; --line: #e3e6ec; --ok: #1a7f4b; --bad: #c62828; }
  * { box-sizing: border-box; }
  body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
  h1 { font-size: 20px; margin: 0 0 4px; }
  .verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 600; letter-spacing: .04em; }
  .verdict.pass { background: var(--ok); } .verdict.fail { background: var(--bad); }
  .reasons { color: var(--bad); margin: 6px 0 0; padding-left: 18px; }
  .grid { display: flex; gap: 32px; flex-wrap: wrap; margin: 16px 0; }
  table { border-collapse: collapse; }
  td, th { padding: 3px 12px 3px 0; text-align: left; vertical-align: top; }
  th { color: var(--muted); font-weight: 500; }
  .stops td, .stops th { border-bottom: 1px solid var(--line); padding-right: 16px; }
  #chart { width: 100%; }
  #chart svg { display: block; width: 100%; }
  .legend { display: flex; gap: 16px; flex-wrap: wrap; color: var(--muted); margin: 4px 0 12px; }
  .legend i { display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 5px; }
  #tip { position: fixed; pointer-events: none; background: rgba(29,35,48,.92); color: #fff; padding: 6px 9px; border-radius: 4px; font-size: 12px; display: none; white-space: pre; }
  #error { color: var(--bad); }
  .disagree { margin: 8px 0 0; font-weight: 600; }
</style>
</head>
<body>
<h1>gracedrill · <span class="verdict {{.Verdict}}">{{.Verdict}}</span></h1>
{{if .Reasons}}<ul class="reasons">{{range .Reasons}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Disagreements}}<p class="disagree">clients and service disagree:</p><ul class="reasons">{{range .Disagreements}}<li>{{.}}</li>{{end}}</ul>{{end}}
<div class="grid">
  <table>{{range .Rows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>
  {{if .Stops}}<table class="stops">
    <tr><th>instance</th><th>signal at</th><th>in flight</th><th>→ not ready</th><th>→ lb out</th><th>→ listener closed</th><th>→ exit</th><th>exit code</th></tr>
    {{range .Stops}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}
  </table>{{end}}
</div>
<div class="legend" id="legend">
  <span><i style="background:#2f6fdb"></i>requests/s</span>
  <span><i style="background:#7b52c7"></i>in flight</span>
  <span><i style="background:#9ab7ea"></i>p50</span>
  <span><i style="background:#e08a1e"></i>p90</span>
  <span><i style="background:#b3261e"></i>p99 latency</span>
</div>
<div id="chart" data-drawn="false"></div>
<div id="error"></div>
<div id="tip"></div>
<script>
"use strict";
const DATA = {{.Data}};
` + chartScript + `
(function () {
  const KINDS = ["refused", "reset", "eof", "timeout", "5xx", "other"];
  const KIND_COLORS = { refused: "#c62828", reset: "#8e24aa", eof: "#ef6c00", timeout: "#6d4c41", "5xx": "#d81b60", other: "#546e7a" };
  const legend = document.getElementById("legend");
  const seen = new Set();
  for (const p of DATA.points) for (const kind in (p.kinds || {})) seen.add(kind);
  for (const kind of KINDS) if (seen.has(kind)) {
    const span = document.createElement("span");
    const sw = document.createElement("i");
    sw.style.background = KIND_COLORS[kind];
    sw.style.height = "10px";
    span.appendChild(sw);
    span.appendChild(document.createTextNode("failed: " + kind));
    legend.appendChild(span);
  }
  const chart = document.getElementById("chart");
  const tip = document.getElementById("tip");
  const pts = DATA.points;
  const W = Math.max(600, chart.clientWidth || 1100);
  const g = { W, L: 64, R: 110, PH: 150, GAP: 34, TOP: 18 };
  const panels = [
    { title: "requests/s and failed/s", series: [["failed", "#c62828", true], ["sent", "#2f6fdb", false]] },
    { title: "in flight", series: [["inflight", "#7b52c7", false]] },
    { title: "latency (ms, log scale)", log: true, series: [["p50", "#9ab7ea", false], ["p90", "#e08a1e", false], ["p99", "#b3261e", false]] },
  ];
  const H = g.TOP + panels.length * (g.PH + g.GAP) + 10;
  const svg = el("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img" });
  chart.appendChild(svg);
  const tMax = Math.max(0.001, pts.length ? pts[pts.length - 1].t + DATA.bucket_ms / 1000 : 1,
    ...DATA.events.map(e => e.t));
  const x = t => g.L + (W - g.L - g.R) * t / tMax;

  panels.forEach((panel, i) => {
    let vmax = 0, vmin = Infinity;
    for (const p of pts) for (const [k] of panel.series) { vmax = Math.max(vmax, p[k]); if (p[k] > 0) vmin = Math.min(vmin, p[k]); }
    const { y, y0 } = drawPanel(svg, g, i, panel.title, scaleOf(vmin, vmax, panel.log));
    for (const [k, color, bars] of panel.series) {
      if (bars) { // failures per second, stacked by kind
        const bw = Math.max(1, x(DATA.bucket_ms / 1000) - x(0) - 1);
        const perSec = 1000 / DATA.bucket_ms;
        for (const p of pts) if (p[k] > 0) {
          let top = y0;
          for (const kind of KINDS) {
            const n = (p.kinds && p.kinds[kind]) || 0;
            if (!n) continue;
            const h = Math.max(2, y0 - y(n * perSec));
            top -= h;
            svg.appendChild(el("rect", { x: x(p.t), y: top, width: bw, height: h, fill: KIND_COLORS[kind], opacity: 0.6 }));
          }
        }
        continue;
      }
      drawLine(svg, pts, k, color, x, y, DATA.bucket_ms, panel.log);
    }
  });
  const yAxis = drawTimeAxis(svg, g, panels.length, x, tMax);
  drawMarkers(svg, g, DATA.events, x, yAxis, 10);

  // hover read-out
  const cursor = el("line", { x1: 0, x2: 0, y1: g.TOP, y2: yAxis - 14, stroke: "#888", "stroke-width": 0.6, visibility: "hidden" });
  svg.appendChild(cursor);
  svg.addEventListener("mousemove", ev => {
    const r = svg.getBoundingClientRect();
    const t = ((ev.clientX - r.left) * W / r.width - g.L) / (W - g.L - g.R) * tMax;
    const p = pts[Math.min(pts.length - 1, Math.max(0, Math.floor(t * 1000 / DATA.bucket_ms)))];
    if (!p) return;
    cursor.setAttribute("x1", x(p.t)); cursor.setAttribute("x2", x(p.t)); cursor.setAttribute("visibility", "visible");
    const kinds = p.kinds ? "\nfailed: " + Object.entries(p.kinds).map(([k, n]) => k + " " + n).join(", ") : "";
    tip.textContent = "t " + p.t.toFixed(2) + " s\nrequests/s " + p.sent.toFixed(0) + "\nfailed/s " + p.failed.toFixed(0) +
      "\nin flight " + p.inflight + "\np50 " + p.p50 + " ms  p90 " + p.p90 + " ms  p99 " + p.p99 + " ms" + kinds;
    tip.style.display = "block"; tip.style.left = (ev.clientX + 14) + "px"; tip.style.top = (ev.clientY + 10) + "px";
  });
  svg.addEventListener("mouseleave", () => { tip.style.display = "none"; cursor.setAttribute("visibility", "hidden"); });
  chart.setAttribute("data-drawn", "true");
})();
</script>
</body>
</html>
`
