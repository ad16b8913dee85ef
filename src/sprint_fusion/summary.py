"""A first look at a fused run: distance and top speed per filter (issue 7 grows this).

Top speed is the highest mean speed over a 0.5 s window (about one stride), for the truth and
the filters alike: instantaneous speed swings ±5 % within each step, which is running, not
sprint performance.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the kernels are chosen when the filters are first imported: not by the CLI's import
    from .core.fusion import FusionResult

TOP_SPEED_WINDOW = 0.5  # s


@dataclass(frozen=True)
class RunSummary:
    distance: float  # m
    top_speed: float  # m/s
    top_speed_time: float  # s, centre of the window


def integrate(t: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Distance as the running trapezoid integral of speed (NaN counted as not yet started); where
    time went back (the filters restarted) nothing is added."""
    v = np.nan_to_num(speed)
    steps = 0.5 * (v[1:] + v[:-1]) * np.clip(np.diff(t), 0.0, None)
    return np.concatenate([[0.0], np.cumsum(steps)])


def segment_sum(t: np.ndarray, distance: np.ndarray) -> float:
    """A distance that restarts where time went back (a filter restarted): its segments added."""
    total, ok = 0.0, np.isfinite(distance)
    for part in np.split(np.arange(len(t)), np.flatnonzero(np.diff(t) < 0) + 1):
        d = distance[part][ok[part]]
        total += float(d[-1]) if len(d) else 0.0
    return total if ok.any() else float("nan")


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


def summary(t: np.ndarray, distance: np.ndarray, speed: np.ndarray, restarts: bool = True) -> RunSummary:
    """restarts: the distance starts again where time goes back (a filter's state); else it runs on."""
    top, when = top_speed(t, speed)
    ok = np.isfinite(distance)
    total = segment_sum(t, distance) if restarts else (float(distance[ok][-1]) if ok.any() else float("nan"))
    return RunSummary(total, top, when)


def summarize(result: FusionResult) -> dict[str, RunSummary]:
    t = result["t"]
    kf5_speed = result["kf5_speed"]
    return {
        "KF2": summary(t, result["kf2_distance"], result["kf2_speed"]),
        "KF5": summary(t, integrate(t, kf5_speed), kf5_speed, restarts=False),
    }


class StreamingSummary:
    """What summarize() gives, block by block in constant memory (for replays of any length): KF2's
    last distance, KF5's integrated speed, and each one's best mean over the top-speed window,
    whose sample count is taken, as top_speed() takes it, from the sample interval."""

    def __init__(self, window: float = TOP_SPEED_WINDOW):
        self.window = window
        self.t0 = 0.0
        self.kf2_distance = float("nan")
        self.kf2_before = 0.0  # KF2's distance of the segments before the last restart
        self.kf5_distance = 0.0
        self.last_kf5: tuple[float, float] | None = None
        self.tops = {"KF2": _BestWindow(window), "KF5": _BestWindow(window)}

    def add_block(self, t, kf5_speed, kf2_speed, kf2_distance) -> None:
        """The next rows, as columns (replay: a block of a few thousand at a time)."""
        if not len(t):
            return
        before = self.last_kf5[0] if self.last_kf5 is not None else None
        if before is None:
            self.t0 = float(t[0])
        went_back = before is not None and t[0] < before
        bounds = [0, *(np.flatnonzero(np.diff(t) < 0) + 1).tolist(), len(t)]  # time went back: KF2 starts again
        for k, (a, b) in enumerate(itertools.pairwise(bounds)):
            if (k > 0 or went_back) and math.isfinite(self.kf2_distance):
                self.kf2_before += self.kf2_distance
                self.kf2_distance = float("nan")
            d = kf2_distance[a:b][np.isfinite(kf2_distance[a:b])]
            if len(d):
                self.kf2_distance = float(d[-1])
        v5 = np.nan_to_num(kf5_speed, nan=0.0)  # NaN counts as not started, as integrate()
        tt, vv = (np.concatenate([[self.last_kf5[0]], t]), np.concatenate([[self.last_kf5[1]], v5])) \
            if self.last_kf5 is not None else (t, v5)
        steps = 0.5 * (vv[1:] + vv[:-1]) * np.clip(np.diff(tt), 0.0, None)
        self.kf5_distance = float(np.cumsum(np.concatenate([[self.kf5_distance], steps]))[-1])  # summed in order
        self.last_kf5 = (float(t[-1]), float(v5[-1]))
        self.tops["KF2"].add_block(t, kf2_speed)
        self.tops["KF5"].add_block(t, kf5_speed)

    def result(self) -> dict[str, RunSummary]:
        kf2 = self.kf2_before + self.kf2_distance if math.isfinite(self.kf2_distance) else (
            self.kf2_before if self.kf2_before else float("nan"))
        return {"KF2": RunSummary(kf2, *self.tops["KF2"].best()),
                "KF5": RunSummary(self.kf5_distance if self.last_kf5 else float("nan"), *self.tops["KF5"].best())}


class _BestWindow:
    def __init__(self, window: float):
        self.window = window
        self.n: int | None = None
        self.first: list[float] = []  # stamps until the window length is known
        self.values = np.empty(0)  # the last n − 1 samples (all, while n is unknown): the next windows start in them
        self.stamps = np.empty(0)
        self.top, self.when = float("nan"), float("nan")

    def add_block(self, t: np.ndarray, v: np.ndarray) -> None:
        """The next samples: the windows ending among them, as rolling sums (NaN left out)."""
        ok = np.isfinite(v)
        t, v = t[ok], v[ok]
        if not len(t):
            return
        if self.n is None:
            self.first += t[:21 - len(self.first)].tolist()
            if len(self.first) >= 21:
                self.n = max(1, int(round(self.window / float(np.median(np.diff(self.first))))))
        stamps, values = np.concatenate([self.stamps, t]), np.concatenate([self.values, v])
        n = self.n
        if n is not None and len(values) >= n:
            sums = np.cumsum(np.concatenate([[0.0], values]))
            means = (sums[n:] - sums[:-n]) / n
            i = int(np.argmax(means))
            if not means[i] <= self.top:  # also when top is NaN; the first of equal windows stays
                self.top, self.when = float(means[i]), float(stamps[i + n // 2])
            keep = len(values) - (n - 1)
            stamps, values = stamps[keep:], values[keep:]
        self.stamps, self.values = stamps, values

    def best(self) -> tuple[float, float]:
        if self.n is None and len(self.values) >= 2:  # shorter than the window: the mean of all
            return float(np.mean(self.values)), float(self.stamps[len(self.stamps) // 2])
        return self.top, self.when
