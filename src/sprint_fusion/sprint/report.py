"""The session's trials as files: sprint.json (schema in README, "sprint.json"), trials.csv (a
row per trial and filter, like a timing system's export), and (page.py) one self-contained HTML
page a coach can open, with its plots also as SVG files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

from ..files import staged
from .analysis import DEFAULT_DISTANCES, LABELS, EstimatorResult, TrialResult, trusted
from .forces import Conditions
from .in_situ import InSituProfile
from .page import html_page
from .quality import bridged

SCHEMA = "sprint_fusion/sprint/1"


@dataclass
class SessionReport:
    source: str
    trials: list[TrialResult]
    conditions: Conditions | None = None
    in_situ: InSituProfile | None = None
    distances: tuple[float, ...] = DEFAULT_DISTANCES
    fastest: float | None = None  # m/s, the highest speed of the recording (to say why no trial was found)
    timezone: str | None = None  # IANA name for the page's times; None: this computer's local time


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _utc(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="milliseconds")


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
        "trusted": (trusted(tr) or (None,))[0],  # the estimator to read first (analysis.trusted)
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
                     "speed_threshold": _num(report.in_situ.speed_threshold),
                     "r_squared": _num(report.in_situ.r_squared)} if report.in_situ else None),
        "trials": [trial_doc(tr) for tr in report.trials],
    }


def csv_rows(report: SessionReport) -> tuple[list[str], list[list]]:
    head = ["trial", "onset_utc", "verdict", "filter", "distance_m", "top_speed_m_s", "top_speed_time_s",
            "top_speed_distance_m", *(f"t_{d:g}m_s" for d in report.distances),
            "MSS_m_s", "TAU_s", "MAC_m_s2", "PMAX_W_kg", "TC_s", "F0_N", "V0_m_s", "Pmax_W", "FV_slope_N_kg_per_m_s",
            "RFmax_ratio", "Drf_per_m_s",
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


def write_report(report: SessionReport, out_dir: str | Path, figures: bool = True) -> dict[str, Path]:
    """Write sprint.json, trials.csv and (figures) report.html + its trial_NN_*.svg plots into out_dir: all of
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
        page, svgs = html_page(report, report.timezone)
        for name, svg in svgs.items():
            (out / name).write_text(svg, encoding="utf-8")
        paths["html"] = out / "report.html"
        paths["html"].write_text(page, encoding="utf-8")
    return paths
