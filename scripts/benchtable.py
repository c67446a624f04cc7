#!/usr/bin/env python3
"""Turns `go test -bench` output (several modules, -count N) into BENCHMARKS.md: per benchmark and
metric the median, min and max over the runs, and the ratios of each benchmark's metrics to the
baselines it measured in the same run (the median over the runs of each run's ratio): a metric named grace-X against every other metric ending
in -X (e.g. grace-ms / stdlib-ms), and every STYLE-X against bare-X when a benchmark measures a
"bare" baseline. A module whose README.md has a heading naming benchmarks gets a pointer to it.
Benchmarks that failed are listed at the top and under their own heading, with their messages."""
import os, platform, re, statistics, subprocess, sys, datetime
from collections import OrderedDict

raw, count = sys.argv[1], sys.argv[2]
runs = OrderedDict()      # (pkg, bench) -> metric -> [values]
failures = OrderedDict()  # (pkg, bench) -> [messages]
failed_modules = []
moddir = {}               # pkg -> module directory (from scripts/bench's "=== bench DIR" lines)
pkg, mod, failing = "?", ".", None
for line in open(raw):
    line = line.rstrip("\n")
    m = re.match(r"^=== bench (\S+)( failed)?$", line)
    if m:
        if m.group(2):
            failed_modules.append(m.group(1))
        else:
            mod = m.group(1)
        failing = None
        continue
    if line.startswith("pkg: "):
        pkg = line[5:]
        moddir.setdefault(pkg, mod)
        failing = None
        continue
    m = re.match(r"^--- FAIL: (Benchmark\S+)", line)
    if m:
        failing = failures.setdefault((pkg, m.group(1)), [])
        continue
    if failing is not None and line.startswith("    "):
        msg = line.strip()
        if msg and msg not in failing and len(failing) < 5:
            failing.append(msg[:300])
        continue
    failing = None
    m = re.match(r"^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.*)$", line)
    if not m:
        continue
    name, fields = m.group(1), m.group(4).split()
    metrics = runs.setdefault((pkg, name), OrderedDict())
    for i in range(0, len(fields) - 1, 2):
        try:
            v = float(fields[i])
        except ValueError:
            continue
        unit = fields[i + 1]
        if unit == "ns/op" and v == 0:
            continue  # benchmarks that report their own metrics zero ns/op
        metrics.setdefault(unit, []).append(v)

def fmt(v):
    if v == 0: return "0"
    if abs(v) >= 100: return f"{v:,.0f}"
    if abs(v) >= 10: return f"{v:.1f}"
    if abs(v) >= 1: return f"{v:.2f}"
    return f"{v:.3f}"

def sh(cmd):
    try: return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception: return "?"

def readme(d):
    """The module's README.md when it has a heading naming benchmarks."""
    path = os.path.normpath(os.path.join(d, "README.md"))
    try:
        for l in open(path):
            if re.match(r"^#+ .*bench", l, re.I):
                return path
    except OSError:
        pass
    return None

def ratio(a, b):
    """a / b over the runs: the median of the per-run ratios when both metrics have a value in
    every run (each run measures both in the same iteration), else the ratio of the medians."""
    if len(a) == len(b):
        rs = [x / y for x, y in zip(a, b) if y]
        return statistics.median(rs) if rs else None
    mb = statistics.median(b)
    return statistics.median(a) / mb if mb else None

def ratios(metrics):
    out = []
    def add(unit, base):
        r = ratio(metrics[unit], metrics[base])
        if r is not None:
            out.append(f"{unit} / {base} = **{r:.3f}**")
    for unit in metrics:
        if unit.startswith("grace-"):
            suffix = unit[len("grace"):]
            for other in metrics:
                if other != unit and other.endswith(suffix) and not other.startswith("diff-"):
                    add(unit, other)
    for base in metrics:
        if base.startswith("bare-"):
            suffix = base[len("bare"):]
            for unit in metrics:
                if unit != base and unit.endswith(suffix) and not unit.startswith(("grace-", "diff-")):
                    add(unit, base)
    return out

cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip() or platform.processor()
out = []
out.append("# Benchmarks\n")
out.append("Written by `make bench` (scripts/bench); do not edit by hand. Each figure is the median, min and")
out.append(f"max over {count} runs of the benchmark (`go test -run '^$' -bench . -benchtime 1x -count {count}` in")
out.append("each module). Baselines are measured in the same run, on the same machine: the machine is")
out.append("shared and noisy, so absolute times drift; the ratios are the claim.\n")
out.append(f"Machine: {os.cpu_count()} cores, {cpu}; {sh('go version')}; open files {sh('ulimit -n')}; "
           f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC; load average at the end {os.getloadavg()[0]:.1f}.\n")
guides = OrderedDict()
for p in moddir:
    if (g := readme(moddir[p])) and g not in guides.values():
        guides[p] = g
if guides:
    out.append("What the figures mean, how each is measured, and how fair it is to each baseline: "
               + "; ".join(f"[{g}]({g}) ({p})" for p, g in guides.items()) + ".\n")
if failures or failed_modules:
    out.append("**Failed:** " + "; ".join([f"{p} {n}" for p, n in failures] +
               [f"module {m}" for m in failed_modules if not any(moddir.get(p) == m for p, _ in failures)]) +
               ". Their figures, if any, cover only the runs that completed.\n")
lastpkg = None
for key in list(runs) + [k for k in failures if k not in runs]:
    p, name = key
    if p != lastpkg:
        out.append(f"\n## {p}\n")
        if p in guides:
            out.append(f"About these benchmarks: [{guides[p]}]({guides[p]}).\n")
        lastpkg = p
    out.append(f"### {name}\n")
    if key in failures:
        out.append("FAILED: " + " / ".join(failures[key] or ["(no message)"]) + "\n")
    metrics = runs.get(key, {})
    if not metrics:
        continue
    out.append("| metric | median | min | max | runs |")
    out.append("|---|---:|---:|---:|---:|")
    med = {}
    for unit, vals in metrics.items():
        med[unit] = statistics.median(vals)
        out.append(f"| {unit} | {fmt(med[unit])} | {fmt(min(vals))} | {fmt(max(vals))} | {len(vals)} |")
    r = ratios(metrics)
    if r:
        out.append("\nRatios (median of the per-run ratios): " + "; ".join(r) + ".")
    out.append("")
print("\n".join(out))
