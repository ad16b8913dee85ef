"""Sprint starts in a session's fixes, where the velocity's lag is measured by the IMU
(core/velocity_lag.py). Apart from it, so that reading a bag's starts (bags.reader.read_calibration,
in replay's read-ahead child) loads no compiled steps."""

from __future__ import annotations

import math

from .samples import GnssFix

# A sprint start (for the IMU's measure): the last epoch standing (Doppler speed below REST_SPEED)
# at most START_WITHIN before one running (above RUN_SPEED); the fit spans START_SPAN around it.
REST_SPEED, RUN_SPEED, START_WITHIN = 0.5, 4.0, 3.0  # m/s, m/s, s
START_SPAN = (-1.0, 3.0)  # s
MAX_STARTS = 3  # the first few sprints of a recording say all it can


class SprintStarts:
    """Sprint starts in fixes given in stamp order: add(fix) returns the (from, to) span (stamps,
    START_SPAN around the last standstill epoch) once a running epoch follows a standing one
    within START_WITHIN; at most MAX_STARTS of them."""

    def __init__(self):
        self.rest: float | None = None
        self.spans: list[tuple[float, float]] = []

    def add(self, fix: GnssFix) -> tuple[float, float] | None:
        if len(self.spans) >= MAX_STARTS or fix.velocity is None or fix.velocity_differenced:
            return None
        speed = math.hypot(fix.velocity[0], fix.velocity[1])
        if not math.isfinite(speed):
            return None
        if speed < REST_SPEED:
            self.rest = fix.stamp
        elif speed > RUN_SPEED and self.rest is not None:
            rest, self.rest = self.rest, None
            if fix.stamp - rest <= START_WITHIN:
                self.spans.append((rest + START_SPAN[0], rest + START_SPAN[1]))
                return self.spans[-1]
        return None


def sprint_spans(fixes: list[GnssFix]) -> list[tuple[float, float]]:
    starts = SprintStarts()
    for fix in fixes:
        starts.add(fix)
    return starts.spans
