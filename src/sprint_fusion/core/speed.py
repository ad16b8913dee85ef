"""KF5 stage 5: the CA filter on the horizontal speed √(v_N² + v_E²)."""

from __future__ import annotations

import math

from .kalman import TimedFilter
from .motion import ca_transition, gain_noise_fn
from .samples import SpeedEstimate


class HorizontalSpeedFilter:
    def __init__(self, params):
        self.filter = TimedFilter(3, ca_transition, gain_noise_fn(params["speed.sigma_q"], params["process_noise"]),
                                  params["p0"])
        self.r = params["speed.r"]

    def reset(self) -> None:
        self.filter.reset()

    def update(self, t: float, v_north: float, v_east: float) -> SpeedEstimate:
        v_h = math.hypot(v_north, v_east)
        if not self.filter.initialized:
            self.filter.start(t, [v_h])
        self.filter.step(t, [v_h], [0], [self.r])
        x = self.filter.x
        return SpeedEstimate(t, float(x[0]), float(self.filter.P[0, 0]), x.copy())
