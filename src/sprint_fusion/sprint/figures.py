"""A trial's plots, one figure per plot, as SVG sized for a phone's width (they scale up on a
wider screen): the speed curve to trust with its fitted model on top, the filters compared,
distance over time, and the force–velocity line."""

from __future__ import annotations

import io

import numpy as np

from .analysis import LABELS, EstimatorResult, TrialResult
from .model import velocity_at

COLORS = {"kf5": "#1f77b4", "kf2": "#ff7f0e", "smoothed": "#2ca02c"}
SIZE = (4.6, 3.2)  # in: ~440 px wide, so a 390 px phone shows its 10 pt text at ~9 px or more
MAX_POINTS = 800  # a curve is drawn through at most this many samples (a 400 Hz sprint has thousands)
# The axes' place in a figure of SIZE, room kept for four-digit tick labels (a force in N), the axis
# labels and the split marks above the speed plot. Fixed rather than tight_layout(), which draws
# each figure once more to measure its text: half of a figure's time (72 → 36 ms, measured).
MARGINS = {"left": 0.15, "right": 0.97, "bottom": 0.15, "top": 0.92}


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "legend.fontsize": 9, "svg.fonttype": "none",
                         "axes.spines.top": False, "axes.spines.right": False})
    return plt


def svg_of(plt, fig) -> str:
    buf = io.StringIO()
    fig.subplots_adjust(**MARGINS)
    fig.savefig(buf, format="svg", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]  # inline: no XML prolog or doctype


def _thin(t: np.ndarray, *ys: np.ndarray):
    step = max(1, len(t) // MAX_POINTS)
    return (t[::step], *(y[::step] for y in ys))


def _model(e: EstimatorResult) -> np.ndarray:
    p = e.profile
    return velocity_at(np.clip(e.t - p.time_correction, 0, None), p.mss, p.tau)


def speed_figure(tr: TrialResult, name: str) -> str:
    """The trusted estimator's speed, its splits marked, and the fitted model drawn over it."""
    plt = pyplot()
    e = tr.estimators[name]
    fig, ax = plt.subplots(figsize=SIZE)
    t, v = _thin(e.t, e.speed)
    ax.plot(t, v, color=COLORS[name], lw=1.4, label=f"speed ({LABELS[name]})", zorder=2)
    if e.profile:
        t, model = _thin(e.t, _model(e))
        ax.plot(t, model, color="black", lw=1.2, ls="--", zorder=3,
                label=f"model: MSS {e.profile.mss:.2f} m/s, TAU {e.profile.tau:.2f} s")
    for s in e.splits:
        ax.axvline(s.time, color="0.6", lw=0.6, zorder=1)
        ax.annotate(f"{s.distance:g} m", (s.time, 1.0), xycoords=("data", "axes fraction"), fontsize=8,
                    ha="center", va="bottom", color="0.3")
    ax.set(xlabel="time from the start [s]", ylabel="speed [m/s]", ylim=(0, None))
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return svg_of(plt, fig)


def comparison_figure(tr: TrialResult) -> str:
    """Every estimator's speed on one plot."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=SIZE)
    for name, e in tr.estimators.items():
        t, v = _thin(e.t, e.speed)
        ax.plot(t, v, color=COLORS[name], lw=1.1, label=LABELS[name])
    ax.set(xlabel="time from the start [s]", ylabel="speed [m/s]", ylim=(0, None))
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    return svg_of(plt, fig)


def distance_figure(tr: TrialResult, name: str) -> str:
    plt = pyplot()
    e = tr.estimators[name]
    fig, ax = plt.subplots(figsize=SIZE)
    t, d = _thin(e.t, e.distance_curve)
    ax.plot(t, d, color=COLORS[name], lw=1.4, label=f"distance ({LABELS[name]})")
    ax.plot([s.time for s in e.splits], [s.distance for s in e.splits], "o", color="black", ms=3.5,
            label="split times", zorder=3)
    ax.set(xlabel="time from the start [s]", ylabel="distance [m]")
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    return svg_of(plt, fig)


def force_velocity_figure(tr: TrialResult, name: str) -> str | None:
    e = tr.estimators[name]
    if e.fv is None:
        return None
    plt = pyplot()
    fv = e.fv
    fig, ax = plt.subplots(figsize=SIZE)
    v = np.linspace(0, fv.V0, 50)
    ax.plot(v, fv.F0 * (1 - v / fv.V0), color=COLORS[name], lw=1.4,
            label=f"F0 {fv.F0:.0f} N, V0 {fv.V0:.2f} m/s")
    ax.plot([fv.V0 / 2], [fv.F0 / 2], "o", color="black", ms=4, label=f"max power {fv.Pmax:.0f} W")
    ax.set(xlabel="speed [m/s]", ylabel="horizontal force [N]", xlim=(0, None), ylim=(0, None))
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    return svg_of(plt, fig)
