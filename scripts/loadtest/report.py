#!/usr/bin/env python3
"""The load test's report: throughput and latency charts as self-contained SVG, and an HTML
page that inlines them with the table of every scenario (no JavaScript, nothing fetched).

    report.py --out DIR [--title TEXT] RESULTS.tsv

RESULTS.tsv is what scripts/loadtest.sh writes while it runs: a header line, then one line a
scenario with the columns side (campushub or baseline), scenario, rps, p50, p90, p99 (wrk's
latency distribution, as wrk prints it: 850.00us, 1.06ms, 1.86s), errors, stmts (statements
per request), hit (cache hit ratio) and compared (the baseline scenario a CampusHub scenario is
compared with, or empty). Any set of scenarios works: each CampusHub scenario is drawn beside
the baseline scenario it names, and a baseline scenario that no CampusHub scenario names gets
a row of its own. Writes DIR/throughput.svg, DIR/latency.svg and DIR/index.html.

Python 3 standard library only, so that it runs wherever the load test does.
"""

import argparse
import csv
import html
import math
import os
import sys

CAMPUSHUB = "campushub"
BASELINE = "baseline"
COLORS = {CAMPUSHUB: "#2563eb", BASELINE: "#f59e0b"}
LEGEND = {CAMPUSHUB: "CampusHub", BASELINE: "hand-written baseline"}

# Layout of both charts, in SVG user units (pixels at 100%).
WIDTH = 820
LABEL_W = 210  # scenario names
VALUE_W = 120  # value and ratio labels right of the plot
TOP = 62  # title, subtitle and legend
BAR_H = 13
ROW_GAP = 3
GROUP_GAP = 12
AXIS_H = 30
FONT = "font-family='system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif'"


def latency_ms(text):
    """wrk's latency text (`850.00us`, `1.06ms`, `1.86s`, `2.00m`) in milliseconds."""
    for unit, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3), ("m", 6e4)):
        if text.endswith(unit):
            try:
                return float(text[: -len(unit)]) * scale
            except ValueError:
                return None
    return None


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


class Run:
    """One wrk run: a scenario on one side."""

    def __init__(self, row):
        self.side = row["side"]
        self.name = row["scenario"]
        self.rps = number(row.get("rps")) or 0.0
        self.latency = {p: latency_ms(row.get(p) or "") for p in ("p50", "p90", "p99")}
        self.row = row


