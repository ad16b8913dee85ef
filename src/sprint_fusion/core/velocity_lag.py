"""How late the receiver's velocity is, measured on a session's own fixes.

A receiver's Doppler velocity describes the motion some tens of milliseconds before its epoch
(u-blox: the navigation filter's smoothing), and the axis filters model that lag
(gnss.velocity_latency). A wrong lag costs more than no velocity at all when the athlete
accelerates at 5–8 m/s²: 0.08 s assumed against 0 or 0.15 s true moved 30 m splits by 40–90 ms
on the validation set. So the lag is measured where it shows — in the accelerations of a sprint:
positions have no lag, and the velocity they imply at an epoch (central difference) against the
reported one differs by −L·a. Least squares over the epochs with |a| ≥ MIN_ACCEL on both
horizontal axes gives L and its standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import savgol_filter

from .geodesy import LocalFrame
from .samples import FixType, GnssFix

MIN_ACCEL = 1.0  # m/s²: epochs accelerating less say little about the lag
MIN_EPOCHS = 8  # accelerating epochs needed for an estimate
MAX_LAG = 0.3  # s
SMOOTHING = 0.5  # s, the span of the zero-phase fits
SIGMA_FLOOR = 0.005  # s: the lag is not known better than this (it varies a little with the receiver's load)


@dataclass(frozen=True)
class LagEstimate:
    lag: float  # s
    sigma: float  # s, standard error
    epochs: int  # accelerating epochs used


def estimate_velocity_lag(fixes: list[GnssFix]) -> LagEstimate | None:
    """The lag of the reported velocities of these fixes (in stamp order), or None without
    enough acceleration in RTK-fixed positions to measure it."""
    # RTK fixed only: float and single-point positions wander by decimetres within a second, which
    # measured lags ±0.04–0.13 s off on the validation set (worse than the prior)
    usable = [f for f in fixes if f.fix_type == FixType.RTK_FIXED and f.velocity is not None
              and not f.velocity_differenced]
    if len(usable) < MIN_EPOCHS + 2:
        return None
    frame = LocalFrame()
    t = np.array([f.stamp for f in usable])
    p = np.array([frame.to_enu(f)[:2] for f in usable])
    v = np.array([np.asarray(f.velocity, dtype=float)[:2] for f in usable])
    period = float(np.median(np.diff(t)))
    window = 2 * int(round(SMOOTHING / period / 2)) + 1  # odd, about SMOOTHING s
    residuals, accels = [], []
    # evenly spaced stretches only (an outage splits them); each smoothed by one zero-phase
    # (Savitzky–Golay) fit: the stride's speed swing (±2 % at 4–5 Hz, aliased at 10 Hz) would
    # otherwise leak into L, and a symmetric fit delays neither side
    breaks = np.flatnonzero(np.abs(np.diff(t) - period) > 0.25 * period) + 1
    for lo, hi in zip(np.concatenate(([0], breaks)), np.concatenate((breaks, [len(t)])), strict=True):
        if hi - lo < window + 2:
            continue
        v_pos = savgol_filter(p[lo:hi], window, 2, deriv=1, delta=period, axis=0)
        v_dop = savgol_filter(v[lo:hi], window, 2, axis=0)
        a = savgol_filter(v[lo:hi], window, 2, deriv=1, delta=period, axis=0)
        inner = slice(window // 2, hi - lo - window // 2)  # the fits' edges extrapolate
        residuals.append((v_dop - v_pos)[inner])
        accels.append(a[inner])
    if not residuals:
        return None
    residual_all, accel = np.concatenate(residuals), np.concatenate(accels)
    keep = np.hypot(accel[:, 0], accel[:, 1]) >= MIN_ACCEL
    if keep.sum() < MIN_EPOCHS:
        return None
    residual = residual_all[keep].ravel()  # ≈ −L·a
    a = accel[keep].ravel()
    lag = -float(residual @ a) / float(a @ a)
    scatter = residual + lag * a
    # the fits make neighbouring residuals share their errors: about one independent one per window
    sigma = math.sqrt(float(scatter @ scatter) / max(len(a) - 1, 1) / float(a @ a) * window)
    if not -3.0 * sigma <= lag <= MAX_LAG + 3.0 * sigma:
        return None  # not a lag a receiver has: something else differs (a wrong velocity frame)
    return LagEstimate(min(max(lag, 0.0), MAX_LAG), sigma, int(keep.sum()))


def calibrated(params, fixes: list[GnssFix]) -> tuple[object, str | None]:
    """params with gnss.velocity_latency (and its σ) from these fixes when
    gnss.velocity_latency_estimate asks for it: the measured lag combined with the configured one
    as a prior (inverse-variance weights), and a line saying what was done (None: nothing)."""
    if not (params["gnss.velocity_latency_estimate"] and params["gnss.velocity"]):
        return params, None
    prior, prior_sigma = params["gnss.velocity_latency"], params["gnss.velocity_latency_sigma"]
    if prior_sigma <= 0.0:
        return params, "velocity lag: configured as exact (gnss.velocity_latency_sigma 0), not measured"
    found = estimate_velocity_lag(sorted(fixes, key=lambda f: f.stamp))
    if found is None:
        return params, (f"velocity lag: too little acceleration in the recording to measure it; "
                        f"{prior:.3f} ± {prior_sigma:.3f} s as configured")
    weight_prior, weight_found = 1.0 / prior_sigma ** 2, 1.0 / max(found.sigma, 1e-3) ** 2
    lag = (prior * weight_prior + found.lag * weight_found) / (weight_prior + weight_found)
    sigma = max(math.sqrt(1.0 / (weight_prior + weight_found)), SIGMA_FLOOR)
    tuned = type(params)({**params, "gnss.velocity_latency": lag, "gnss.velocity_latency_sigma": sigma})
    return tuned, (f"velocity lag: measured {found.lag:.3f} ± {found.sigma:.3f} s on {found.epochs} accelerating "
                   f"epochs; with the configured {prior:.3f} ± {prior_sigma:.3f} s: {lag:.3f} ± {sigma:.3f} s used")
