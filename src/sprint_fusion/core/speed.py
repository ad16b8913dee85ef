"""KF5 stage 5: the CA filter on the horizontal speed √(v_N² + v_E²)."""

from __future__ import annotations

import math

from . import kalman_kernels as kk
from .jit import jit
from .kalman import TimedFilter, checked
from .motion import gain_noise_fn
from .samples import SpeedEstimate


@jit
def speed_step(f, r, p0, t, v_north, v_east) -> int:
    """v_h = √(v_N² + v_E²) as a velocity-only measurement; the filter starts at the first."""
    v_h = math.hypot(v_north, v_east)
    if not kk.started(f[2]):
        kk.start(f[0], f[1], f[2], t, v_h, p0)
    if not kk.step_to(f, t):
        return kk.TIME_BACK
    kk.update(f[0], f[1], v_h, 0, r)
    return kk.UPDATED


class HorizontalSpeedFilter:
    def __init__(self, params):
        self.filter = TimedFilter(3, gain_noise_fn(params["speed.sigma_q"], params["process_noise"]), params["p0"])
        self.r = float(params["speed.r"])

    def reset(self) -> None:
        self.filter.reset()

    def update(self, t: float, v_north: float, v_east: float) -> SpeedEstimate:
        checked(speed_step(self.filter.args, self.r, float(self.filter.p0), float(t), float(v_north), float(v_east)), t)
        return self.estimate()

    def estimate(self) -> SpeedEstimate:
        x = self.filter.x
        return SpeedEstimate(float(self.filter.clock[0]), float(x[0]), float(self.filter.P[0, 0]), x.copy())
