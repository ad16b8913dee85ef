"""The mono-exponential sprint model v(t) = MSS·(1 − e^(−t/TAU)) (Furusawa et al. 1927;
Samozino, Morin et al. 2016), fitted as the R package shorts fits it (`model_radar_gun`):
non-linear least squares (Levenberg–Marquardt) with an optional time correction TC, reported
as shorts 3 reports it — the moment the sprint starts on the data's time axis:
v(t) = MSS·(1 − e^(−(t − TC)/TAU)); started at MSS 7, TAU 0.8, TC 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares


def velocity_at(t, mss: float, tau: float):
    return mss * (1.0 - np.exp(-np.asarray(t, dtype=float) / tau))


def acceleration_at(t, mss: float, tau: float):
    return mss / tau * np.exp(-np.asarray(t, dtype=float) / tau)


def distance_at(t, mss: float, tau: float):
    t = np.asarray(t, dtype=float)
    return mss * (t + tau * np.exp(-t / tau)) - mss * tau


@dataclass(frozen=True)
class SprintProfile:
    mss: float  # maximal sprinting speed, m/s
    tau: float  # relative acceleration time constant, s
    time_correction: float = 0.0  # s, when the sprint starts on the data's time axis (shorts' TC)
    rse: float = math.nan  # residual standard error of the fit, m/s
    n: int = 0  # samples fitted

    @property
    def mac(self) -> float:
        """Maximal acceleration, m/s²."""
        return self.mss / self.tau

    @property
    def pmax(self) -> float:
        """Maximal relative power, W/kg (MSS·MAC/4)."""
        return self.mss * self.mac / 4.0

    def as_dict(self) -> dict:
        return {"MSS": self.mss, "TAU": self.tau, "MAC": self.mac, "PMAX": self.pmax, "TC": self.time_correction,
                "RSE": self.rse, "n": self.n}


def fit_velocity(t, v, time_correction: bool = True, weights=None) -> SprintProfile:
    """Fit the model to a velocity trace (t from the start, s; v in m/s)."""
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    w = np.ones_like(t) if weights is None else np.asarray(weights, dtype=float)[ok]
    n_params = 3 if time_correction else 2
    if len(t) <= n_params:
        raise ValueError(f"a sprint profile needs more than {n_params} samples, got {len(t)}")
    sw = np.sqrt(w)

    def residuals(x):
        tc = x[2] if time_correction else 0.0
        return sw * (x[0] * (1.0 - np.exp(-(t - tc) / x[1])) - v)

    start = [7.0, 0.8, 0.0][:n_params]
    fit = least_squares(residuals, start, method="lm", xtol=1e-12, ftol=1e-12, gtol=1e-12)
    rse = math.sqrt(float(np.sum(fit.fun ** 2)) / (len(t) - n_params))
    tc = float(fit.x[2]) if time_correction else 0.0
    return SprintProfile(float(fit.x[0]), float(fit.x[1]), tc, rse, len(t))
