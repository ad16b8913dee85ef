"""A first look at a fused run: distance and top speed per filter (issue 7 grows this).

Top speed is the highest mean speed over a 0.5 s window (about one stride), for the truth and
the filters alike: instantaneous speed swings ±5 % within each step, which is running, not
sprint performance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core.fusion import FusionResult

TOP_SPEED_WINDOW = 0.5  # s


@dataclass(frozen=True)
class RunSummary:
    distance: float  # m
    top_speed: float  # m/s
    top_speed_time: float  # s, centre of the window


def integrate(t: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Distance as the running trapezoid integral of speed (NaN counted as not yet started)."""
    v = np.nan_to_num(speed)
    steps = 0.5 * (v[1:] + v[:-1]) * np.diff(t)
    return np.concatenate([[0.0], np.cumsum(steps)])


def top_speed(t: np.ndarray, speed: np.ndarray, window: float = TOP_SPEED_WINDOW) -> tuple[float, float]:
    """(highest window-mean speed, time of the window centre); NaN samples are left out."""
    ok = np.isfinite(speed)
    t, v = t[ok], speed[ok]
    if len(t) < 2:
        return float("nan"), float("nan")
    n = max(1, int(round(window / np.median(np.diff(t)))))
    if len(v) < n:
        n = len(v)
    mean = np.convolve(v, np.ones(n) / n, mode="valid")
    i = int(np.argmax(mean))
    return float(mean[i]), float(t[i + n // 2])


def summary(t: np.ndarray, distance: np.ndarray, speed: np.ndarray) -> RunSummary:
    ok = np.isfinite(distance)
    top, when = top_speed(t, speed)
    return RunSummary(float(distance[ok][-1]) if ok.any() else float("nan"), top, when)


def summarize(result: FusionResult) -> dict[str, RunSummary]:
    t = result["t"]
    kf5_speed = result["kf5_speed"]
    return {
        "KF2": summary(t, result["kf2_distance"], result["kf2_speed"]),
        "KF5": summary(t, integrate(t, kf5_speed), kf5_speed),
    }
