"""The session's trials as files: sprint.json (schema in README, "sprint.json"), trials.csv (a
row per trial and filter, like a timing system's export), a PNG per trial and one self-contained
HTML page a coach can open."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..files import staged
from .analysis import DEFAULT_DISTANCES, EstimatorResult, TrialResult
from .forces import Conditions
from .in_situ import InSituProfile
from .model import velocity_at

SCHEMA = "sprint_fusion/sprint/1"
LABELS = {"kf5": "KF5", "kf2": "KF2", "smoothed": "smoothed"}


@dataclass
class SessionReport:
    source: str
    trials: list[TrialResult]
    conditions: Conditions | None = None
    in_situ: InSituProfile | None = None
    distances: tuple[float, ...] = DEFAULT_DISTANCES
    fastest: float | None = None  # m/s, the highest speed of the recording (to say why no trial was found)


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _utc(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="milliseconds")


def bridged(t: float, outages) -> bool:
    """Whether a moment of the trial (s from onset) fell in a GNSS outage: measured by the IMU alone."""
    return any(start <= t <= start + length for start, length in outages)


def _estimator_doc(e: EstimatorResult, outages=()) -> dict:
    return {
        "distance": _num(e.distance),
        "top_speed": _num(e.top_speed),
        "top_speed_time": _num(e.top_speed_time),
        "top_speed_distance": _num(e.top_speed_distance),
        "top_speed_bridged": bridged(e.top_speed_time, outages),
        "splits": [{"distance": s.distance, "time": _num(s.time), "split": _num(s.split),
                    "mean_velocity": _num(s.mean_velocity), "mean_acceleration": _num(s.mean_acceleration),
                    "bridged": bridged(s.time, outages)}
                   for s in e.splits],
        "profile": {k: _num(v) for k, v in e.profile.as_dict().items()} if e.profile else None,
        "force_velocity": {k: _num(v) for k, v in e.fv.as_dict().items()} if e.fv else None,
    }


def trial_doc(tr: TrialResult) -> dict:
    q = tr.quality
    return {
        "index": tr.index,
        "onset": tr.onset,
        "onset_utc": _utc(tr.onset),
        "end": tr.end,
        "duration": _num(tr.duration),
        "start_signal": tr.start_signal,
        "cut_off": tr.cut_off,
        "quality": {
            "verdict": q.verdict, "reasons": q.reasons, "epochs": q.epochs,
            "rtk_fixed_share": _num(q.rtk_fixed_share), "rtk_float_share": _num(q.rtk_float_share),
            "outages": [{"start": _num(a), "length": _num(b)} for a, b in q.outages],
            "longest_outage": _num(q.longest_outage), "median_accuracy": _num(q.median_accuracy),
            "outlier_share": _num(q.outlier_share),
        },
        **{name: _estimator_doc(e, tr.quality.outages) for name, e in tr.estimators.items()},
    }


def session_doc(report: SessionReport) -> dict:
    return {
        "schema": SCHEMA,
        "source": report.source,
        "conditions": vars(report.conditions) if report.conditions else None,
        "in_situ": ({"MSS": report.in_situ.mss, "MAC": report.in_situ.mac, "TAU": report.in_situ.tau,
                     "PMAX": report.in_situ.pmax, "points": report.in_situ.points,
                     "r_squared": _num(report.in_situ.r_squared)} if report.in_situ else None),
        "trials": [trial_doc(tr) for tr in report.trials],
    }


def csv_rows(report: SessionReport) -> tuple[list[str], list[list]]:
    head = ["trial", "onset_utc", "verdict", "filter", "distance_m", "top_speed_m_s", "top_speed_time_s",
            "top_speed_distance_m", *(f"t_{d:g}m_s" for d in report.distances),
            "MSS", "TAU", "MAC", "PMAX", "TC", "F0_N", "V0_m_s", "Pmax_W", "FV_slope", "RFmax", "Drf",
            "bridged_m"]  # the split distances reached while the GNSS was out, ';'-separated
    rows = []
    for tr in report.trials:
        for name, e in tr.estimators.items():
            at = {s.distance: s.time for s in e.splits}
            p, fv = e.profile, e.fv
            rows.append([tr.index, _utc(tr.onset), tr.quality.verdict, LABELS[name], _r(e.distance, 2),
                         _r(e.top_speed, 3), _r(e.top_speed_time, 3), _r(e.top_speed_distance, 2),
                         *(_r(at.get(d), 3) for d in report.distances),
                         *((_r(p.mss, 3), _r(p.tau, 3), _r(p.mac, 3), _r(p.pmax, 2), _r(p.time_correction, 3))
                           if p else [""] * 5),
                         *((_r(fv.F0, 1), _r(fv.V0, 3), _r(fv.Pmax, 1), _r(fv.FV_slope, 4), _r(fv.RFmax, 3),
                            _r(fv.Drf, 4)) if fv else [""] * 6),
                         ";".join(f"{s.distance:g}" for s in e.splits if bridged(s.time, tr.quality.outages))])
    return head, rows


def _r(x, digits):
    return "" if x is None or not math.isfinite(x) else round(float(x), digits)


def trial_figure(tr: TrialResult) -> bytes:
    """PNG: velocity–time with the splits marked and the fitted model, distance–time, and the
    force–velocity line when the athlete's mass was given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    has_fv = any(e.fv for e in tr.estimators.values())
    fig, axes = plt.subplots(1, 3 if has_fv else 2, figsize=(13 if has_fv else 9, 3.6))
    colors = {"kf5": "tab:blue", "kf2": "tab:orange", "smoothed": "tab:green"}
    for name, e in tr.estimators.items():
        axes[0].plot(e.t, e.speed, color=colors[name], lw=1.2, label=LABELS[name])
        if e.profile:
            model = velocity_at(np.clip(e.t - e.profile.time_correction, 0, None), e.profile.mss, e.profile.tau)
            axes[0].plot(e.t, model, color=colors[name], lw=0.8, ls="--",
                         label=f"{LABELS[name]} model MSS {e.profile.mss:.2f}, TAU {e.profile.tau:.2f}")
        for s in e.splits:
            axes[0].axvline(s.time, color=colors[name], lw=0.4, alpha=0.5)
        axes[1].plot(e.t, e.distance_curve, color=colors[name], label=LABELS[name])
        if e.fv:
            v = np.linspace(0, e.fv.V0, 50)
            axes[2].plot(v, e.fv.F0 * (1 - v / e.fv.V0), color=colors[name],
                         label=f"{LABELS[name]} F0 {e.fv.F0:.0f} N, V0 {e.fv.V0:.2f} m/s")
    ref = tr.estimators.get("kf2") or next(iter(tr.estimators.values()), None)
    if ref:
        for s in ref.splits:
            axes[0].annotate(f"{s.distance:g} m", (s.time, 0.02), xycoords=("data", "axes fraction"), fontsize=7,
                             rotation=90)
    axes[0].set(xlabel="time from onset [s]", ylabel="velocity [m/s]", title=f"trial {tr.index}: velocity")
    axes[1].set(xlabel="time from onset [s]", ylabel="distance [m]", title="distance")
    if has_fv:
        axes[2].set(xlabel="velocity [m/s]", ylabel="horizontal force [N]", title="force–velocity")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def write_report(report: SessionReport, out_dir: str | Path, figures: bool = True) -> dict[str, Path]:
    """Write sprint.json, trials.csv and (figures) trial_NN.png + report.html into out_dir: all of
    them into a folder beside it first, which then takes out_dir's place (an old report there is
    replaced whole, only once the new one is complete)."""
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    with staged(target) as out:
        out.mkdir()
        paths = _write_files(report, out, figures)
    return {kind: target / path.name for kind, path in paths.items()}


