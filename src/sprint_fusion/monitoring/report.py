"""An athlete's trends as a terminal table and a self-contained HTML page readable on a phone:
the open flags first (rule in words, numbers, the coach's note), a plot per followed metric with
its baseline band and the flagged weeks circled, the load–velocity profile, the weeks (flagged
rows marked) with the GPS load, the session days, and wellness beside the load."""

from __future__ import annotations

import html
import math

from .analysis import Flag, MonitoringParams
from .trends import AthleteTrend


def _f(x, fmt: str) -> str:
    return format(x, fmt) if isinstance(x, (int, float)) and math.isfinite(x) else "–"


# (header, metric, format, with its z-score)
COLUMNS = (("v@load m/s", "velocity", ".3f", True), ("e1RM kg", "e1rm", ".0f", True),
           ("VL %", "velocity_loss", ".0f", False), ("top speed m/s", "top_speed", ".2f", True),
           ("10 m s", "t_10m", ".2f", False), ("HSR m", "hsr_distance", ".0f", True),
           ("sprint m", "sprint_distance", ".0f", False))
GPS = (("total m", "total_distance", ".0f"), ("HSR m", "hsr_distance", ".0f"), ("sprint m", "sprint_distance", ".0f"),
       ("acc", "accelerations", ".0f"), ("dec", "decelerations", ".0f"), ("top speed m/s", "gps_top_speed", ".2f"))
PLOTTED = ("velocity", "e1rm", "top_speed", "t_10m", "hsr_distance", "velocity_loss")


def head() -> tuple[str, ...]:
    cells = ["week"]
    for label, _, _, with_z in COLUMNS:
        cells += [label, "z"] if with_z else [label]
    return (*cells, "flags")


def period_cells(periods, flags: list[Flag]) -> list[tuple[str, ...]]:
    flagged: dict = {}
    for f in flags:
        flagged.setdefault(f.start, []).append(f.rule)
    rows = []
    for w in periods:
        cells = [str(w.start)]
        for _, name, fmt, with_z in COLUMNS:
            cells.append(_f(getattr(w, name), fmt))
            if with_z:
                cells.append(_f(w.z.get(name), "+.1f"))
        rows.append((*cells, ", ".join(flagged.get(w.start, []))))
    return rows


def table(trend: AthleteTrend) -> str:
    weekly = [f for f in trend.flags if f.period == "week"]
    rows = [head(), *period_cells(trend.weeks, weekly)]
    last = len(rows[0]) - 1
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(wd) if i in (0, last) else c.rjust(wd) for i, (c, wd) in enumerate(zip(r, widths,
                                                                                                     strict=True)))
             for r in rows]
    out = [f"{trend.athlete}: {trend.exercise}, standard load {trend.standard_load:g} kg", *lines]
    out += ["", f"{len(trend.flags)} flag(s) ({len(weekly)} weekly, {len(trend.flags) - len(weekly)} of a session day)"]
    out += [f"- {f.rule}: {f.explain()}" + (f" — {trend.note_text(f)}" if trend.note_text(f) else "")
            for f in trend.flags]
    return "\n".join(out)


def wellness_html(wellness) -> str:
    """The weekly wellness beside the load, the incident log, and what they are not."""
    e = html.escape
    weeks, incidents = wellness
    if not weeks and not incidents:
        return ""
    rows = "".join(f"<tr><td>{w}</td><td>{v['days']}</td><td>{v['srpe']:.0f}</td><td>{_f(v['rmssd'], '.0f')}</td>"
                   f"<td>{_f(v['sleep'], '.1f')}</td><td>{_f(v['soreness'], '.1f')}</td></tr>"
                   for w, v in sorted(weeks.items()))
    log = "".join(f"<li>{d} — {e(kind)}: {e(text)}</li>" for d, kind, text in incidents) or "<li>none</li>"
    return ("<h2>Wellness and incidents</h2><p>Descriptive only, beside the load: <b>no injury prediction is made "
            "from these</b> (the evidence does not support one); the staff read them together.</p>"
            "<div class='scroll'><table><tr><th>week of</th><th>days</th><th>session RPE [AU, sum]</th>"
            f"<th>rMSSD [ms]</th><th>sleep [h]</th><th>soreness [0–10]</th></tr>{rows}</table></div>"
            f"<h3>Incidents</h3><ul>{log}</ul>")


