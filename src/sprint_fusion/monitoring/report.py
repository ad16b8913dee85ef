"""An athlete's trends as a terminal table and a self-contained HTML page (plots embedded),
every flag with its rule and numbers."""

from __future__ import annotations

import base64
import html
import io
import math

from .analysis import MonitoringParams
from .trends import AthleteTrend


def _f(x, fmt: str) -> str:
    return format(x, fmt) if isinstance(x, (int, float)) and math.isfinite(x) else "–"


HEAD = ("week", "v@load m/s", "z", "e1RM kg", "VL %", "top speed m/s", "z", "HSR m", "z", "sprint m", "flags")


def week_cells(trend: AthleteTrend) -> list[tuple[str, ...]]:
    flagged: dict = {}
    for f in trend.flags:
        flagged.setdefault(f.week, []).append(f.rule)
    return [(str(w.start), _f(w.velocity, ".3f"), _f(w.z.get("velocity"), "+.1f"), _f(w.e1rm, ".0f"),
             _f(w.velocity_loss, ".0f"), _f(w.top_speed, ".2f"), _f(w.z.get("top_speed"), "+.1f"),
             _f(w.hsr_distance, ".0f"), _f(w.z.get("hsr_distance"), "+.1f"), _f(w.sprint_distance, ".0f"),
             ", ".join(flagged.get(w.start, []))) for w in trend.weeks]


def table(trend: AthleteTrend) -> str:
    rows = [HEAD, *week_cells(trend)]
    head = HEAD
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(wd) if i in (0, 10) else c.rjust(wd) for i, (c, wd) in enumerate(zip(r, widths,
                                                                                                   strict=True)))
             for r in rows]
    out = [f"{trend.athlete}: {trend.exercise}, standard load {trend.standard_load:g} kg", *lines]
    out += ["", f"{len(trend.flags)} flag(s)"] + [
        f"- {f.explain()}" + (f" — {trend.note_text(f)}" if trend.note_text(f) else "") for f in trend.flags]
    return "\n".join(out)


def _plot(trend: AthleteTrend) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weeks = [w.start for w in trend.weeks]
    series = (("velocity", f"velocity at {trend.standard_load:g} kg [m/s]"), ("top_speed", "sprint top speed [m/s]"),
              ("hsr_distance", "high-speed running [m/week]"))
    fig, axes = plt.subplots(len(series), 1, figsize=(9, 7), sharex=True)
    flagged = {f.week for f in trend.flags}
    for ax, (name, label) in zip(axes, series, strict=True):
        values = [getattr(w, name) for w in trend.weeks]
        ax.plot(weeks, values, "o-", ms=4)
        for w, v in zip(weeks, values, strict=True):
            if w in flagged and math.isfinite(v):
                ax.plot([w], [v], "o", ms=10, mfc="none", mec="tab:red")
        ax.set_ylabel(label, fontsize=8)
        ax.grid(alpha=0.3)
    axes[0].set_title(f"{trend.athlete} — flagged weeks circled")
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


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
            "<table><tr><th>week of</th><th>days</th><th>session RPE [AU, sum]</th><th>rMSSD [ms]</th>"
            f"<th>sleep [h]</th><th>soreness [0–10]</th></tr>{rows}</table><h3>Incidents</h3><ul>{log}</ul>")


def html_page(trend: AthleteTrend, p: MonitoringParams, wellness=None) -> str:
    e = html.escape
    png = base64.b64encode(_plot(trend)).decode("ascii") if trend.weeks else ""
    rows = "".join(f"<tr>{''.join(f'<td>{e(c)}</td>' for c in cells)}</tr>" for cells in week_cells(trend))
    header = "".join(f"<th>{e(h)}</th>" for h in HEAD)
    flags_html = "".join(
        f"<li><b>{e(f.rule)}</b> — {e(f.explain())}"
        + (f"<br><i>{e(trend.note_text(f))}</i>" if trend.note_text(f) else " <b>(open)</b>") + "</li>"
        for f in trend.flags) or "<li>none</li>"
    last = "".join(f"<tr><td>{s.load_kg:g}</td><td>{s.best_velocity:.3f}</td><td>{s.velocity_loss:.0f}</td></tr>"
                   for s in trend.last_sets)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(trend.athlete)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:60em}}td,th{{border:1px solid #ccc;
padding:.2em .5em;text-align:right}}table{{border-collapse:collapse}}img{{max-width:100%}}</style></head><body>
<h1>{e(trend.athlete)}</h1>
<p>{e(trend.exercise)} at the standard load of {trend.standard_load:g} kg; baselines: the previous
{p.baseline_weeks} weeks with data (at least {p.min_baseline_weeks}); TE velocity {p.te_velocity} m/s,
TE top speed {p.te_top_speed} m/s, SWC = {p.swc_factor} × the baseline's SD. The staff decide: these flags only
say where to look.</p>
{f'<img alt="trends" src="data:image/png;base64,{png}">' if png else ''}
<h2>Flags</h2><ul>{flags_html}</ul>
<h2>Weeks</h2><table><tr>{header}</tr>{rows}</table>
{wellness_html(wellness) if wellness else ""}
<h2>Latest session's sets</h2>
<table><tr><th>load kg</th><th>best rep m/s</th><th>velocity loss %</th></tr>{last}</table>
</body></html>"""
