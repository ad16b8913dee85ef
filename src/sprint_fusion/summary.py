"""A first look at a fused run: distance and top speed per filter (issue 7 grows this)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core.fusion import FusionResult


@dataclass(frozen=True)
class RunSummary:
    distance: float  # m
    top_speed: float  # m/s
    top_speed_time: float  # s


def _summary(t: np.ndarray, distance: np.ndarray, speed: np.ndarray) -> RunSummary:
    ok = np.isfinite(speed)
    if not ok.any():
        return RunSummary(float("nan"), float("nan"), float("nan"))
    i = int(np.nanargmax(np.where(ok, speed, -np.inf)))
    return RunSummary(float(distance[ok][-1]), float(speed[i]), float(t[i]))


def integrate(t: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Distance as the running trapezoid integral of speed (NaN counted as not yet started)."""
    v = np.nan_to_num(speed)
    steps = 0.5 * (v[1:] + v[:-1]) * np.diff(t)
    return np.concatenate([[0.0], np.cumsum(steps)])


def summarize(result: FusionResult) -> dict[str, RunSummary]:
    t = result["t"]
    kf5_speed = result["kf5_speed"]
    return {
        "KF2": _summary(t, result["kf2_distance"], result["kf2_speed"]),
        "KF5": _summary(t, integrate(t, kf5_speed), kf5_speed),
    }
