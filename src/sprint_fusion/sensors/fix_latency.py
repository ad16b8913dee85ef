"""How late the receiver's fixes reach a node: its clock at a fix's arrival minus the fix's stamp,
over the latest fixes — the number `time.fix_delay` is set from (docs/filters.md: the receiver's
latency plus its jitter). Where the receiver stamps in GNSS time, the figure holds the host clock's
offset from it too (NTP keeps that to milliseconds); under use_sim_time the clock moves in /clock's
ticks, so it reads low by up to a tick (25 ms at `play --clock`'s 40 Hz). Stamps seconds away
from the clock (a recorded log paced on the wall clock, an unsynchronised host) say nothing of
the latency: it is then reported unknown. Pure: no rclpy."""

from __future__ import annotations

import collections
import math

import numpy as np


class FixLatency:
    LATEST = 200  # fixes: 10 s at 20 Hz, 40 s at 5 Hz
    CLOCKS_APART = 2.0  # s: a median further from 0 is two clocks' offset, not a receiver's latency

    def __init__(self, latest: int | None = LATEST):
        """latest: how many of the latest fixes count (None: all, as offline over a whole bag)."""
        self.recent: collections.deque = collections.deque(maxlen=latest)

    def arrived(self, now: float, stamp: float) -> None:
        """A fix stamped `stamp` arrived at `now` (the node's clock; sim time under use_sim_time)."""
        if math.isfinite(now) and math.isfinite(stamp):
            self.recent.append(now - stamp)

    def logged(self, log_ns: np.ndarray, stamp_ns: np.ndarray) -> None:
        """Fixes as a bag holds them: logged at log_ns (the recorder's clock at arrival), stamped
        stamp_ns."""
        self.recent.extend(((np.asarray(log_ns, np.int64) - np.asarray(stamp_ns, np.int64)) * 1e-9).tolist())

    def percentiles(self) -> tuple[float, float, float] | None:
        """(p50, p95, max) of the latest latencies in seconds; None before a fix."""
        if not self.recent:
            return None
        p50, p95 = np.percentile(self.recent, [50, 95])
        return float(p50), float(p95), float(max(self.recent))

    def _apart(self, got: tuple[float, float, float]) -> bool:
        """The stamps come from another clock than the node's (their median seconds away)."""
        return abs(got[0]) > self.CLOCKS_APART

    def values(self) -> dict[str, str]:
        """/diagnostics key-values: the latency's median, 95th percentile and maximum in ms."""
        got = self.percentiles()
        if got is None:
            return {}
        if self._apart(got):
            return {"gnss latency": f"unknown: the fixes' stamps are {got[0]:.0f} s from this node's clock "
                                    "(a log paced on the wall clock, or clocks not synchronised)"}
        p50, p95, top = (f"{1e3 * v:.0f}" for v in got)
        return {"gnss latency p50 [ms]": p50, "gnss latency p95 [ms]": p95, "gnss latency max [ms]": top}

    def note(self, fix_delay: float) -> str | None:
        """A sentence when time.fix_delay is set but the fixes come later than it (their 95th
        percentile): the IMU samples then wait for them, as with no delay at all."""
        got = self.percentiles()
        if got is None or fix_delay <= 0.0 or got[1] <= fix_delay or self._apart(got):
            return None
        return (f"fixes arrive {1e3 * got[1]:.0f} ms after their stamp (p95), later than time.fix_delay "
                f"{1e3 * fix_delay:.0f} ms: IMU samples wait for them")

    def advice(self, fix_delay: float) -> str | None:
        """One line for an offline summary: how late the bag's fixes were logged, the time.fix_delay
        that lets a live graph publish each sample without waiting for them (the next 10 ms above
        their p95: room for jitter), and whether this run's `fix_delay` covers it."""
        got = self.percentiles()
        if got is None:
            return None
        if self._apart(got):
            return (f"gnss/fix: stamps {got[0]:.0f} s from the log times (another clock): the receiver's "
                    "latency is not known from this bag")
        p50, p95, top = (1e3 * v for v in got)
        needed = max((math.floor(p95 / 10.0 + 1e-6) + 1) / 100.0, 0.0)
        verdict = "covers it" if fix_delay >= needed - 1e-9 else "is shorter: live, IMU samples would wait for fixes"
        return (f"gnss/fix logged {p50:.0f} ms after its stamp (median; p95 {p95:.0f} ms, max {top:.0f} ms): "
                f"a live graph publishes each sample without waiting for a fix from time.fix_delay {needed:.2f}; "
                f"this run's {fix_delay:.2f} {verdict}")
