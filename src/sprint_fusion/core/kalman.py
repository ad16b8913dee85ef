"""The linear Kalman filter of the spec, with time taken from sample stamps.

Every measurement matrix in the published model selects state entries (H rows are unit rows)
and every R is diagonal, so a correction is a sequence of scalar updates, one per measured
state index. For a diagonal R that is algebraically identical to the joint update
K = P⁻Hᵀ(HP⁻Hᵀ + R)⁻¹ and needs no matrix inverse; a missing measurement is simply a row
left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

from . import kalman_kernels


class TimeWentBackwardsError(ValueError):
    """A sample is older than the filter's current time."""


# Compiled kernels when numba is installed (the `fast` extra), else the numpy ones; the same
# numbers either way (test_kalman_vs_filterpy.py runs both). SPRINT_FUSION_KERNELS=numpy forces numpy.
KERNELS = kalman_kernels.select(os.environ.get("SPRINT_FUSION_KERNELS", "auto"))


class KalmanFilter:
    """x⁻ = A·x, P⁻ = A·P·Aᵀ + Q;  K = P⁻Hᵀ(HP⁻Hᵀ + R)⁻¹, x = x⁻ + K(z − Hx⁻), P = P⁻ − KHP⁻."""

    def __init__(self, dim: int, p0: float = 1.0):
        self.dim = dim
        self.p0 = p0
        self.reset()

    def reset(self) -> None:
        self.x = np.zeros(self.dim)
        self.P = np.eye(self.dim) * self.p0  # the spec: P starts as the identity

    def predict(self, A: np.ndarray, Q: np.ndarray) -> None:
        KERNELS.predict(self.x, self.P, A, Q)

    def update(self, z: Sequence[float], idx: Sequence[int], r: Sequence[float]) -> None:
        """Correct with measurements z[k] of state entry idx[k], noise variance r[k] (in place:
        the state and covariance arrays are the filter's own)."""
        if len(z) != len(idx) or len(idx) != len(r):
            raise ValueError("z, idx and r must have one entry per measurement")
        for zk, i, rk in zip(z, idx, r, strict=True):
            KERNELS.update(self.x, self.P, float(zk), int(i), float(rk))


TransitionFn = Callable[[float], np.ndarray]
NoiseFn = Callable[[float], np.ndarray]


class TimedFilter:
    """A KalmanFilter stepped by sample stamps: predict over Δt = t − t_prev, then correct.

    A Δt of zero adds no process noise (two measurements at one stamp form one step); a
    negative Δt raises TimeWentBackwardsError and leaves the filter untouched, so the caller
    decides between dropping the sample and resetting.
    """

    def __init__(self, dim: int, transition: TransitionFn, noise: NoiseFn, p0: float = 1.0):
        self.kf = KalmanFilter(dim, p0)
        self.transition = transition
        self.noise = noise
        self.t: float | None = None
        self._step: tuple[float, np.ndarray, np.ndarray] | None = None  # (Δt, A, Q): IMU steps repeat

    @property
    def initialized(self) -> bool:
        return self.t is not None

    @property
    def x(self) -> np.ndarray:
        return self.kf.x

    @property
    def P(self) -> np.ndarray:
        return self.kf.P

    def reset(self) -> None:
        self.kf.reset()
        self.t = None

    def start(self, t: float, x0: Sequence[float]) -> None:
        self.kf.reset()
        self.kf.x[: len(x0)] = x0
        self.t = t

    def predict_to(self, t: float) -> None:
        if self.t is None:
            raise RuntimeError("filter not started")
        dt = t - self.t
        if dt < 0.0:
            raise TimeWentBackwardsError(f"stamp {t:.6f} is {-dt:.6f} s before the filter time {self.t:.6f}")
        if dt > 0.0:
            if self._step is None or self._step[0] != dt:
                self._step = (dt, self.transition(dt), self.noise(dt))
            self.kf.predict(self._step[1], self._step[2])
            self.t = t

    def step(self, t: float, z: Sequence[float], idx: Sequence[int], r: Sequence[float]) -> None:
        self.predict_to(t)
        self.kf.update(z, idx, r)
