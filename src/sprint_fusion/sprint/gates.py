"""Sprint profiles from timing gates (photocells): the mono-exponential model's time at a
distance, t(d) = TAU·W(−e^(−d/(MSS·TAU) − 1)) + d/MSS + TAU (W: Lambert's principal branch),
fitted to split times as the R package shorts fits it (`model_timing_gates*`): non-linear least
squares from MSS 7, MAC 7 with
- `simple`: the times as they are;
- `tc`: an estimated time correction, time = t(d) + TC (shorts' TC; a start behind the first
  gate or body rocking makes it negative);
- `fd`: an estimated flying distance FD ≥ 0, time = t(d + FD) − t(FD);
and the fixed variants: a known flying distance, or a time correction added to every split (the
0.3–0.5 s rule of thumb for a start behind the first gate), or a reaction time taken off every
split of a gun-started sprint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.special import lambertw

from .model import ProfileError, SprintProfile, check_sprint

MODELS = ("simple", "tc", "fd")
BRANCH_POINT = -math.exp(-1.0) + 1e-15

def time_at_distance(distance, mss: float, mac: float):
    """Model time (s) to reach each distance (m) from the start of movement."""
    tau = mss / mac
    d = np.asarray(distance, dtype=float)
    arg = -np.exp(-d / (mss * tau) - 1.0)
    # at d = 0 the argument is the branch point −1/e, where W = −1 (scipy returns NaN there)
    w = np.where(arg <= BRANCH_POINT, -1.0, np.real(lambertw(np.maximum(arg, BRANCH_POINT))))
    return tau * w + d / mss + tau


@dataclass(frozen=True)
class GatesProfile:
    profile: SprintProfile  # MSS, TAU, RSE (s), n; its time_correction is shorts' TC (tc model)
    model: str
    time_correction: float | None  # s added to the measured splits (fixed, or −TC when estimated)
    flying_distance: float | None  # m run before the first gate's zero (fd, or fixed)
    reaction_time: float = 0.0  # s taken off every split

    def as_dict(self) -> dict:
        p = self.profile
        return {"model": self.model, "mss": p.mss, "mac": p.mac, "tau": p.tau, "pmax": p.pmax,
                "time_correction": self.time_correction, "flying_distance": self.flying_distance,
                "reaction_time": self.reaction_time, "rse": p.rse, "n": p.n}


def check_splits(distance, time) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(distance, dtype=float)
    t = np.asarray(time, dtype=float)
    if d.shape != t.shape or d.ndim != 1:
        raise ProfileError("distances and times must be two columns of equal length")
    if not (np.isfinite(d).all() and np.isfinite(t).all()):
        raise ProfileError("a distance or time is missing or not a number")
    if (d <= 0).any():
        raise ProfileError(f"gate distances must be > 0 m from the start line, got {d.min():g}")
    for name, x, unit in (("distances", d, "m"), ("times", t, "s")):
        back = np.flatnonzero(np.diff(x) <= 0)
        if len(back):
            i = int(back[0])
            raise ProfileError(f"{name} must increase gate after gate: {x[i]:g} {unit} then {x[i + 1]:g} {unit}")
    return d, t


def fit_gates(distance, time, model: str = "simple", flying_distance: float | None = None,
              time_correction: float | None = None, reaction_time: float = 0.0) -> GatesProfile:
    """Fit the split times (distance m, time s from the start signal or first beam)."""
    if model not in MODELS:
        raise ProfileError(f"model '{model}': one of {', '.join(MODELS)}")
    if model == "fd" and flying_distance is not None:
        raise ProfileError("--flying-distance fixes the flying distance: use it with the simple model, or let "
                           "--model fd estimate it")
    if model == "tc" and time_correction is not None:
        raise ProfileError("--time-correction fixes the correction: use it with the simple model, or let "
                           "--model tc estimate it")
    if flying_distance is not None and not 0 <= flying_distance <= 10:
        raise ProfileError(f"flying distance {flying_distance:g} m: must be within [0, 10] m")
    if not 0 <= reaction_time < 1:
        raise ProfileError(f"reaction time {reaction_time:g} s: must be within [0, 1) s")
    d, t = check_splits(distance, time)
    t = t + (time_correction or 0.0) - reaction_time
    if (t <= 0).any():
        raise ProfileError("a split time is ≤ 0 s after the corrections")
    n_params = 3 if model in ("tc", "fd") else 2
    if len(d) <= n_params:
        raise ProfileError(f"the {model} model needs more than {n_params} gates, got {len(d)}")
    fd = flying_distance or 0.0

    def predicted(x):
        mss, mac = x[0], x[1]
        if model == "tc":
            return time_at_distance(d, mss, mac) + x[2]
        flying = x[2] if model == "fd" else fd
        return time_at_distance(d + flying, mss, mac) - time_at_distance(flying, mss, mac)

    start = [7.0, 7.0, 0.0][:n_params]
    lower = [1e-6, 1e-6, 0.0 if model == "fd" else -np.inf][:n_params]  # shorts: MSS, MAC (and FD) ≥ 0
    fit = least_squares(lambda x: predicted(x) - t, start, bounds=(lower, np.inf), method="trf",
                        xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000)
    mss, mac = float(fit.x[0]), float(fit.x[1])
    rse = math.sqrt(float(np.sum(fit.fun ** 2)) / (len(t) - n_params))
    tc = float(fit.x[2]) if model == "tc" else 0.0
    check_sprint(mss, mss / mac, "split times")
    if model == "tc" and abs(tc) > 1.0:
        raise ProfileError(f"the estimated time correction {-tc:+.2f} s is not a start delay (|TC| ≤ 1 s): are "
                           "the times from one sprint, in seconds?")
    return GatesProfile(
        SprintProfile(mss, mss / mac, tc, rse, len(t)), model,
        -tc if model == "tc" else time_correction,
        float(fit.x[2]) if model == "fd" else flying_distance, reaction_time)
