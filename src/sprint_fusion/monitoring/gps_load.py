"""GPS session load from a fused speed and acceleration trace (KF2's), with the usual
football-science definitions:

- high-speed running (HSR) distance: distance covered at ≥ 5.5 m/s (19.8 km/h), sprint
  distance at ≥ 7.0 m/s (25.2 km/h) — the zones of Bradley et al. 2009 and Di Salvo et al. 2007,
  still the most reported;
- sprint count: efforts ≥ the sprint threshold held ≥ 1 s;
- accelerations / decelerations: ≥ 3 m/s² (≤ −3 m/s²) held ≥ 0.5 s (the "high" band of
  Akenhead et al. 2013, with the dwell time most GPS vendors use);
- top speed: the best 0.5 s mean.
Speed and acceleration are first averaged over `smoothing` s (centred), as GPS vendors filter
them: a running stride swings the instantaneous acceleration by ±10 m/s², which no threshold
with a dwell time survives. Every threshold is a parameter; the stored load keeps the two speed
thresholds it used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..summary import top_speed


@dataclass(frozen=True)
class LoadThresholds:
    hsr_speed: float = 5.5  # m/s
    sprint_speed: float = 7.0  # m/s
    sprint_min_duration: float = 1.0  # s
    accel: float = 3.0  # m/s²
    accel_min_duration: float = 0.5  # s
    smoothing: float = 0.5  # s, centred moving average of speed and acceleration (about two strides)

    def __post_init__(self):
        if not (0 < self.hsr_speed < self.sprint_speed and self.sprint_min_duration > 0 and self.accel > 0
                and self.accel_min_duration > 0 and self.smoothing >= 0):
            raise ValueError(f"load thresholds {self}: need 0 < hsr_speed < sprint_speed, positive durations")


@dataclass(frozen=True)
class SessionLoad:
    duration: float  # s
    total_distance: float  # m
    hsr_distance: float
    sprint_distance: float
    sprint_count: int
    accelerations: int
    decelerations: int
    top_speed: float  # m/s
    thresholds: LoadThresholds


def _distance_where(t, v, mask) -> float:
    """∫ v dt over the samples where mask holds (trapezoid, both ends inside)."""
    both = mask[1:] & mask[:-1]
    return float(np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(t) * both))


def _efforts(t, mask, min_duration: float) -> int:
    """Runs of consecutive samples where mask holds, lasting at least min_duration."""
    count, start = 0, None
    for i, m in enumerate(mask):
        if m and start is None:
            start = t[i]
        elif not m and start is not None:
            count += t[i - 1] - start >= min_duration
            start = None
    if start is not None:
        count += t[-1] - start >= min_duration
    return int(count)


def smooth(t: np.ndarray, x: np.ndarray, window: float) -> np.ndarray:
    """Centred moving average over `window` s (shorter at the ends)."""
    if window <= 0 or len(t) < 3:
        return x
    n = max(1, int(round(window / np.median(np.diff(t)))))
    if n < 2:
        return x
    kernel = np.ones(n)
    return np.convolve(x, kernel, mode="same") / np.convolve(np.ones_like(x), kernel, mode="same")


def session_load(t, speed, accel, thresholds: LoadThresholds | None = None) -> SessionLoad:
    th = thresholds or LoadThresholds()
    t, v, a = (np.asarray(x, dtype=float) for x in (t, speed, accel))
    ok = np.isfinite(t) & np.isfinite(v) & np.isfinite(a)
    t, v, a = t[ok], np.abs(v[ok]), a[ok]
    if len(t) < 2:
        raise ValueError("a session load needs at least two fused samples")
    raw = v
    v, a = smooth(t, v, th.smoothing), smooth(t, a, th.smoothing)
    everywhere = np.ones(len(t), dtype=bool)
    return SessionLoad(
        duration=float(t[-1] - t[0]),
        total_distance=_distance_where(t, raw, everywhere),
        hsr_distance=_distance_where(t, v, v >= th.hsr_speed),
        sprint_distance=_distance_where(t, v, v >= th.sprint_speed),
        sprint_count=_efforts(t, v >= th.sprint_speed, th.sprint_min_duration),
        accelerations=_efforts(t, a >= th.accel, th.accel_min_duration),
        decelerations=_efforts(t, a <= -th.accel, th.accel_min_duration),
        top_speed=top_speed(t, raw)[0],
        thresholds=th,
    )
