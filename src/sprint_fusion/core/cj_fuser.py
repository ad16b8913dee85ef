"""The constant-jerk filter fusing a GNSS displacement with an IMU acceleration on one axis.

KF2 runs one on the along-track distance; KF5 runs one each on east, north and up.
Measurements: H = (1 0 0 0) for the displacement, H = (0 0 1 0) for the acceleration,
either alone or both at one stamp.
"""

from __future__ import annotations

import numpy as np

from . import kalman as kf
from .jit import jit

R_FLOOR = 1e-6  # a receiver reporting σ = 0 must not make R singular


@jit
def acceleration_step(f, r, t, a) -> int:
    """IMU acceleration a [m/s²] with variance r at t into the CJ filter f; ignored until a first
    displacement started it."""
    if not kf.started(f):
        return kf.NOT_STARTED
    if not kf.advance(f, t):
        return kf.TIME_BACK
    kf.update(f, a, 2, r)
    return kf.UPDATED


class CjFuser:
    def __init__(self, q_diag, r_imu: float, r_from: str = "std", process_noise: str = "per_step",
                 p0: float = 1.0):
        self.filter = kf.new_filter(4, kf.diag_noise(q_diag, process_noise), p0)
        self.r_imu = float(r_imu)
        self.r_from = r_from

    @property
    def initialized(self) -> bool:
        return kf.started(self.filter)

    @property
    def state(self) -> np.ndarray:
        return self.filter.x

    @property
    def covariance(self) -> np.ndarray:
        return self.filter.P

    def reset(self) -> None:
        kf.reset(self.filter)

    def gnss_r(self, sigma: float) -> float:
        return max(sigma if self.r_from == "std" else sigma * sigma, R_FLOOR)

    def position(self, t: float, d: float, sigma: float) -> None:
        """GNSS displacement d [m] with the receiver's 1σ error on this axis."""
        if not self.initialized:
            kf.start(self.filter, float(t), float(d))  # x starts at the first fix (P = p0·I), then corrects
        kf.step(self.filter, t, [d], [0], [self.gnss_r(sigma)])

    def acceleration(self, t: float, a: float) -> bool:
        """IMU acceleration [m/s²]; ignored (False) until a first displacement started the filter."""
        return kf.checked(acceleration_step(self.filter, self.r_imu, float(t), float(a)), t)