def _flag_items(trend: AthleteTrend, flags: list[Flag]) -> str:
    e = html.escape
    return "".join(
        f"<li><b>{e(f.rule)}</b> — {e(f.explain())}"
        + (f"<br><i>{e(trend.note_text(f))}</i>" if trend.note_text(f) else " <b class='open'>(open)</b>") + "</li>"
        for f in flags) or "<li>none</li>"


def _table(header, rows, marked=frozenset()) -> str:
    e = html.escape
    body = "".join(f"<tr{' class=flagged' if i in marked else ''}>{''.join(f'<td>{e(c)}</td>' for c in cells)}</tr>"
                   for i, cells in enumerate(rows))
    return (f"<div class='scroll'><table><tr>{''.join(f'<th>{e(h)}</th>' for h in header)}</tr>{body}</table>"
            "</div>")


def html_page(trend: AthleteTrend, p: MonitoringParams, wellness=None) -> str:
    from .figures import load_velocity_figure, trend_figure

    e = html.escape
    weekly = [f for f in trend.flags if f.period == "week"]
    daily = [f for f in trend.flags if f.period == "day"]
    figures = [(name, trend_figure(trend, name, p)) for name in PLOTTED if p.metrics[name].enabled]
    plots = "".join(f"<figure>{svg}<figcaption>{e(p.metrics[name].label)}, week by week</figcaption></figure>"
                    for name, svg in figures if svg)
    lv = load_velocity_figure(trend, p)
    week_rows = period_cells(trend.weeks, weekly)
    marked = {i for i, row in enumerate(week_rows) if row[-1]}
    day_rows = period_cells(trend.days, daily)
    gps_rows = [(str(w.start), *(_f(getattr(w, name), fmt) for _, name, fmt in GPS)) for w in trend.weeks
                if any(math.isfinite(getattr(w, name)) for _, name, _ in GPS)]
    last = [(f"{s.load_kg:g}", f"{s.best_velocity:.3f}", _f(s.velocity_loss, ".0f")) for s in trend.last_sets]
    rules = [(m.rule, m.label, m.worse, f"z ≥ {m.z:g}" if m.z is not None else f"TE {m.te:g} {m.unit} + SWC",
              "on" if m.enabled else "off") for m in p.metrics.values()]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(trend.athlete)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:0 auto;padding:0 .8em;max-width:60em;line-height:1.4}}
.scroll{{overflow-x:auto;max-width:100%}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:.2em .5em;text-align:right;white-space:nowrap}}th{{background:#f4f4f4}}tr.flagged td{{background:#fde8e8}}
figure{{margin:1em 0}}figure svg{{max-width:100%;height:auto}}figcaption{{font-size:.9em;color:#555}}
.open{{color:#cf222e}}li{{margin:.3em 0}}</style></head><body>
<h1>{e(trend.athlete)}</h1>
<p>{e(trend.exercise)} at the standard load of {trend.standard_load:g} kg. Each metric against the athlete's own
rolling baseline — weekly: the previous {p.baseline_weeks} weeks with data (at least {p.min_baseline_weeks});
per session day: the previous {p.baseline_sessions} days (at least {p.min_baseline_sessions}) — flagged when it
changes the worse way by more than its typical error (TE) + the smallest worthwhile change (SWC =
{p.swc_factor:g} × the baseline's SD), or for load by ≥ z SD. The staff decide: these flags only say where to
look.</p>
<h2>Flags this period</h2><h3>Weekly</h3><ul>{_flag_items(trend, weekly)}</ul>
<h3>Session days</h3><ul>{_flag_items(trend, daily)}</ul>
<h2>Trends</h2><p>Grey band: the range the rule accepts around the rolling baseline; red circles: flagged
weeks.</p>{plots or "<p>Not enough weeks to plot.</p>"}
<h2>Load–velocity profile</h2>{f"<figure>{lv}<figcaption>latest session (blue) and the five before it (grey)"
                                 "</figcaption></figure>" if lv else "<p>No session with two loads yet.</p>"}
<h3>Latest session's sets</h3>{_table(("load kg", "best rep m/s", "velocity loss %"), last)}
<h2>Weeks</h2><p>Flagged weeks are shaded.</p>{_table(head(), week_rows, marked)}
<h2>GPS load per week</h2>{_table(("week", *(h for h, _, _ in GPS)), gps_rows) if gps_rows else "<p>none</p>"}
<details><summary>Session days ({len(trend.days)})</summary>{_table(("day", *head()[1:]), day_rows)}</details>
{wellness_html(wellness) if wellness else ""}
<details><summary>Rules</summary>{_table(("rule", "metric", "worse", "threshold", ""), rules)}</details>
</body></html>"""
