"""KF5 stage 5: the CA filter on the horizontal speed √(v_N² + v_E²)."""

from __future__ import annotations

import math

from . import kalman as kf
from .jit import jit


@jit(inline=True)
def speed_step(f, r, t, v_north, v_east) -> int:
    """v_h = √(v_N² + v_E²) as a velocity-only measurement; the filter starts at the first."""
    v_h = math.hypot(v_north, v_east)
    if not kf.started(f):
        kf.start(f, t, v_h)
    if not kf.advance(f, t):
        return kf.TIME_BACK
    kf.update(f, v_h, 0, r)
    return kf.UPDATED


class HorizontalSpeedFilter:
    def __init__(self, params):
        self.filter = kf.new_filter(3, kf.gain_noise(params["speed.sigma_q"], params["process_noise"]), params["p0"])
        self.r = float(params["speed.r"])

    def reset(self) -> None:
        kf.reset(self.filter)

    def update(self, t: float, v_north: float, v_east: float) -> None:
        kf.checked(speed_step(self.filter, self.r, float(t), float(v_north), float(v_east)), t)
