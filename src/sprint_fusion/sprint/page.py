"""report.html: one self-contained page a coach reads on a phone. On top, each trial's verdict
in plain words and the numbers of the one speed curve to trust (`analysis.trusted`); the other
filters are one click away (<details>). Times in local time, units on every number, the
technical name beside each plain one, plots as inline SVG that scale to the screen."""

from __future__ import annotations

import datetime as dt
import html
import math
from zoneinfo import ZoneInfo

from .analysis import LABELS, EstimatorResult, TrialResult, trusted
from .figures import comparison_figure, distance_figure, force_velocity_figure, speed_figure
from .quality import BRIDGED, UNUSABLE, USABLE, bridged

VERDICT_COLOR = {USABLE: "#1a7f37", BRIDGED: "#9a6700", UNUSABLE: "#cf222e"}
VERDICT_WORDS = {
    USABLE: "Usable — the GNSS was good throughout the trial.",
    BRIDGED: "Usable — with a short GNSS gap that the IMU bridged; times marked * were measured by the IMU alone.",
    UNUSABLE: "Not usable — the numbers below are shown for reference only; do not compare them with other trials.",
}
STYLE = """body{font-family:system-ui,sans-serif;margin:0 auto;padding:0 .8em;max-width:46em;line-height:1.4}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
th{background:#f4f4f4}th.name{text-align:left;font-weight:normal}.scroll{overflow-x:auto;max-width:100%}
.verdict{font-weight:bold}figure{margin:.6em 0}svg{width:100%;height:auto;max-width:40em}
small,.why{color:#555}details{margin:.6em 0}summary{cursor:pointer;font-weight:bold;padding:.3em 0}
h2{margin-top:1.6em;border-top:1px solid #ddd;padding-top:.6em}"""

# (label, plain words, unit, value of an EstimatorResult or None)
PROFILE_ROWS = [
    ("top speed", "best 0.5 s mean", "m/s", lambda r: f"{r.top_speed:.2f}"),
    ("reached after", "time / distance from the start", "s / m",
     lambda r: f"{r.top_speed_time:.2f} / {r.top_speed_distance:.1f}"),
    ("MSS", "maximal sprint speed (fitted model)", "m/s", lambda r: r.profile and f"{r.profile.mss:.2f}"),
    ("TAU", "time to reach 63 % of MSS", "s", lambda r: r.profile and f"{r.profile.tau:.3f}"),
    ("MAC", "maximal acceleration", "m/s²", lambda r: r.profile and f"{r.profile.mac:.2f}"),
    ("PMAX", "peak power per kg of body mass (model)", "W/kg", lambda r: r.profile and f"{r.profile.pmax:.1f}"),
    ("F0", "maximal horizontal force", "N", lambda r: r.fv and f"{r.fv.F0:.0f}"),
    ("V0", "theoretical maximal speed", "m/s", lambda r: r.fv and f"{r.fv.V0:.2f}"),
    ("Pmax", "maximal horizontal power", "W", lambda r: r.fv and f"{r.fv.Pmax:.0f}"),
    ("RFmax", "largest share of the push directed forwards", "%", lambda r: r.fv and f"{100 * r.fv.RFmax:.1f}"),
    ("DRF", "how fast that share drops as speed rises", "% per m/s", lambda r: r.fv and f"{100 * r.fv.Drf:.2f}"),
]


def local_time(t: float, timezone: str | None = None) -> dt.datetime:
    """A bag stamp (s since the epoch) in the named IANA zone, or this computer's local time."""
    when = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    return when.astimezone(ZoneInfo(timezone) if timezone else None)