def _write_files(report: SessionReport, out: Path, figures: bool) -> dict[str, Path]:
    paths = {"json": out / "sprint.json", "csv": out / "trials.csv"}
    paths["json"].write_text(json.dumps(session_doc(report), indent=2, ensure_ascii=False), encoding="utf-8")
    head, rows = csv_rows(report)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(head)
    writer.writerows(rows)
    paths["csv"].write_text(buf.getvalue(), encoding="utf-8")
    if figures:
        images = {}
        for tr in report.trials:
            png = trial_figure(tr)
            path = out / f"trial_{tr.index:02d}.png"
            path.write_bytes(png)
            images[tr.index] = png
        paths["html"] = out / "report.html"
        paths["html"].write_text(html_page(report, images), encoding="utf-8")
    return paths


VERDICT_COLOR = {"usable": "#1a7f37", "usable with bridged outage": "#9a6700", "unusable": "#cf222e"}


def html_page(report: SessionReport, images: dict[int, bytes]) -> str:
    e = html.escape
    parts = [f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sprint report — {e(report.source)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:1em;max-width:70em}}table{{border-collapse:collapse;margin:.5em 0}}
td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:right}}th{{background:#f4f4f4}}
.scroll{{overflow-x:auto;max-width:100%}}.verdict{{font-weight:bold}}img{{max-width:100%}}</style></head><body>
<h1>Sprint report</h1><p>Source: <code>{e(report.source)}</code> — {len(report.trials)} trial(s).</p>"""]
    if not report.trials:
        fastest = (f"the fastest speed in it was {report.fastest:.1f} m/s; " if report.fastest is not None
                   and math.isfinite(report.fastest) else "")
        parts.append(f"<p>No sprint was found in this recording: {fastest}a trial starts when the speed rises "
                     "through <code>trial.start_speed</code> from a standstill and counts once it reaches "
                     "<code>trial.min_top_speed</code> (docs/sprint.md; the report's <code>--start-speed</code> and "
                     "<code>--min-top-speed</code>).</p>")
    if report.conditions:
        c = report.conditions
        parts.append(f"<p>Athlete {c.bodymass:g} kg, {c.bodyheight:g} m; air {c.temperature:g} °C, "
                     f"{c.pressure:g} mmHg, wind {c.wind:+g} m/s.</p>")
    if report.in_situ:
        s = report.in_situ
        parts.append(f"<p>In-situ acceleration–speed profile of the session: MSS {s.mss:.2f} m/s, MAC {s.mac:.2f} "
                     f"m/s² ({s.points} points, R² {s.r_squared:.2f}).</p>")
    for tr in report.trials:
        q = tr.quality
        color = VERDICT_COLOR.get(q.verdict, "#000")
        parts.append(f"<h2>Trial {tr.index} — {e(_utc(tr.onset))}</h2>"
                     f"<p class='verdict' style='color:{color}'>{e(q.verdict)}"
                     f"{' (cut off at the end of the recording)' if tr.cut_off else ''}</p><ul>"
                     + "".join(f"<li>{e(r)}</li>" for r in q.reasons) + "</ul>")
        names = list(tr.estimators)
        parts.append("<div class='scroll'><table><tr><th>distance [m]</th>" + "".join(
            f"<th>{LABELS[n]} time [s]</th><th>{LABELS[n]} split [s]</th><th>{LABELS[n]} v̄ [m/s]</th>"
            for n in names) + "</tr>")
        marks = sorted({s.distance for n in names for s in tr.estimators[n].splits})
        for d in marks:
            cells = []
            for n in names:
                s = next((s for s in tr.estimators[n].splits if s.distance == d), None)
                mark = "*" if s and bridged(s.time, q.outages) else ""
                cells += [f"{s.time:.3f}{mark}", f"{s.split:.3f}", f"{s.mean_velocity:.2f}"] if s else ["", "", ""]
            parts.append(f"<tr><td>{d:g}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        parts.append("</table></div><div class='scroll'><table><tr><th></th>" + "".join(
            f"<th>{LABELS[n]}</th>" for n in names) + "</tr>")
        rows = [("top speed [m/s]", lambda r: f"{r.top_speed:.2f}"),
                ("reached at [s] / [m]", lambda r: f"{r.top_speed_time:.2f} / {r.top_speed_distance:.1f}"),
                ("MSS [m/s]", lambda r: f"{r.profile.mss:.2f}" if r.profile else "–"),
                ("TAU [s]", lambda r: f"{r.profile.tau:.3f}" if r.profile else "–"),
                ("MAC [m/s²]", lambda r: f"{r.profile.mac:.2f}" if r.profile else "–"),
                ("PMAX [W/kg]", lambda r: f"{r.profile.pmax:.1f}" if r.profile else "–"),
                ("F0 [N]", lambda r: f"{r.fv.F0:.0f}" if r.fv else "–"),
                ("V0 [m/s]", lambda r: f"{r.fv.V0:.2f}" if r.fv else "–"),
                ("Pmax [W]", lambda r: f"{r.fv.Pmax:.0f}" if r.fv else "–"),
                ("RFmax / DRF", lambda r: f"{r.fv.RFmax:.3f} / {r.fv.Drf:.4f}" if r.fv else "–")]
        for label, cell in rows:
            parts.append(f"<tr><th>{e(label)}</th>" + "".join(f"<td>{cell(tr.estimators[n])}</td>" for n in names)
                         + "</tr>")
        parts.append("</table></div>")
        if q.outages:
            parts.append("<p><small>* reached while the GNSS was out: timed by the IMU alone (bridged).</small></p>")
        if tr.index in images:
            data = base64.b64encode(images[tr.index]).decode("ascii")
            parts.append(f"<img alt='trial {tr.index} plots' src='data:image/png;base64,{data}'>")
    parts.append("<p><small>Splits from the onset of movement (or the start signal). Top speed: the best "
                 "0.5 s mean. Profile: the mono-exponential model fitted as shorts fits it. KF5 and KF2: the two "
                 "filters of Mertens et al. 2018.</small></p></body></html>")
    return "\n".join(parts)
