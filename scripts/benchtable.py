#!/usr/bin/env python3
"""Turns `go test -bench` output (several modules, -count N) into BENCHMARKS.md: per benchmark and
metric the median, min and max over the runs, and the ratios of each benchmark's metrics to the
baselines it measured in the same run (a metric named grace-X against every other metric ending
in -X, e.g. grace-ms / stdlib-ms)."""
import os, platform, re, statistics, subprocess, sys, datetime
from collections import defaultdict, OrderedDict

raw, count = sys.argv[1], sys.argv[2]
runs = OrderedDict()  # (pkg, bench) -> metric -> [values]
pkg = "?"
for line in open(raw):
    line = line.rstrip("\n")
    if line.startswith("pkg: "):
        pkg = line[5:]
        continue
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

cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip() or platform.processor()
out = []
out.append("# Benchmarks\n")
out.append("Written by `make bench` (scripts/bench); do not edit by hand. Each figure is the median, min and")
out.append(f"max over {count} runs of the benchmark (`go test -run '^$' -bench . -benchtime 1x -count {count}` in")
out.append("each module). Baselines are measured in the same run, on the same machine: the machine is")
out.append("shared and noisy, so absolute times drift; the ratios are the claim.\n")
out.append(f"Machine: {os.cpu_count()} cores, {cpu}; {sh('go version')}; open files {sh('ulimit -n')}; "
           f"{datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC; load average at the end {os.getloadavg()[0]:.1f}.\n")
lastpkg = None
for (p, name), metrics in runs.items():
    if p != lastpkg:
        out.append(f"\n## {p}\n")
        lastpkg = p
    out.append(f"### {name}\n")
    out.append("| metric | median | min | max | runs |")
    out.append("|---|---:|---:|---:|---:|")
    med = {}
    for unit, vals in metrics.items():
        med[unit] = statistics.median(vals)
        out.append(f"| {unit} | {fmt(med[unit])} | {fmt(min(vals))} | {fmt(max(vals))} | {len(vals)} |")
    ratios = []
    for unit, v in med.items():
        if unit.startswith("grace-"):
            suffix = unit[len("grace"):]
            for other, w in med.items():
                if other != unit and other.endswith(suffix) and not other.startswith("diff-") and w:
                    ratios.append(f"{unit} / {other} = **{v / w:.3f}**")
    if ratios:
        out.append("\nRatios of medians: " + "; ".join(ratios) + ".")
    out.append("")
print("\n".join(out))
