"""One self-contained page for a squad: a row per athlete with the latest week's values, their
trend over the last weeks (a small inline SVG line each, no script), and the open flags — the
flags of the latest weeks, in words and numbers. Readable on a phone (the table scrolls in its
box)."""

from __future__ import annotations

import html
import math

from sqlalchemy import select

from .analysis import MonitoringParams
from .schema import Athlete
from .store import Store
from .trends import AthleteTrend, athlete_trend

METRICS = (("velocity", "v@load", "m/s", "{:.2f}"), ("top_speed", "top speed", "m/s", "{:.2f}"),
           ("hsr_distance", "HSR", "m", "{:.0f}"), ("e1rm", "e1RM", "kg", "{:.0f}"))
RECENT_WEEKS = 2  # flags of this many latest weeks are "open"


def squad_trends(store: Store, p: MonitoringParams | None = None, end=None) -> list[AthleteTrend]:
    """Every athlete's trend, up to the week of `end` (a date; None: all)."""
    with store.transaction() as db:
        names = db.scalars(select(Athlete.name).order_by(Athlete.name)).all()
    return [athlete_trend(store, name, p, end=end) for name in names]


def spark(values: list[float], width: int = 90, height: int = 22) -> str:
    """An inline SVG polyline of the values (gaps skipped), the last point marked."""
    points = [(k, v) for k, v in enumerate(values) if math.isfinite(v)]
    if len(points) < 2:
        return ""
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    span, n = (hi - lo) or 1.0, max(len(values) - 1, 1)
    xy = [(2 + (width - 4) * k / n, height - 2 - (height - 4) * (v - lo) / span) for k, v in points]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    x, y = xy[-1]
    return (f"<svg width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
            f"aria-label='trend'><polyline points='{path}' fill='none' stroke='#1f77b4' stroke-width='1.5'/>"
            f"<circle cx='{x:.1f}' cy='{y:.1f}' r='2.5' fill='#1f77b4'/></svg>")


def squad_page(trends: list[AthleteTrend], title: str = "Squad") -> str:
    e = html.escape
    head = "".join(f"<th>{e(label)} [{unit}]</th><th>trend</th>" for _, label, unit, _ in METRICS)
    rows, flagged = [], []
    for t in trends:
        if not t.weeks:
            continue
        latest = t.weeks[-1]
        cells = []
        for name, _, _, fmt in METRICS:
            value = getattr(latest, name)
            series = [getattr(w, name) for w in t.weeks[-8:]]
            z = latest.z.get(name)
            shown = fmt.format(value) if math.isfinite(value) else "–"
            if z is not None and math.isfinite(z):
                shown += f" <small>(z {z:+.1f})</small>"
            cells += [shown, spark(series)]
        since = t.weeks[-RECENT_WEEKS:][0].start  # weeks' and session days' flags since then
        open_flags = [f for f in t.flags if f.start >= since and not t.note_text(f)]  # not yet acknowledged
        mark = f"<b class='flag'>{len(open_flags)} flag(s)</b>" if open_flags else "–"
        rows.append(f"<tr><th class='name'>{e(t.athlete)}</th><td>{latest.start}</td>"
                    + "".join(f"<td>{c}</td>" for c in cells) + f"<td>{mark}</td></tr>")
        flagged += [f"<li><b>{e(t.athlete)}</b>: {e(f.explain())}</li>" for f in open_flags]
    flags = ("<ul>" + "".join(flagged) + "</ul>") if flagged else "<p>No open flag.</p>"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:0 auto;padding:0 .8em;max-width:70em;line-height:1.4}}
.scroll{{overflow-x:auto;max-width:100%}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:.2em .5em;text-align:right;white-space:nowrap}}th{{background:#f4f4f4}}th.name{{text-align:left}}
.flag{{color:#cf222e}}small{{color:#555}}li{{margin:.3em 0}}</style></head><body><h1>{e(title)}</h1>
<p>The latest week of each athlete (z: against their own rolling baseline), the last eight weeks as
a line, and the flags of the last {RECENT_WEEKS} weeks. The staff decide: this says where to look.</p>
<div class='scroll'><table><tr><th>athlete</th><th>week of</th>{head}<th>flags</th></tr>{''.join(rows)}
</table></div><h2>Open flags</h2>{flags}</body></html>"""
