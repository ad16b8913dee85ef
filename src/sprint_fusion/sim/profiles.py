"""Forward speed profiles: (s, v, a)(t) for t seconds after the start, zero before it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MonoExponential:
    """The sprint model v(t) = MSS·(1 − e^(−t/τ)) (Furusawa; Samozino/Morin)."""

    mss: float
    tau: float

    def __call__(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        moving = t > 0.0
        t = np.where(moving, t, 0.0)
        e = np.exp(-t / self.tau)
        s = self.mss * (t + self.tau * e) - self.mss * self.tau
        return s, self.mss * (1.0 - e), np.where(moving, self.mss / self.tau * e, 0.0)


@dataclass(frozen=True)
class ConstantAccelerationRamp:
    """Constant acceleration up to a top speed, then constant speed."""

    accel: float
    top_speed: float

    def __call__(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        moving = t > 0.0
        t = np.where(moving, t, 0.0)
        t1 = self.top_speed / self.accel
        ramp = moving & (t < t1)
        v = np.where(t < t1, self.accel * t, self.top_speed)
        s = np.where(t < t1, 0.5 * self.accel * t * t, 0.5 * self.accel * t1 * t1 + self.top_speed * (t - t1))
        a = np.where(ramp, self.accel, 0.0)
        return s, v, a
