"""The linear Kalman filter of the spec, with time taken from sample stamps.

x⁻ = A·x, P⁻ = A·P·Aᵀ + Q;  K = P⁻Hᵀ(HP⁻Hᵀ + R)⁻¹, x = x⁻ + K(z − Hx⁻), P = P⁻ − KHP⁻ —
as the steps of kalman_kernels on the filter's own arrays, which the compiled IMU step
(imu_step.py) works on directly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import kalman_kernels as kk
from .motion import Noise


class TimeWentBackwardsError(ValueError):
    """A sample is older than the filter's current time."""


def checked(code: int, t: float) -> bool:
    """A compiled step's outcome for Python callers: updated or not; time going back raises."""
    if code == kk.TIME_BACK:
        raise TimeWentBackwardsError(f"stamp {t:.6f} is before the filter time")
    return code == kk.UPDATED


class TimedFilter:
    """A filter stepped by sample stamps: predict over Δt = t − t_prev, then correct.

    The transition follows the dimension (4: constant jerk, 3: constant acceleration). A Δt of
    zero adds no process noise (two measurements at one stamp form one step); a negative Δt
    raises TimeWentBackwardsError and leaves the filter untouched, so the caller decides between
    dropping the sample and resetting.
    """

    def __init__(self, dim: int, noise: Noise, p0: float = 1.0):
        if noise.dim != dim or dim not in (3, 4):
            raise ValueError(f"a {dim}-state filter needs a {dim}×{dim} process noise (3 or 4 states)")
        self.noise, self.p0 = noise, p0
        self.x = np.zeros(dim)
        self.P = np.eye(dim) * p0  # the spec: P starts as the identity
        self.clock = np.array([np.nan])

    @property
    def initialized(self) -> bool:
        return not math.isnan(self.clock[0])

    @property
    def t(self) -> float | None:
        return float(self.clock[0]) if self.initialized else None

    @property
    def args(self) -> tuple:
        """The filter as the compiled steps take it: (x, P, clock, gain, q, per_second)."""
        n = self.noise
        return self.x, self.P, self.clock, n.gain, n.q, n.per_second

    def reset(self) -> None:
        self.x[:] = 0.0
        self.P[:, :] = np.eye(len(self.x)) * self.p0
        self.clock[0] = np.nan

    def start(self, t: float, x0: Sequence[float]) -> None:
        kk.start(self.x, self.P, self.clock, float(t), 0.0, self.p0)
        self.x[: len(x0)] = x0

    def predict_to(self, t: float) -> None:
        if not self.initialized:
            raise RuntimeError("filter not started")
        n = self.noise
        if not kk.advance(self.x, self.P, self.clock, float(t), n.gain, n.q, n.per_second):
            raise TimeWentBackwardsError(f"stamp {t:.6f} is {self.clock[0] - t:.6f} s before the filter time "
                                         f"{self.clock[0]:.6f}")

    def update(self, z: Sequence[float], idx: Sequence[int], r: Sequence[float]) -> None:
        """Correct with measurements z[k] of state entry idx[k], noise variance r[k]."""
        if len(z) != len(idx) or len(idx) != len(r):
            raise ValueError("z, idx and r must have one entry per measurement")
        for zk, i, rk in zip(z, idx, r, strict=True):
            kk.update(self.x, self.P, float(zk), int(i), float(rk))

    def step(self, t: float, z: Sequence[float], idx: Sequence[int], r: Sequence[float]) -> None:
        self.predict_to(t)
        self.update(z, idx, r)
