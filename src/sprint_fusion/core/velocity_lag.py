"""How late the receiver's velocity is, measured on a session's own fixes.

A receiver's Doppler velocity describes the motion some tens of milliseconds before its epoch
(u-blox: the navigation filter's smoothing), and the axis filters model that lag
(gnss.velocity_latency). A wrong lag costs more than no velocity at all when the athlete
accelerates at 5–8 m/s²: 0.08 s assumed against 0 or 0.15 s true moved 30 m splits by 40–90 ms
on the validation set. So the lag is measured where it shows — in the accelerations of a sprint:
two clocks without lag are compared with the reported velocity (and the IMU also tells whether it
is delayed or smoothed by a first-order lag: a smoothed one is related to the state by the
expansion, gnss.velocity_lag_from 'state', which is what such a lag is at low frequencies):
- the IMU (estimate_velocity_lag_imu), at each sprint start: the horizontal specific force
  integrated from the standstill is the speed's shape without lag; the reported speed is that
  shape L seconds late (its scale, an offset and a drift — an AHRS's tilt leaking gravity — fitted
  alongside). Any fix type: the Doppler speed is as good in a float or single-point fix;
- RTK-fixed positions (estimate_velocity_lag): the velocity they imply at an epoch (central
  difference) against the reported one differs by −L·a; least squares over the epochs with
  |a| ≥ MIN_ACCEL on both horizontal axes gives L and its standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import quaternion
from .attitude import attitude_from_params, attitude_step, new_attitude
from .geodesy import LocalFrame
from .samples import FixType, GnssFix, ImuBlock
from .sprint_starts import sprint_spans

MIN_ACCEL = 1.0  # m/s²: epochs accelerating less say little about the lag
MIN_EPOCHS = 8  # accelerating epochs needed for an estimate
MAX_LAG = 0.3  # s
SMOOTHING = 0.5  # s, the span of the zero-phase fits
SIGMA_FLOOR = 0.005  # s: the lag is not known better than this (it varies a little with the receiver's load)
LAG_STEP = 0.002  # s, the search grid of the IMU's measure
SMOOTHED_STEP = 0.01  # s, that of its smoothing fit (it only decides which form fits)
SCALE_RANGE = (0.7, 1.3)  # the IMU's speed against the receiver's: outside, something else is wrong
# The IMU's measure erred up to 0.014 s (0.021 s with single-point fixes; 6 ms short on average)
# on the validation set — more than its misfit says; with an orientation estimated from the IMU
# (no device orientation), which tilts in a sprint's acceleration, up to 0.02 s.
IMU_SIGMA_FLOOR, ESTIMATED_ATTITUDE_SIGMA = 0.01, 0.02  # s


@dataclass(frozen=True)
class LagEstimate:
    lag: float  # s
    sigma: float  # s, standard error
    epochs: int  # accelerating epochs used
    smoothed: bool = False  # the velocity fits a first-order lag (a smoothing filter) better than a delay


# The IMU's measure also asks how the velocity lags: delayed (the motion L before), or smoothed by a
# first-order lag of time constant L — alike at low frequencies, unlike under a stride's swing. The
# better fit says which: on the validation set the smoothing fit's misfit was 0.43–0.88 of the
# delay's for a smoothing receiver, 1.19–2 for a delaying one (4 sprints × 3 receivers × 3 seeds).
SMOOTHED_SHARE = 1.0


def centred_fit(x: np.ndarray, window: int, period: float, slope: bool = False) -> np.ndarray:
    """Savitzky–Golay at the centre of every full window along axis 0 (no edges: they extrapolate):
    a quadratic fitted by least squares over `window` samples `period` apart, its value or its
    slope — one fixed linear combination of the window (scipy.signal's savgol_filter gives the same
    numbers; its import costs every command 0.4 s)."""
    tau = (np.arange(window) - window // 2) * period
    weights = np.linalg.pinv(np.vander(tau, 3, increasing=True))[1 if slope else 0]  # c₀ or c₁ of c₀ + c₁τ + c₂τ²
    return np.lib.stride_tricks.sliding_window_view(x, window, axis=0) @ weights


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
        v_pos = centred_fit(p[lo:hi], window, period, slope=True)
        a = centred_fit(v[lo:hi], window, period, slope=True)
        residuals.append(centred_fit(v[lo:hi], window, period) - v_pos)
        accels.append(a)
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


def calibrated(params, fixes: list[GnssFix], imu: ImuBlock | None = None) -> tuple[object, str | None]:
    """params with gnss.velocity_latency (and its σ) from these fixes (and, given, the IMU's samples
    of the sprint starts: bags.reader.read_calibration) when gnss.velocity_latency_estimate asks
    for it: each measure combined with the configured lag as a prior (inverse-variance weights),
    and a line saying what was done (None: nothing)."""
    if not (params["gnss.velocity_latency_estimate"] and params["gnss.velocity"]):
        return params, None
    prior, prior_sigma = params["gnss.velocity_latency"], params["gnss.velocity_latency_sigma"]
    if prior_sigma <= 0.0:
        return params, "velocity lag: configured as exact (gnss.velocity_latency_sigma 0), not measured"
    fixes = sorted(fixes, key=lambda f: f.stamp)
    found = {"the IMU at sprint starts": (estimate_velocity_lag_imu(fixes, imu, attitude_from_params(params))
                                          if imu is not None and len(imu) else None),
             "RTK-fixed positions": estimate_velocity_lag(fixes)}
    found = {how: f for how, f in found.items() if f is not None}
    if not found:
        return params, (f"velocity lag: too little acceleration in the recording to measure it; "
                        f"{prior:.3f} ± {prior_sigma:.3f} s as configured")
    weights = [1.0 / prior_sigma ** 2] + [1.0 / max(f.sigma, 1e-3) ** 2 for f in found.values()]
    lag = (prior * weights[0] + sum(f.lag * w for f, w in zip(found.values(), weights[1:], strict=True))) / sum(weights)
    sigma = max(math.sqrt(1.0 / sum(weights)), SIGMA_FLOOR)
    values = {**params, "gnss.velocity_latency": lag, "gnss.velocity_latency_sigma": sigma}
    measures = "; ".join(f"{f.lag:.3f} ± {f.sigma:.3f} s by {how} ({f.epochs} epochs)" for how, f in found.items())
    said = (f"velocity lag: measured {measures}; with the configured {prior:.3f} ± {prior_sigma:.3f} s: "
            f"{lag:.3f} ± {sigma:.3f} s used")
    imu = found.get("the IMU at sprint starts")
    if imu is not None and imu.smoothed and params["gnss.velocity_lag_from"] == "imu":
        # carried as a delay, a smoothed velocity would mislead the filters under a stride's swing
        values["gnss.velocity_lag_from"] = "state"
        said += "; the velocity is smoothed, not delayed (gnss.velocity_lag_from: state)"
    return type(params)(values), said


def horizontal_force(imu: ImuBlock, attitude) -> tuple[np.ndarray, np.ndarray]:
    """Stamps and the horizontal part (in the level frame of the IMU's own yaw) of the specific
    force of the samples with an orientation (the device's, or estimated: attitude's source)."""
    t, out = [], []
    for k in range(len(imu)):
        if attitude_step(attitude, imu.stamps[k], imu.accel[k], imu.gyro[k], imu.orientation[k],
                         imu.has_orientation[k]):
            t.append(imu.stamps[k])
            out.append((quaternion.to_matrix(attitude.q) @ imu.accel[k])[:2])  # gravity is vertical: not in it
    return np.asarray(t, dtype=float), np.asarray(out, dtype=float).reshape(-1, 2)


def first_order_lag(t: np.ndarray, x: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """x (n, 2) through first-order lags of each time constant in taus (0: none), started at x[0]
    and exact for x held between samples: (len(taus), n, 2)."""
    out = np.empty((len(taus), *x.shape))
    y = np.repeat(x[:1], len(taus), axis=0)
    safe = np.where(taus > 0.0, taus, 1.0)[:, None]
    for k in range(len(t)):
        if k:
            keep = np.where(taus[:, None] > 0.0, np.exp(-(t[k] - t[k - 1]) / safe), 0.0)
            y = keep * y + (1.0 - keep) * x[k - 1]
        out[:, k] = np.where(taus[:, None] > 0.0, y, x[k])
    return out


def _span_misfit(t_fix: np.ndarray, reported: np.ndarray, t_imu: np.ndarray, velocity: np.ndarray,
                 lags: np.ndarray, smoothed: bool = False) -> np.ndarray | None:
    """Residual sum of squares, per lag, of the reported horizontal velocities against the IMU's
    velocity that lag earlier (smoothed: through a first-order lag of that time constant), turned
    into east/north with a scale, plus an offset and a drift per axis (a constant error of the
    force — a tilt's gravity, a bias — integrates to a drift); None if the best fit's scale is not
    plausible."""
    misfit, scales = np.empty(len(lags)), np.empty(len(lags))
    n, drift = len(t_fix), t_fix - t_fix[0]
    zero, one = np.zeros(n), np.ones(n)
    z = np.concatenate([reported[:, 0], reported[:, 1]])
    lagged = first_order_lag(t_imu, velocity, np.maximum(lags, 0.0)) if smoothed else None
    for k, lag in enumerate(lags):
        if smoothed:
            vx, vy = (np.interp(t_fix, t_imu, lagged[k, :, j]) for j in range(2))
        else:
            vx, vy = (np.interp(t_fix - lag, t_imu, velocity[:, j]) for j in range(2))
        # east = c·vx − s·vy + …, north = s·vx + c·vy + …: the IMU's yaw against east unknown
        design = np.block([[vx[:, None], -vy[:, None], drift[:, None], one[:, None], zero[:, None], zero[:, None]],
                           [vy[:, None], vx[:, None], zero[:, None], zero[:, None], drift[:, None], one[:, None]]])
        coef, *_ = np.linalg.lstsq(design, z, rcond=None)
        r = z - design @ coef
        misfit[k], scales[k] = r @ r, math.hypot(coef[0], coef[1])
    best = int(np.argmin(misfit))
    return misfit if SCALE_RANGE[0] <= scales[best] <= SCALE_RANGE[1] else None


def estimate_velocity_lag_imu(fixes: list[GnssFix], imu: ImuBlock, attitude=None) -> LagEstimate | None:
    """The lag of the reported velocities (fixes in stamp order) against the IMU's integrated
    horizontal force over the first sprint starts, or None without a usable start. attitude:
    an attitude.Attitude (the chain's settings), by default the device's orientation or else an
    estimate."""
    lags = np.arange(-0.05, MAX_LAG + 1e-9, LAG_STEP)
    total, epochs = np.zeros(len(lags)), 0
    taus = np.arange(0.0, MAX_LAG + 1e-9, SMOOTHED_STEP)
    smoothed_total = np.zeros(len(taus))
    for lo, hi in sprint_spans(fixes):
        use = [f for f in fixes if lo <= f.stamp <= hi and f.velocity is not None and not f.velocity_differenced]
        inside = (imu.stamps >= lo - 2 * MAX_LAG) & (imu.stamps <= hi + 0.1)
        if len(use) < MIN_EPOCHS or not inside.any():
            continue
        t_imu, force = horizontal_force(imu.take(np.flatnonzero(inside)),
                                        new_attitude() if attitude is None else attitude)
        if len(t_imu) < 2 or t_imu[0] > lo - MAX_LAG or t_imu[-1] < use[-1].stamp or np.diff(t_imu).max() > 0.1:
            continue  # the span not covered by the IMU, or a gap in it
        velocity = np.vstack([np.zeros(2), np.cumsum(0.5 * (force[1:] + force[:-1]) * np.diff(t_imu)[:, None],
                                                     axis=0)])
        t_fix = np.array([f.stamp for f in use])
        reported = np.array([np.asarray(f.velocity, dtype=float)[:2] for f in use])
        misfit = _span_misfit(t_fix, reported, t_imu, velocity, lags)
        if misfit is not None:
            total += misfit
            epochs += len(use)
            smoothing = _span_misfit(t_fix, reported, t_imu, velocity, taus, smoothed=True)
            smoothed_total += smoothing if smoothing is not None else np.inf
    best = int(np.argmin(total))
    if not epochs or best in (0, len(lags) - 1):
        return None  # no start, or the best lag at the edge of what receivers do
    smoothed = bool(smoothed_total.min() <= SMOOTHED_SHARE * total[best])
    before, at, after = total[best - 1:best + 2]
    curvature = (before - 2.0 * at + after) / LAG_STEP ** 2
    if curvature <= 0.0:
        return None
    lag = float(lags[best] + 0.5 * LAG_STEP * (before - after) / (before - 2.0 * at + after))  # the parabola's vertex
    sigma = math.sqrt(2.0 * at / max(2 * epochs - 6, 1) / curvature)
    sigma = max(sigma, IMU_SIGMA_FLOOR if imu.has_orientation.all() else ESTIMATED_ATTITUDE_SIGMA)
    return LagEstimate(min(max(lag, 0.0), MAX_LAG), sigma, epochs, smoothed)
