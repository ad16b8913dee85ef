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

MAX_MSS = 13.0  # m/s: faster than any human sprinter (12.3 m/s, Bolt 2009)
MAX_TAU = 5.0  # s


class ProfileError(ValueError):
    """Input that gives no trustworthy profile; the message says why and what to check."""


def check_sprint(mss: float, tau: float, what: str) -> None:
    if not (0 < mss <= MAX_MSS and 0 < tau <= MAX_TAU):
        raise ProfileError(f"the {what} do not describe a sprint from a standstill (fitted MSS {mss:.2f} m/s, "
                           f"TAU {tau:.2f} s; a sprinter's MSS ≤ {MAX_MSS:g} m/s, TAU ≤ {MAX_TAU:g} s): check "
                           "the units (metres, seconds, m/s) and that the data start at the start")


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


def fit_velocity(t, v, time_correction: bool = True, weights=None, mss: float | None = None) -> SprintProfile:
    """Fit the model to a velocity trace (t from the start, s; v in m/s). With `mss`, MSS is held
    there (shorts' use_observed_MSS: the trace's peak) and MAC (and TC) fitted."""
    from scipy.optimize import least_squares  # 0.4 s to import: not on every command's start

    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    w = np.ones_like(t) if weights is None else np.asarray(weights, dtype=float)[ok]
    free = (["MSS"] if mss is None else []) + ["TAU"] + (["TC"] if time_correction else [])
    if len(t) <= len(free):
        raise ValueError(f"a sprint profile needs more than {len(free)} samples, got {len(t)}")
    sw = np.sqrt(w)

    def unpack(x):
        values = dict(zip(free, x, strict=True))
        top = values.get("MSS", mss)
        # with MSS held, fit MAC as shorts does (TAU = MSS/MAC): the same optimum, its start MAC 7
        tau = values["TAU"] if mss is None else top / values["TAU"]
        return top, tau, values.get("TC", 0.0)

    def residuals(x):
        top, tau, tc = unpack(x)
        return sw * (top * (1.0 - np.exp(-(t - tc) / tau)) - v)

    start = {"MSS": 7.0, "TAU": 0.8 if mss is None else 7.0, "TC": 0.0}
    fit = least_squares(residuals, [start[k] for k in free], method="lm", xtol=1e-12, ftol=1e-12, gtol=1e-12)
    rse = math.sqrt(float(np.sum(fit.fun ** 2)) / (len(t) - len(free)))
    top, tau, tc = unpack(fit.x)
    return SprintProfile(float(top), float(tau), float(tc), rse, len(t))
