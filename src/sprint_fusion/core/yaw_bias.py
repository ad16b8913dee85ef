"""KF5 stages 1–3: yaw filter, bias filter and alignment of the IMU into east/north/up.

Angles are degrees, as in the paper. The yaw state is ENU yaw (0 = east, counter-clockwise,
REP-103) so the gyro's vertical rate enters with its own sign; GNSS heading of motion
(compass) is converted. Innovations of both angle filters are wrapped to (−180, 180], so the
±180° seam causes no jump. Both filters start at their first measurement (x₀ = (z, 0, 0),
P₀ = I): starting at 0 with P = I (1 deg²) would take minutes to reach a heading of 170°.
"""

from __future__ import annotations

import math

import numpy as np

from . import kalman_kernels as kk
from . import quaternion
from .angles import heading_to_yaw, quat_yaw_deg, rotate_yaw, wrap_deg
from .attitude import AttitudeSource, attitude_step, sample_arrays
from .jit import jit
from .kalman import TimedFilter, checked
from .motion import diag_noise, gain_noise_fn
from .samples import AlignedImu, GnssFix, ImuSample


def trusted_heading(fix: GnssFix, min_speed: float, max_accuracy: float) -> float | None:
    """Heading of motion (compass, deg) if the athlete moves fast enough for it to mean anything."""
    if fix.velocity is None:
        return None
    speed = math.hypot(fix.velocity[0], fix.velocity[1])
    if not math.isfinite(speed) or speed < min_speed:
        return None
    if fix.heading_accuracy is not None and not fix.heading_accuracy <= max_accuracy:
        return None
    if fix.heading is not None and math.isfinite(fix.heading):
        return fix.heading
    return math.degrees(math.atan2(fix.velocity[0], fix.velocity[1]))


@jit
def angle_step(f, p0, t, z, r) -> int:
    """An angle measurement (deg) of state 0; the innovation wrapped, the filter starts at the first."""
    x = f[0]
    if not kk.started(f[2]):
        kk.start(x, f[1], f[2], t, z, p0)
    else:
        if not kk.step_to(f, t):
            return kk.TIME_BACK
        z = x[0] + wrap_deg(z - x[0])
    kk.update(x, f[1], z, 0, r)
    x[0] = wrap_deg(x[0])
    return kk.UPDATED


@jit
def rate_step(f, t, z, r) -> int:
    """An angular-rate measurement (deg/s) of state 1 of a started angle filter."""
    if not kk.step_to(f, t):
        return kk.TIME_BACK
    kk.update(f[0], f[1], z, 1, r)
    f[0][0] = wrap_deg(f[0][0])
    return kk.UPDATED


@jit
def align_step(att, yaw, bias, r_rate, r_bias, p0, gravity, t, accel, gyro, orientation, has_orientation,
               out_accel, out_q) -> int:
    """Stages 1–3 for one IMU sample: the yaw filter takes the gyro's vertical rate, the bias
    filter yaw − device yaw, and the device orientation rotated by the bias gives the ENU
    acceleration without gravity (out_accel) and the aligned orientation (out_q). NOT_STARTED
    until an orientation exists and a first trusted heading started the yaw filter."""
    q = att[0]
    if not attitude_step(q, att[1], att[2], att[3], att[4], att[5], t, accel, gyro, orientation, has_orientation):
        return kk.NOT_STARTED
    if not kk.started(yaw[2]):
        return kk.NOT_STARTED
    R = quaternion.to_matrix(q)
    yaw_rate = math.degrees(R[2, 0] * gyro[0] + R[2, 1] * gyro[1] + R[2, 2] * gyro[2])  # body rate → vertical
    if rate_step(yaw, t, yaw_rate, r_rate) == kk.TIME_BACK:
        return kk.TIME_BACK
    if angle_step(bias, p0, t, wrap_deg(yaw[0][0] - quat_yaw_deg(q)), r_bias) == kk.TIME_BACK:
        return kk.TIME_BACK
    out_q[:] = rotate_yaw(q, bias[0][0])
    Ra = quaternion.to_matrix(out_q)
    for k in range(3):
        out_accel[k] = Ra[k, 0] * accel[0] + Ra[k, 1] * accel[1] + Ra[k, 2] * accel[2]
    out_accel[2] -= gravity
    return kk.UPDATED


class AngleFilter:
    """A CA filter whose first state is an angle in degrees (wrapped innovations)."""

    def __init__(self, noise, p0: float):
        self.filter = TimedFilter(3, noise, p0)

    def angle(self, t: float, z: float, r: float) -> None:
        checked(angle_step(self.filter.args, float(self.filter.p0), float(t), float(z), float(r)), t)

    def rate(self, t: float, z: float, r: float) -> None:
        if not self.filter.initialized:
            raise RuntimeError("filter not started")
        checked(rate_step(self.filter.args, float(t), float(z), float(r)), t)


class YawBiasEstimator:
    def __init__(self, params):
        self.p = params
        pn, p0 = params["process_noise"], float(params["p0"])
        self.p0 = p0
        self.yaw = AngleFilter(diag_noise(params["yaw.q_diag"], pn), p0)
        self.bias = AngleFilter(gain_noise_fn(params["bias.sigma_q"], pn), p0)
        self.attitude = AttitudeSource.from_params(params)
        self.gravity = float(params["gravity"])
        self.r_rate, self.r_bias = float(params["yaw.r_rate"]), float(params["bias.r"])

    def reset(self) -> None:
        self.yaw.filter.reset()
        self.bias.filter.reset()
        self.attitude.reset()

    @property
    def args(self) -> tuple:
        """align_step's state and settings, in its order."""
        return (self.attitude.args, self.yaw.filter.args, self.bias.filter.args, self.r_rate, self.r_bias, self.p0,
                self.gravity)

    def on_gnss(self, fix: GnssFix) -> bool:
        """Correct yaw with the GNSS heading of motion; False when it is not trusted."""
        heading = trusted_heading(fix, self.p["gnss.heading_min_speed"], self.p["gnss.heading_max_accuracy"])
        if heading is None:
            return False
        self.yaw.angle(fix.stamp, heading_to_yaw(heading), self.p["yaw.r_yaw"])
        return True

    def on_imu(self, s: ImuSample) -> AlignedImu | None:
        """Aligned ENU acceleration, or None until a first trusted heading fixed the yaw."""
        accel_enu, q_aligned = np.empty(3), np.empty(4)
        code = align_step(*self.args, float(s.stamp), *sample_arrays(s), accel_enu, q_aligned)
        if not checked(code, s.stamp):
            return None
        return self.aligned(s.stamp, accel_enu, q_aligned)

    def aligned(self, stamp: float, accel_enu: np.ndarray, q_aligned: np.ndarray) -> AlignedImu:
        yaw, bias = self.yaw.filter, self.bias.filter
        return AlignedImu(stamp, accel_enu, float(yaw.x[0]), float(yaw.P[0, 0]), float(bias.x[0]),
                          float(bias.P[0, 0]), q_aligned)
