"""An athlete's plots as inline SVG sized for a phone: each followed metric week by week with the
range its rule accepts (the rolling baseline ± TE + SWC, or ± z SD for load) shaded and the
flagged weeks circled; and the load–velocity profile of the latest session beside the earlier
ones."""

from __future__ import annotations

import math

import numpy as np

from ..sprint.figures import SIZE, pyplot, svg_of
from .analysis import MonitoringParams, load_velocity
from .trends import AthleteTrend

FLAG = "#cf222e"
LINE = "#1f77b4"


def trend_figure(trend: AthleteTrend, name: str, p: MonitoringParams) -> str | None:
    """One metric week by week; None when it has fewer than two weeks with a value."""
    weeks = [w for w in trend.weeks if math.isfinite(getattr(w, name))]
    if len(weeks) < 2:
        return None
    metric = p.metrics[name]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    days = [w.start for w in trend.weeks]
    banded = [(w.start, *w.bands[name]) for w in trend.weeks if name in w.bands]
    if banded:
        at, mean, low, high = zip(*banded, strict=True)
        what = f"± {metric.z:g} SD" if metric.z is not None else "± TE + SWC"
        ax.fill_between(at, low, high, step="mid", color="0.85", label=f"baseline {what}", zorder=1)
        ax.step(at, mean, where="mid", color="0.45", lw=0.8, zorder=2)
    ax.plot(days, [getattr(w, name) for w in trend.weeks], "o-", color=LINE, ms=3.5, lw=1.2, zorder=3,
            label=metric.label)
    flagged = {f.start for f in trend.flags if f.period == "week" and _about(f.rule, name, p)}
    hits = [(w.start, getattr(w, name)) for w in weeks if w.start in flagged]
    if hits:
        ax.plot(*zip(*hits, strict=True), "o", ms=10, mfc="none", mec=FLAG, mew=1.6, zorder=4, label="flagged")
    label = metric.label.replace("at the standard load", f"at {trend.standard_load:g} kg")
    ax.set(ylabel=f"{label} [{metric.unit}{' per week' if name.endswith('distance') else ''}]")
    ax.yaxis.label.set_size(9)
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    return svg_of(plt, fig)


def _about(rule: str, name: str, p: MonitoringParams) -> bool:
    """Whether a weekly flag concerns the metric (its own rule, or a pattern naming it)."""
    if rule == p.metrics[name].rule:
        return True
    return (name == "velocity" and rule.startswith("velocity-")) or (name == "top_speed" and "sprint" in rule)


def load_velocity_figure(trend: AthleteTrend, p: MonitoringParams) -> str | None:
    """The latest session's sets (fastest rep per set) and their line, the earlier sessions' lines
    in grey, the minimal velocity threshold and the estimated 1RM where the line meets it."""
    sessions = [(day, sets) for day, sets in trend.sessions if load_velocity(sets) is not None]
    if not sessions:
        return None
    plt = pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    mvt = p.mvt_of(trend.exercise)
    loads = [s.load_kg for _, sets in sessions[-6:] for s in sets]
    top = max(loads) * 1.25
    for _, earlier in sessions[-6:-1]:
        profile = load_velocity(earlier)
        x = np.array([0.0, top])
        ax.plot(x, profile.velocity_at(x), color="0.75", lw=0.9, zorder=1)
    day, sets = sessions[-1]
    profile = load_velocity(sets)
    x = np.array([0.0, top])
    ax.plot(x, profile.velocity_at(x), color=LINE, lw=1.4, zorder=3,
            label=f"{day}: {profile.slope * 100:+.2f} m/s per 100 kg, R² {profile.r_squared:.2f}")
    ax.plot([s.load_kg for s in sets], [s.best_velocity for s in sets], "o", color=LINE, ms=4, zorder=4)
    if len(sessions) > 1:
        ax.plot([], [], color="0.75", lw=0.9, label="earlier sessions")
    ax.axhline(mvt, color="0.3", ls="--", lw=0.9, label=f"MVT {mvt:g} m/s")
    e1rm = profile.load_at(mvt)
    if math.isfinite(e1rm) and 0 < e1rm <= top:
        ax.plot([e1rm], [mvt], "s", color="black", ms=5, zorder=5, label=f"e1RM {e1rm:.0f} kg")
    ax.set(xlabel="load [kg]", ylabel="mean velocity, best rep [m/s]", xlim=(0, top), ylim=(0, None))
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    return svg_of(plt, fig)
