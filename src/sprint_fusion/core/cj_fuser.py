"""The constant-jerk filter fusing GNSS with an IMU acceleration on one axis.

KF2 runs one on the along-track distance; KF5 runs one each on east, north and up.
Measurements: H = (1 0 0 0) for the GNSS displacement, H = (0 0 1 0) for the acceleration —
either alone or both at one stamp — and, where the receiver's velocity is used (gnss.velocity),
H = (0 1 −L L²/2) for a velocity that describes the motion L seconds before its epoch — or
(gnss.velocity_lag_from 'imu') that velocity carried to its epoch by what the IMU measured the
athlete gain over those L seconds, H = (0 1 0 0): the expansion in a and j holds while L is short
against the motion, and a stride's speed swing (4–5 Hz; L·ω ≈ 2 at L = 0.08 s) is not.

With an acceleration bias (axis.accel_bias_tau > 0) a fifth state b joins (d, v, a, j): the
IMU's acceleration measures a + b, H = (0 0 1 0 1), b a first-order Gauss–Markov process. An
accelerometer's offset and the gravity a tilted AHRS leaks into the horizontal (0.5° of tilt:
0.09 m/s²) otherwise enter the acceleration state as motion, and the velocity runs off until
GNSS pulls it back: +0.1 m/s for seconds, +1 % of distance, measured on the validation set.
GNSS velocity and positions make b observable, a standstill most of all.

With time.fix_delay the filter keeps a short history (core/history.py): a fix comes after IMU
steps went past its stamp, and the filter takes it at its stamp and runs those steps again.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from . import history as hist
from . import kalman as kf
from .history import ACCEL, NO_ROW, REANCHOR, ROW
from .jit import Direct, jit

R_FLOOR = 1e-6  # a receiver reporting σ = 0 must not make R singular
# A measurement the gate keeps out this many times in a row is taken after all: a jump that lasts
# is where the athlete is (or the filter has drifted), not a glitch to ride out.
MAX_GATED_IN_A_ROW = 5
# After this long without a fix (an outage) the filter has run on the IMU alone: the first fix
# back is taken whatever the gate says (the IMU's drift, not the fix, is what is off).
GATE_AFTER_GAP = 0.5  # s


@jit(inline=True)
def acceleration_step(f, h, r_imu, t, a, r) -> int:
    """IMU acceleration a [m/s²] at t into the CJ filter f (its history h), with variance r: r_imu
    measured, unknown (≥ UNMEASURED) not measured, in between a provisional one's
    (yaw_bias.provisional_variance: its direction a guess) — weighed by r_imu (the speed is its size
    integrated), carrying no lagging velocity. Ignored until a first displacement started the
    filter. KF2 (r = r_imu), the chain's axis filters and the axis nodes all go through here.

    The history's steps are called only where it keeps something (time.fix_delay, a carried lag):
    each compiled call passes the record's twelve arrays through numba's atomic reference counts,
    and this runs three or four times a sample (with the axis step's own level, a fifth of the
    chain's time, measured)."""
    provisional = r_imu < r < hist.UNMEASURED
    if provisional:
        r = r_imu
    if h.at.shape[0] > 0:
        hist.received(h, t, a, r)
        if provisional:
            hist.forget(h)
    kept = h.t.shape[0] > 0
    if not kf.started(f):
        if kept:
            hist.remember(h, f, t, ACCEL, a, NO_ROW, r)  # a first fix used later starts f before t
        return kf.NOT_STARTED
    if not kf.advance(f, t):
        return kf.TIME_BACK
    hist.apply(f, ACCEL, a, NO_ROW, r)
    if kept:
        hist.remember(h, f, t, ACCEL, a, NO_ROW, r)
    return kf.UPDATED


GATED, LAST_FIX, OUTLIERS = range(3)  # CjFuser.gnss_state


@jit(nrt=False)
def _velocity(f, h, t, v, variance, rows, lag_sigma, carry) -> int:
    if not kf.advance(f, t):
        return kf.TIME_BACK
    lag_error = lag_sigma * f.x[2]  # an uncertain lag errs by σ_L·a
    r = max(variance + lag_error * lag_error, R_FLOOR)
    gain = hist.gained(h, t, carry) if carry > 0.0 else math.nan
    if math.isnan(gain):  # v(t − L) from the state (rows[0]), or no lag
        kf.update_row(f, v, rows[0], r)
        hist.remember(h, f, t, ROW, v, rows[0], r)
    else:  # v(t − L) + what the IMU measured meanwhile (with the bias's L·b, rows[1]) is v(t)
        kf.update_row(f, v + gain, rows[1], r)
        hist.remember(h, f, t, ROW, v + gain, rows[1], r)
    return kf.UPDATED


@jit(nrt=False)
def velocity_step(f, h, t, v, variance, rows, lag_sigma, carry) -> int:
    """The receiver's velocity v (variance, lagging as `rows` say: CjFuser.velocity_rows) into a
    started filter f, at its stamp t (history h). Not gated: Doppler has no multipath jumps, and a
    stride's speed swing (±0.5 m/s at 4–5 Hz, which the receiver samples and the filter smooths)
    would fail a tight gate."""
    t, later = hist.rewind(h, f, t)
    code = _velocity(f, h, t, v, variance, rows, lag_sigma, carry)
    return hist.rerun(h, f, later) if code == kf.UPDATED else code


@jit(nrt=False)
def gnss_step(f, h, t, d, r, gate, position_row, v, variance, velocity_rows, lag_sigma, carry, state) -> int:
    """A fix into a started filter f at its stamp t (history h: IMU steps already past it run
    again after it): its displacement d (variance r) through the innovation gate — kept out unless
    consistent; taken after a gap; taken anew (re-anchored) once kept out MAX_GATED_IN_A_ROW
    times — then, where v is a number, its velocity (velocity_step)."""
    t, later = hist.rewind(h, f, t)
    if not kf.advance(f, t):
        return kf.TIME_BACK
    after_gap = t - state[LAST_FIX] > GATE_AFTER_GAP
    state[LAST_FIX] = t
    if after_gap or kf.consistent(f, d, position_row, r, gate):
        state[GATED] = 0.0
        kf.update(f, d, 0, r)
        hist.remember(h, f, t, ROW, d, position_row, r)
    elif state[GATED] >= MAX_GATED_IN_A_ROW:  # a jump that lasts: start the position anew there
        state[GATED] = 0.0
        kf.reanchor(f, 0, d, r)
        hist.remember(h, f, t, REANCHOR, d, position_row, r)
    else:
        state[GATED] += 1.0
        state[OUTLIERS] += 1.0
    if not math.isnan(v) and _velocity(f, h, t, v, variance, velocity_rows, lag_sigma, carry) == kf.TIME_BACK:
        return kf.TIME_BACK
    return hist.rerun(h, f, later)


# Several CJ filters' GNSS side as one record: their filters, histories, gnss_state arrays, position
# rows and velocity rows (CjFuser's), in one order — KF5's east, north and up (kf5.AXES).
Fusers = namedtuple("Fusers", "filters histories states position_rows velocity_rows")


@jit(nrt=False)
def three_fixes(k, t, d0, d1, d2, r0, r1, r2, gate, v0, v1, v2, var0, var1, var2, lag_sigma, carry) -> int:
    """gnss_step of one fix into three started filters (the record k, Fusers), in turn: one compiled
    call for KF5's east, north and up instead of three (a call from Python costs more than the
    step). TIME_BACK from the first filter that was past t, the others then left as they were."""
    f, h, s, p, v = k.filters, k.histories, k.states, k.position_rows, k.velocity_rows  # constant indexes:
    # a tuple indexed by a variable is copied whole
    if gnss_step(f[0], h[0], t, d0, r0, gate, p[0], v0, var0, v[0], lag_sigma, carry, s[0]) == kf.TIME_BACK:
        return kf.TIME_BACK
    if gnss_step(f[1], h[1], t, d1, r1, gate, p[1], v1, var1, v[1], lag_sigma, carry, s[1]) == kf.TIME_BACK:
        return kf.TIME_BACK
    return gnss_step(f[2], h[2], t, d2, r2, gate, p[2], v2, var2, v[2], lag_sigma, carry, s[2])


class CjFuser:
    def __init__(self, q_diag, r_imu: float, r_from: str = "std", process_noise: str = "per_step",
                 p0: float = 1.0, gate: float = 0.0, velocity_latency: float = 0.0,
                 velocity_latency_sigma: float = 0.0, r_scale: float = 1.0, accel_bias_tau: float = 0.0,
                 accel_bias_sigma: float = 0.0, fix_delay: float = 0.0, velocity_lag_from: str = "state"):
        bias = accel_bias_tau > 0
        q = [*q_diag, accel_bias_sigma ** 2] if bias else q_diag  # the bias: its stationary variance
        self.filter = kf.new_filter(5 if bias else 4, kf.diag_noise(q, process_noise, accel_bias_tau), p0)
        lag = float(velocity_latency)
        self.carry = lag if velocity_lag_from == "imu" else 0.0  # carried by the IMU's acceleration
        # fixes after IMU steps past them; the accelerations that carry a lagging velocity
        self.history = hist.new_history(len(self.filter.x), fix_delay, self.carry)
        self.position_row = np.zeros(len(self.filter.x))
        self.position_row[0] = 1.0
        self.r_imu = float(r_imu)
        self.r_from = r_from
        self.r_scale = float(r_scale)
        self.gate = float(gate)
        # v(t − L) under constant jerk; v(t) (+ L·b: the IMU's gain over L carries its bias)
        self.velocity_rows = np.zeros((2, len(self.filter.x)))
        self.velocity_rows[0, 1:4] = (1.0, -lag, lag * lag / 2.0)
        self.velocity_rows[1, 1] = 1.0
        if bias:
            self.velocity_rows[1, 4] = lag
        self.lag_sigma = float(velocity_latency_sigma)
        # what the GNSS step keeps between fixes: positions kept out in a row (GATED), the time of
        # the last position received, taken or not (LAST_FIX), positions the gate kept out (OUTLIERS)
        self.gnss_state = np.array([0.0, -np.inf, 0.0])
        self.gnss_step, self.velocity_step = Direct(gnss_step), Direct(velocity_step)  # a fix: four filters' calls

    @classmethod
    def from_params(cls, params, section: str) -> CjFuser:
        """KF2's ('kf2') or an axis filter's ('axis') settings."""
        bias = (params["axis.accel_bias_tau"], params["axis.accel_bias_sigma"]) if section == "axis" else (0.0, 0.0)
        return cls(params[f"{section}.q_diag"], params[f"{section}.r_imu"], params["gnss.r_from"],
                   params["process_noise"], params["p0"], params["gnss.gate"], params["gnss.velocity_latency"],
                   params["gnss.velocity_latency_sigma"], params["gnss.r_scale"], *bias, params["time.fix_delay"],
                   params["gnss.velocity_lag_from"])

    @property
    def initialized(self) -> bool:
        return kf.is_started(self.filter)

    @property
    def state(self) -> np.ndarray:
        return self.filter.x

    @property
    def covariance(self) -> np.ndarray:
        return self.filter.P

    @property
    def outliers(self) -> int:
        """GNSS positions the gate kept out."""
        return int(self.gnss_state[OUTLIERS])

    def reset(self) -> None:
        kf.reset(self.filter)
        hist.clear(self.history)
        self.gnss_state[GATED], self.gnss_state[LAST_FIX] = 0.0, -np.inf

    def gnss_r(self, sigma: float) -> float:
        return max((sigma if self.r_from == "std" else sigma * sigma) * self.r_scale, R_FLOOR)

    def position(self, t: float, d: float, sigma: float) -> None:
        """GNSS displacement d [m] with the receiver's 1σ error on this axis."""
        self.fix(t, d, sigma)

    def velocity(self, t: float, v: float, variance: float) -> None:
        """GNSS velocity v [m/s] on this axis with its variance, once a position started the filter."""
        if self.initialized:
            kf.checked(self.velocity_step(self.filter, self.history, float(t), float(v), float(variance),
                                     self.velocity_rows, self.lag_sigma, self.carry), t)

    def start_at(self, t: float, d: float) -> None:
        """A filter not started yet starts at this first displacement (x = (d, 0, …), P = p0·I),
        which the fix's step then corrects; a started one is left as it is."""
        if not self.initialized:
            kf.start(self.filter, float(t), float(d))
            hist.restart(self.history, self.filter)

    def fix(self, t: float, d: float, sigma: float, v: float = math.nan, variance: float = math.nan) -> None:
        """A fix's displacement d [m] with its 1σ error and, where v is a number, its velocity v with
        its variance: one compiled step (the filter starts at its first displacement)."""
        self.start_at(t, d)
        code = self.gnss_step(self.filter, self.history, float(t), float(d), self.gnss_r(sigma), self.gate,
                         self.position_row, float(v), float(variance), self.velocity_rows, self.lag_sigma, self.carry,
                         self.gnss_state)
        kf.checked(code, t)

    def acceleration(self, t: float, a: float, r: float | None = None) -> bool:
        """IMU acceleration [m/s²] (variance r, else r_imu); ignored (False) until a first
        displacement started the filter. A variance above r_imu, short of unknown, is a provisional
        acceleration's (acceleration_step)."""
        r = self.r_imu if r is None else float(r)
        return kf.checked(acceleration_step(self.filter, self.history, self.r_imu, float(t), float(a), r), t)