def read_runs(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [Run(row) for row in csv.DictReader(f, delimiter="\t")]


def groups(runs):
    """Rows of the charts in run order: [(label, [runs])], each CampusHub scenario with the
    baseline scenario it is compared with, then the baselines no scenario named."""
    base = {r.name: r for r in runs if r.side == BASELINE}
    used = set()
    out = []
    for run in runs:
        if run.side != CAMPUSHUB:
            continue
        partner = base.get(run.row.get("compared") or "")
        if partner:
            used.add(partner.name)
        out.append((run.name, [run] + ([partner] if partner else [])))
    for run in runs:
        if run.side == BASELINE and run.name not in used:
            out.append((run.name, [run]))
    return out


class LogAxis:
    """A base-10 logarithmic axis over whole decades covering the values."""

    def __init__(self, values, x0, x1):
        values = [v for v in values if v and v > 0] or [1.0]
        self.lo = 10 ** math.floor(math.log10(min(values)))
        self.hi = 10 ** math.ceil(math.log10(max(values)))
        if self.hi <= self.lo:
            self.hi = self.lo * 10
        self.x0, self.x1 = x0, x1

    def x(self, value):
        value = min(max(value, self.lo), self.hi)
        span = math.log10(self.hi) - math.log10(self.lo)
        return self.x0 + (self.x1 - self.x0) * (math.log10(value) - math.log10(self.lo)) / span

    def decades(self):
        v = self.lo
        while v <= self.hi * 1.0001:
            yield v
            v *= 10


def fmt_int(value):
    return f"{value:,.0f}"


def fmt_ms(value):
    if value is None:
        return "–"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 10:
        return f"{value:.0f} ms"
    if value >= 1:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def fmt_tick(value, unit):
    if unit == "ms":
        return fmt_ms(value).replace(".00", "").replace(".0 ", " ")
    return f"{value / 1000:.0f}k" if value >= 1000 else f"{value:.0f}"


def esc(text):
    return html.escape(str(text), quote=True)


class Svg:
    def __init__(self, height, title, subtitle, column):
        self.height = height
        self.parts = [
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
            f"viewBox='0 0 {WIDTH} {height}' {FONT} font-size='11'>",
            f"<rect width='{WIDTH}' height='{height}' fill='#fff'/>",
            f"<text x='8' y='17' font-size='14' font-weight='600'>{esc(title)}</text>",
            f"<text x='8' y='33' fill='#555'>{esc(subtitle)}</text>",
        ]
        x = 8
        for side in (CAMPUSHUB, BASELINE):
            self.parts.append(
                f"<rect x='{x}' y='40' width='10' height='10' fill='{COLORS[side]}'/>"
                f"<text x='{x + 14}' y='49'>{esc(LEGEND[side])}</text>"
            )
            x += 7 * len(LEGEND[side]) + 30
        self.parts.append(
            f"<text x='{WIDTH - 8}' y='49' text-anchor='end' fill='#555'>{esc(column)}</text>"
        )

    def add(self, text):
        self.parts.append(text)

    def axis(self, axis, y_top, y_bottom, unit):
        for v in axis.decades():
            x = axis.x(v)
            self.add(
                f"<line x1='{x:.1f}' y1='{y_top}' x2='{x:.1f}' y2='{y_bottom}' stroke='#e5e7eb'/>"
                f"<text x='{x:.1f}' y='{y_bottom + 14}' text-anchor='middle' fill='#555'>"
                f"{fmt_tick(v, unit)}</text>"
            )

    def text(self):
        return "\n".join(self.parts + ["</svg>"]) + "\n"


def layout(rows):
    """The y of each run's bar and the chart's height."""
    y, places = TOP, []
    for _, runs in rows:
        places.append(y)
        y += len(runs) * (BAR_H + ROW_GAP) + GROUP_GAP
    return places, y + AXIS_H


def label(svg, name, y, runs):
    svg.add(f"<text x='8' y='{y + BAR_H - 2}' font-weight='600'>{esc(name)}</text>")
    if len(runs) > 1:
        other = runs[1].name
        svg.add(
            f"<text x='8' y='{y + 2 * BAR_H + ROW_GAP - 2}' fill='#777'>vs {esc(other)}</text>"
        )
    elif runs[0].side == BASELINE:
        svg.add(f"<text x='8' y='{y + 2 * BAR_H}' fill='#777'>(baseline only)</text>")


def throughput_svg(rows, title):
    places, height = layout(rows)
    x0, x1 = LABEL_W, WIDTH - VALUE_W
    axis = LogAxis([r.rps for _, runs in rows for r in runs], x0, x1)
    svg = Svg(height, title, "Requests per second (log scale); the ratio is CampusHub / baseline", "vs base")
    svg.axis(axis, TOP - 6, height - AXIS_H, "rps")
    for (name, runs), y in zip(rows, places):
        label(svg, name, y, runs)
        for i, run in enumerate(runs):
            top = y + i * (BAR_H + ROW_GAP)
            end = axis.x(run.rps) if run.rps > 0 else x0
            svg.add(
                f"<rect x='{x0}' y='{top}' width='{end - x0:.1f}' height='{BAR_H}' "
                f"fill='{COLORS[run.side]}'><title>{esc(LEGEND[run.side])} {esc(run.name)}: "
                f"{fmt_int(run.rps)} req/s</title></rect>"
                f"<text x='{end + 4:.1f}' y='{top + BAR_H - 2}'>{fmt_int(run.rps)}</text>"
            )
        if len(runs) > 1 and runs[1].rps > 0:
            ratio = runs[0].rps / runs[1].rps
            svg.add(
                f"<text x='{WIDTH - 8}' y='{y + BAR_H + 4}' text-anchor='end' "
                f"font-weight='600'>{ratio:.2f}×</text>"
            )
    return svg.text()


def latency_svg(rows, title):
    places, height = layout(rows)
    x0, x1 = LABEL_W, WIDTH - VALUE_W
    values = [v for _, runs in rows for r in runs for v in r.latency.values() if v]
    axis = LogAxis(values, x0, x1)
    svg = Svg(height, title, "Latency (log scale): bar from p50 to p99, tick at p90, dot at p50", "p50 · p99")
    svg.axis(axis, TOP - 6, height - AXIS_H, "ms")
    for (name, runs), y in zip(rows, places):
        label(svg, name, y, runs)
        for i, run in enumerate(runs):
            p50, p90, p99 = (run.latency[p] for p in ("p50", "p90", "p99"))
            if not (p50 and p99):
                continue
            mid = y + i * (BAR_H + ROW_GAP) + BAR_H / 2
            color = COLORS[run.side]
            a, b = axis.x(p50), axis.x(p99)
            tip = (
                f"{LEGEND[run.side]} {run.name}: p50 {fmt_ms(p50)}, p90 {fmt_ms(p90)}, "
                f"p99 {fmt_ms(p99)}"
            )
            svg.add(
                f"<g><title>{esc(tip)}</title>"
                f"<rect x='{a:.1f}' y='{mid - 3:.1f}' width='{max(b - a, 1):.1f}' height='6' "
                f"fill='{color}' opacity='0.45'/>"
                f"<circle cx='{a:.1f}' cy='{mid:.1f}' r='4' fill='{color}'/>"
            )
            if p90:
                c = axis.x(p90)
                svg.add(
                    f"<line x1='{c:.1f}' y1='{mid - 6:.1f}' x2='{c:.1f}' y2='{mid + 6:.1f}' "
                    f"stroke='{color}' stroke-width='2'/>"
                )
            svg.add(
                f"<line x1='{b:.1f}' y1='{mid - 6:.1f}' x2='{b:.1f}' y2='{mid + 6:.1f}' "
                f"stroke='{color}' stroke-width='2'/></g>"
                f"<text x='{WIDTH - 8}' y='{mid + 4:.1f}' text-anchor='end' fill='#333'>"
                f"{fmt_ms(p50)} · {fmt_ms(p99)}</text>"
            )
    return svg.text()


COLUMNS = [
    ("side", "side"),
    ("scenario", "scenario"),
    ("rps", "req/s"),
    ("p50", "p50"),
    ("p90", "p90"),
    ("p99", "p99"),
    ("errors", "errors"),
    ("stmts", "stmts/req"),
    ("hit", "hit"),
    ("compared", "compared with"),
]


def page(title, runs, charts):
    head = "".join(f"<th>{esc(label)}</th>" for _, label in COLUMNS) + "<th>vs base</th>"
    base = {r.name: r for r in runs if r.side == BASELINE}
    body = []
    for run in runs:
        partner = base.get(run.row.get("compared") or "") if run.side == CAMPUSHUB else None
        ratio = f"{run.rps / partner.rps:.2f}" if partner and partner.rps > 0 else ""
        cells = []
        for key, _ in COLUMNS:
            value = run.row.get(key) or ""
            if key == "rps":
                value = fmt_int(run.rps)
            cells.append(f"<td>{esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + f"<td>{ratio}</td></tr>")
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>"
        "body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
        "margin:24px;color:#111}table{border-collapse:collapse;margin-top:16px}"
        "td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}"
        "td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}svg{display:block;margin:12px 0}"
        "</style></head><body>\n"
        f"<h1>{esc(title)}</h1>\n"
        + "\n".join(charts)
        + f"\n<table><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table>\n</body></html>\n"
    )


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="the results TSV written by scripts/loadtest.sh")
    parser.add_argument("--out", required=True, help="folder for the SVGs and index.html")
    parser.add_argument("--title", default="CampusHub load test")
    args = parser.parse_args(argv)

    runs = read_runs(args.results)
    if not runs:
        print(f"report: no scenarios in {args.results}", file=sys.stderr)
        return 1
    rows = groups(runs)
    os.makedirs(args.out, exist_ok=True)
    charts = {
        "throughput.svg": throughput_svg(rows, f"Throughput · {args.title}"),
        "latency.svg": latency_svg(rows, f"Latency · {args.title}"),
    }
    for name, svg in charts.items():
        with open(os.path.join(args.out, name), "w", encoding="utf-8") as f:
            f.write(svg)
    with open(os.path.join(args.out, "index.html"), "w", encoding="utf-8") as f:
        f.write(page(args.title, runs, charts.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
