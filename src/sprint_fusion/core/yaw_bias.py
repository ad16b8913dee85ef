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

from . import quaternion
from .angles import heading_to_yaw, quat_yaw_deg, rotate_yaw, wrap_deg
from .attitude import AttitudeSource
from .kalman import TimedFilter
from .motion import ca_transition, diag_noise, gain_noise_fn
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


class AngleFilter:
    """A CA filter whose first state is an angle in degrees (wrapped innovations)."""

    def __init__(self, noise, p0: float):
        self.filter = TimedFilter(3, ca_transition, noise, p0)

    def angle(self, t: float, z: float, r: float) -> None:
        f = self.filter
        if not f.initialized:
            f.start(t, [z])
        else:
            f.predict_to(t)
            z = f.x[0] + wrap_deg(z - f.x[0])
        f.kf.update([z], [0], [r])
        f.x[0] = wrap_deg(f.x[0])

    def rate(self, t: float, z: float, r: float) -> None:
        self.filter.step(t, [z], [1], [r])
        self.filter.x[0] = wrap_deg(self.filter.x[0])


class YawBiasEstimator:
    def __init__(self, params):
        self.p = params
        pn, p0 = params["process_noise"], params["p0"]
        self.yaw = AngleFilter(diag_noise(params["yaw.q_diag"], pn), p0)
        self.bias = AngleFilter(gain_noise_fn(params["bias.sigma_q"], pn), p0)
        self.attitude = AttitudeSource.from_params(params)
        self.gravity = np.array([0.0, 0.0, params["gravity"]])

    def reset(self) -> None:
        self.yaw.filter.reset()
        self.bias.filter.reset()
        self.attitude.reset()

    def on_gnss(self, fix: GnssFix) -> bool:
        """Correct yaw with the GNSS heading of motion; False when it is not trusted."""
        heading = trusted_heading(fix, self.p["gnss.heading_min_speed"], self.p["gnss.heading_max_accuracy"])
        if heading is None:
            return False
        self.yaw.angle(fix.stamp, heading_to_yaw(heading), self.p["yaw.r_yaw"])
        return True

    def on_imu(self, s: ImuSample) -> AlignedImu | None:
        """Aligned ENU acceleration, or None until a first trusted heading fixed the yaw."""
        q_dev = self.attitude.update(s)
        if q_dev is None or not self.yaw.filter.initialized:
            return None
        R_dev = quaternion.to_matrix(q_dev)
        yaw_rate = math.degrees(float(R_dev[2] @ s.gyro))  # body rate rotated to the vertical
        self.yaw.rate(s.stamp, yaw_rate, self.p["yaw.r_rate"])
        yaw_dev = quat_yaw_deg(q_dev)
        self.bias.angle(s.stamp, wrap_deg(self.yaw.filter.x[0] - yaw_dev), self.p["bias.r"])
        bias = self.bias.filter.x[0]
        q_aligned = rotate_yaw(q_dev, bias)
        accel_enu = quaternion.to_matrix(q_aligned) @ s.accel - self.gravity
        return AlignedImu(s.stamp, accel_enu, float(self.yaw.filter.x[0]), float(self.yaw.filter.P[0, 0]),
                          float(bias), float(self.bias.filter.P[0, 0]), q_aligned)
