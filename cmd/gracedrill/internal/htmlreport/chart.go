package htmlreport

// chartScript is the drawing kit both pages share: SVG elements, scales, a panel's grid, the
// time axis and the phase markers. It is plain script, pasted into each page's <script> before
// the page's own code. A geometry g is { W, L, R, PH, GAP, TOP }: width, left and right margins,
// panel height, gap between panels, top margin.
const chartScript = `
const NS = "http://www.w3.org/2000/svg";
const MARKER_COLORS = { "signal": "#111", "trigger": "#111", "trigger returned": "#444", "not ready": "#e08a1e",
  "ready again": "#2f6fdb", "lb not ready": "#c77700", "listener closed": "#c62828", "exit": "#1a7f4b",
  "killed": "#c62828", "load stopped": "#6b7385", "lb added": "#2f6fdb", "ready": "#2f6fdb" };
function el(name, attrs, text) {
  const n = document.createElementNS(NS, name);
  for (const k in attrs) n.setAttribute(k, attrs[k]);
  if (text !== undefined) n.textContent = text;
  return n;
}
function niceStep(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}
// scaleOf returns the ticks of a panel whose values run from vmin (the smallest above 0) to
// vmax, and f, which maps a value to 0..1 (log: a decade per tick).
function scaleOf(vmin, vmax, log) {
  const ticks = [];
  if (log) {
    const lo = Math.pow(10, Math.floor(Math.log10(isFinite(vmin) ? vmin : 0.1)));
    const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(vmax, lo * 10))));
    for (let v = lo; v <= hi * 1.0001; v *= 10) ticks.push(v);
    return { ticks, f: v => (Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) };
  }
  const step = niceStep(Math.max(vmax, 1) / 4);
  const top = Math.max(step, Math.ceil(vmax / step) * step);
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  return { ticks, f: v => v / top };
}
// drawPanel draws panel i's title, grid and base line on svg and returns its y(value) and y0,
// the base line's height.
function drawPanel(svg, g, i, title, sc) {
  const y0 = g.TOP + i * (g.PH + g.GAP) + g.PH, y1 = y0 - g.PH;
  const y = v => y0 - g.PH * sc.f(v);
  svg.appendChild(el("text", { x: g.L, y: y1 - 6, "font-size": 12, fill: "#1d2330", "font-weight": 600 }, title));
  for (const v of sc.ticks) {
    svg.appendChild(el("line", { x1: g.L, x2: g.W - g.R, y1: y(v), y2: y(v), stroke: "#eef0f4" }));
    svg.appendChild(el("text", { x: g.L - 6, y: y(v) + 4, "font-size": 11, fill: "#6b7385", "text-anchor": "end" },
      v >= 1000 ? (v / 1000) + "k" : String(+v.toPrecision(3))));
  }
  svg.appendChild(el("line", { x1: g.L, x2: g.W - g.R, y1: y0, y2: y0, stroke: "#b9bfcb" }));
  return { y, y0 };
}
// drawLine draws series k of pts as a path (values at or below 0 left out on a log scale).
function drawLine(svg, pts, k, color, x, y, bucketMS, log) {
  const d = pts.filter(p => !log || p[k] > 0)
    .map((p, j) => (j ? "L" : "M") + x(p.t + bucketMS / 2000).toFixed(1) + "," + y(p[k]).toFixed(1)).join("");
  if (d) svg.appendChild(el("path", { d: d, fill: "none", stroke: color, "stroke-width": 1.8, "stroke-linejoin": "round" }));
}
// drawTimeAxis labels the time axis below the panels and returns its height.
function drawTimeAxis(svg, g, panels, x, tMax) {
  const yAxis = g.TOP + panels * (g.PH + g.GAP) - g.GAP + 16;
  const tstep = niceStep(tMax / 10);
  for (let t = 0; t <= tMax + 1e-9; t += tstep) {
    svg.appendChild(el("text", { x: x(t), y: yAxis, "font-size": 11, fill: "#6b7385", "text-anchor": "middle" }, (+t.toFixed(2)) + " s"));
  }
  return yAxis;
}
// drawMarkers draws a dashed line and a label for each event (the first "ready" left out), the
// labels in at most rows rows so that they do not overlap.
function drawMarkers(svg, g, events, x, yAxis, rows) {
  const rowEnds = []; // right end of the last label in each row
  events.filter(e => e.name !== "ready" || e.t > 0.0005).forEach((e, j) => {
    const c = MARKER_COLORS[e.name] || "#444", xx = x(e.t);
    svg.appendChild(el("line", { x1: xx, x2: xx, y1: g.TOP - 4, y2: yAxis - 14, stroke: c, "stroke-width": 1.2, "stroke-dasharray": "4 3" }));
    const label = e.name + (e.instance > 0 ? " #" + e.instance : "");
    let row = rowEnds.findIndex(end => end < xx);
    if (row < 0) row = rowEnds.length < rows ? rowEnds.length : j % rows;
    rowEnds[row] = xx + 6 + label.length * 6;
    svg.appendChild(el("text", { x: xx + 3, y: g.TOP + 10 + row * 12, "font-size": 10.5, fill: c }, label));
  });
}
`