def html_page(report, timezone: str | None = None) -> tuple[str, dict[str, str]]:
    """The page, and its figures as SVG files by name (also inlined in the page)."""
    e = html.escape
    svgs: dict[str, str] = {}
    first = local_time(report.trials[0].onset, timezone) if report.trials else None
    when = f" — {first:%A %d %B %Y} ({first:%Z}, UTC{first:%z})" if first else ""
    parts = [f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sprint report — {e(report.source)}</title><style>{STYLE}</style></head><body>
<h1>Sprint report</h1><p><code>{e(report.source)}</code>{e(when)} — {len(report.trials)} trial(s).</p>"""]
    if not report.trials:
        parts.append(_no_trial(report))
    else:
        parts.append(_summary(report, timezone))
    parts += _conditions(report)
    for tr in report.trials:
        parts.append(_trial(tr, timezone, svgs, report.distances))
    parts.append("<p><small>Times from the onset of movement (or the start signal). Top speed: the best 0.5 s "
                 "mean. Profile: the mono-exponential model v(t) = MSS·(1 − e<sup>−t/TAU</sup>) fitted as the R "
                 "package shorts fits it; force–velocity as Samozino et al. 2016. KF5 and KF2: the two filters of "
                 "Mertens et al. 2018; smoothed: KF2 smoothed over the whole recording.</small></p></body></html>")
    return "\n".join(parts), svgs


def _no_trial(report) -> str:
    fastest = (f"the fastest speed in it was {report.fastest:.1f} m/s; " if report.fastest is not None
               and math.isfinite(report.fastest) else "")
    return (f"<p>No sprint was found in this recording: {fastest}a trial starts when the speed rises "
            "through <code>trial.start_speed</code> from a standstill and counts once it reaches "
            "<code>trial.min_top_speed</code> (docs/sprint.md; the report's <code>--start-speed</code> and "
            "<code>--min-top-speed</code>).</p>")


def _summary(report, timezone) -> str:
    """One row per trial: when, verdict, and the trusted curve's top speed and first splits."""
    marks = [d for d in report.distances if any(
        s.distance == d for tr in report.trials for r in tr.estimators.values() for s in r.splits)][:4]
    rows = ["<div class='scroll'><table><tr><th>trial</th><th>time</th><th>verdict</th><th>top speed [m/s]</th>"
            + "".join(f"<th>{d:g} m [s]</th>" for d in marks) + "</tr>"]
    for tr in report.trials:
        pick = trusted(tr)
        r = tr.estimators[pick[0]] if pick else None
        at = {s.distance: s for s in r.splits} if r else {}
        cells = [f"<a href='#trial-{tr.index}'>{tr.index}</a>", f"{local_time(tr.onset, timezone):%H:%M:%S}",
                 f"<span style='color:{VERDICT_COLOR.get(tr.quality.verdict, '#000')}'>{tr.quality.verdict}</span>",
                 f"{r.top_speed:.2f}" if r else "–"]
        cells += [_time(at[d], tr) if d in at else "–" for d in marks]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "".join(rows) + "</table></div>"


def _conditions(report) -> list[str]:
    out = []
    if report.conditions:
        c = report.conditions
        out.append(f"<p>Athlete {c.bodymass:g} kg, {c.bodyheight:g} m; air {c.temperature:g} °C, "
                   f"{c.pressure:g} mmHg, wind {c.wind:+g} m/s.</p>")
    if report.in_situ:
        s = report.in_situ
        out.append(f"<p>In-situ acceleration–speed profile of the session (every sprint together): maximal "
                   f"speed MSS {s.mss:.2f} m/s, maximal acceleration MAC {s.mac:.2f} m/s² ({s.points} points, "
                   f"R² {s.r_squared:.2f}).</p>")
    return out


def _time(s, tr) -> str:
    return f"{s.time:.3f}{'*' if bridged(s.time, tr.quality.outages) else ''}"


def _trial(tr: TrialResult, timezone, svgs: dict[str, str], distances) -> str:
    e = html.escape
    q = tr.quality
    start = local_time(tr.onset, timezone)
    parts = [f"<h2 id='trial-{tr.index}'>Trial {tr.index} — {start:%H:%M:%S}</h2>",
             f"<p class='verdict' style='color:{VERDICT_COLOR.get(q.verdict, '#000')}'>"
             f"{e(VERDICT_WORDS.get(q.verdict, q.verdict))}"
             f"{' The recording ends during this trial.' if tr.cut_off else ''}</p><ul>"
             + "".join(f"<li>{e(r)}</li>" for r in q.reasons) + "</ul>"]
    pick = trusted(tr)
    if pick is None:
        return "".join(parts) + "<p>No filter produced a speed curve for this trial.</p>"
    name, why = pick
    best = tr.estimators[name]
    stem = f"trial_{tr.index:02d}"
    parts.append(f"<p class='why'>Speed curve to trust: <b>{LABELS[name]}</b> — {e(why)}.</p>")
    parts.append(_figure(svgs, f"{stem}_speed.svg", speed_figure(tr, name), "speed over time"))
    parts.append(_splits_table(tr, best))
    parts.append(_profile_table(tr, [name]))
    fv = force_velocity_figure(tr, name)
    if fv:
        parts.append(_figure(svgs, f"{stem}_force_velocity.svg", fv, "force–velocity profile"))
    parts.append(f"<details><summary>Distance over time</summary>"
                 f"{_figure(svgs, f'{stem}_distance.svg', distance_figure(tr, name), 'distance over time')}"
                 "</details>")
    others = [n for n in tr.estimators if n != name]
    if others:
        parts.append(f"<details><summary>Compare the filters ({', '.join(LABELS[n] for n in tr.estimators)})"
                     f"</summary>{_figure(svgs, f'{stem}_filters.svg', comparison_figure(tr), 'filters compared')}"
                     f"{_side_by_side(tr)}{_profile_table(tr, list(tr.estimators))}</details>")
    if q.outages:
        parts.append("<p><small>* reached while the GNSS was out: timed by the IMU alone (bridged).</small></p>")
    return "".join(parts)


def _figure(svgs: dict[str, str], filename: str, svg: str, caption: str) -> str:
    svgs[filename] = svg
    return f"<figure role='img' aria-label='{caption}'>{svg}</figure>"


def _splits_table(tr: TrialResult, r: EstimatorResult) -> str:
    rows = ["<div class='scroll'><table><tr><th>distance [m]</th><th>time [s]</th><th>split [s]</th>"
            "<th>mean speed [m/s]</th></tr>"]
    rows += [f"<tr><td>{s.distance:g}</td><td>{_time(s, tr)}</td><td>{s.split:.3f}</td>"
             f"<td>{s.mean_velocity:.2f}</td></tr>" for s in r.splits]
    return "".join(rows) + "</table></div>"


def _side_by_side(tr: TrialResult) -> str:
    names = list(tr.estimators)
    rows = ["<div class='scroll'><table><tr><th>distance [m]</th>"
            + "".join(f"<th>{LABELS[n]} time [s]</th>" for n in names) + "</tr>"]
    marks = sorted({s.distance for n in names for s in tr.estimators[n].splits})
    for d in marks:
        cells = []
        for n in names:
            s = next((s for s in tr.estimators[n].splits if s.distance == d), None)
            cells.append(_time(s, tr) if s else "–")
        rows.append(f"<tr><td>{d:g}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "".join(rows) + "</table></div>"


def _profile_table(tr: TrialResult, names: list[str]) -> str:
    head = "".join(f"<th>{LABELS[n]}</th>" for n in names) if len(names) > 1 else "<th>value</th>"
    rows = [f"<div class='scroll'><table><tr><th></th>{head}</tr>"]
    for label, words, unit, value in PROFILE_ROWS:
        cells = [value(tr.estimators[n]) or "–" for n in names]
        if all(c == "–" for c in cells):
            continue
        rows.append(f"<tr><th class='name'>{label} [{unit}]<br><small>{words}</small></th>"
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return "".join(rows) + "</table></div>"
