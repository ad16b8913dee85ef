"""KF5 stages 1–3: yaw filter, bias filter and alignment of the IMU into east/north/up.

Angles are degrees, as in the paper. The yaw state is ENU yaw (0 = east, counter-clockwise,
REP-103) so the gyro's vertical rate enters with its own sign; GNSS heading of motion
(compass) is converted. Innovations of both angle filters are wrapped to (−180, 180], so the
±180° seam causes no jump. Both filters start at their first measurement (x₀ = (z, 0, 0),
P₀ = I): starting at 0 with P = I (1 deg²) would take minutes to reach a heading of 170°.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from . import kalman as kf
from . import quaternion
from .angles import heading_to_yaw, quat_yaw_deg, wrap_deg, yaw_rotated
from .attitude import attitude_from_params, attitude_step, sample_arrays
from .columns import WIDTH, Col, write_align
from .jit import Direct, jit
from .samples import GnssFix, ImuSample

# Stages 1–3 as one record: the IMU attitude, the yaw and bias filters, their R entries of the
# gyro's yaw rate and of the yaw difference, gravity; and, for kf5.before_heading 'gnss'
# (provisional), the latest GNSS direction of motion (east, north; NaN until one is known), and
# whether the device's own heading stands in until then (kf5.provisional_heading: HEADING_CHOICES).
Align = namedtuple("Align", "attitude yaw bias r_rate r_bias gravity provisional direction device_heading")
HEADING_CHOICES = ("none", "device", "auto")  # auto: the device's when it reports an orientation of its own
NO_HEADING, DEVICE_HEADING, AUTO_HEADING = range(len(HEADING_CHOICES))  # Align.device_heading


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


@jit(inline=True)
def angle_step(f, t, z, r) -> int:
    """An angle measurement (deg) of state 0; the innovation wrapped, the filter starts at the first."""
    if not kf.started(f):
        kf.start(f, t, z)
    else:
        if not kf.advance(f, t):
            return kf.TIME_BACK
        z = f.x[0] + wrap_deg(z - f.x[0])
    kf.update(f, z, 0, r)
    f.x[0] = wrap_deg(f.x[0])
    return kf.UPDATED


@jit(inline=True)
def rate_step(f, t, z, r) -> int:
    """An angular-rate measurement (deg/s) of state 1 of a started angle filter."""
    if not kf.advance(f, t):
        return kf.TIME_BACK
    kf.update(f, z, 1, r)
    f.x[0] = wrap_deg(f.x[0])
    return kf.UPDATED


@jit(inline=True)
def align_step(a, t, accel, gyro, orientation, has_orientation, out_accel, out_q) -> int:
    """Stages 1–3 for one IMU sample: the yaw filter takes the gyro's vertical rate, the bias
    filter yaw − device yaw, and the device orientation rotated by the bias gives the ENU
    acceleration without gravity (out_accel) and the aligned orientation (out_q). NOT_STARTED
    until an orientation exists and a first trusted heading started the yaw filter."""
    if not attitude_step(a.attitude, t, accel, gyro, orientation, has_orientation):
        return kf.NOT_STARTED
    if not kf.started(a.yaw):
        device = a.device_heading == DEVICE_HEADING or (a.device_heading == AUTO_HEADING and has_orientation)
        if a.provisional and (device or not math.isnan(a.direction[0])):
            provisional_accel(a, accel, out_accel)
            return kf.PROVISIONAL
        return kf.NOT_STARTED
    q = a.attitude.q
    R = quaternion.matrix_of(q[0], q[1], q[2], q[3])
    yaw_rate = math.degrees(R[6] * gyro[0] + R[7] * gyro[1] + R[8] * gyro[2])  # body rate → vertical
    if rate_step(a.yaw, t, yaw_rate, a.r_rate) == kf.TIME_BACK:
        return kf.TIME_BACK
    if angle_step(a.bias, t, wrap_deg(a.yaw.x[0] - quat_yaw_deg(q)), a.r_bias) == kf.TIME_BACK:
        return kf.TIME_BACK
    r = yaw_rotated(q, a.bias.x[0])
    for k in range(4):
        out_q[k] = r[k]
    Ra = quaternion.matrix_of(r[0], r[1], r[2], r[3])
    for k in range(3):
        out_accel[k] = Ra[3 * k] * accel[0] + Ra[3 * k + 1] * accel[1] + Ra[3 * k + 2] * accel[2]
    out_accel[2] -= a.gravity
    return kf.UPDATED


@jit(nrt=False)
def provisional_accel(a, accel, out_accel) -> None:
    """The specific force levelled (roll and pitch removed, gravity taken off), its forward and
    left parts put along the GNSS direction of motion — or, until the athlete moves, the device's
    own heading (where align_step lets it: kf5.provisional_heading): what the start of a sprint
    gives before its heading is trusted, the trunk facing where the athlete goes. (A wrong direction
    turns the acceleration but keeps its size, and the speed is that size integrated.)"""
    q = a.attitude.q
    yaw = quat_yaw_deg(q)
    r = yaw_rotated(q, -yaw)
    R = quaternion.matrix_of(r[0], r[1], r[2], r[3])
    forward = R[0] * accel[0] + R[1] * accel[1] + R[2] * accel[2]
    left = R[3] * accel[0] + R[4] * accel[1] + R[5] * accel[2]
    e, n = a.direction[0], a.direction[1]
    if math.isnan(e):
        e, n = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
    out_accel[0] = forward * e - left * n
    out_accel[1] = forward * n + left * e
    out_accel[2] = R[6] * accel[0] + R[7] * accel[1] + R[8] * accel[2] - a.gravity


MOVING = 0.3  # m/s: from here the GNSS velocity gives the direction of motion


@jit(nrt=False)
def provisional_variance(r, east, north) -> float:
    """The east and north variance of a provisional acceleration (east, north): its size is measured
    (r), its direction a guess that may be off by anything — so each component may be off by the
    whole horizontal size. fusion/accel_enu carries it; the axis filters still weigh such an
    acceleration by r (the speed is its size integrated) but carry no lagging velocity across it."""
    return r + east * east + north * north


class YawBiasEstimator:
    """Stages 1–3 as the yaw_bias_estimator node and the chain run them: GNSS headings into the
    yaw filter here (on_gnss), IMU samples through align_step (on the `align` record)."""

    def __init__(self, params):
        pn, p0 = params["process_noise"], float(params["p0"])
        self.align = Align(attitude_from_params(params),
                           kf.new_filter(3, kf.diag_noise(params["yaw.q_diag"], pn), p0),
                           kf.new_filter(3, kf.gain_noise(params["bias.sigma_q"], pn), p0),
                           float(params["yaw.r_rate"]), float(params["bias.r"]), float(params["gravity"]),
                           params["kf5.before_heading"] == "gnss", np.full(2, np.nan),
                           HEADING_CHOICES.index(params["kf5.provisional_heading"]))
        # what on_gnss reads at each fix, read once
        self.heading_min_speed = params["gnss.heading_min_speed"]
        self.heading_max_accuracy = params["gnss.heading_max_accuracy"]
        self.fix_delay, self.r_yaw = float(params["time.fix_delay"]), float(params["yaw.r_yaw"])
        self.heading_step = Direct(angle_step)

    @property
    def yaw(self) -> kf.Filter:
        return self.align.yaw

    @property
    def bias(self) -> kf.Filter:
        return self.align.bias

    def reset(self) -> None:
        kf.reset(self.align.yaw)
        kf.reset(self.align.bias)
        self.align.attitude.t[0] = np.nan
        self.align.direction[:] = np.nan

    def on_gnss(self, fix: GnssFix) -> bool:
        """Correct yaw with the GNSS heading of motion; False when it is not trusted. Keep the
        direction of motion for provisional alignment once the speed stands out of its noise."""
        if fix.velocity is not None and fix.velocity_covariance is not None:
            ve, vn = float(fix.velocity[0]), float(fix.velocity[1])
            speed, sigma = float(np.hypot(ve, vn)), math.sqrt(max(fix.velocity_covariance[0, 0], 0.0))
            # moving, clearly above the speed's noise (a standing athlete's Doppler points anywhere);
            # else the device's own heading stands in (provisional_accel)
            moving = speed > max(5.0 * sigma, MOVING)
            self.align.direction[0] = ve / speed if moving else math.nan
            self.align.direction[1] = vn / speed if moving else math.nan
        heading = trusted_heading(fix, self.heading_min_speed, self.heading_max_accuracy)
        if heading is None:
            return False
        t = float(fix.stamp) + self.fix_delay  # used then (the yaw barely turns meanwhile)
        kf.checked(self.heading_step(self.align.yaw, t, float(heading_to_yaw(heading)), self.r_yaw), t)
        return True

    def on_imu(self, s: ImuSample) -> np.ndarray | None:
        """align_step on one sample: the row (columns.Col) of its aligned acceleration, yaw and bias;
        None until a first trusted heading fixed the yaw — or, with kf5.before_heading 'gnss', a row
        whose acceleration is provisional or not measured (NaN)."""
        row = np.full(WIDTH, np.nan)
        row[Col.t] = s.stamp
        code = align_step(self.align, float(s.stamp), *sample_arrays(s), row[Col.accel_east:Col.accel_east + 3],
                          row[Col.aligned_qw:Col.aligned_qw + 4])
        kf.checked(code, s.stamp)
        if code not in (kf.UPDATED, kf.PROVISIONAL) and not self.align.provisional:
            return None
        write_align(row, self.align, code)
        return row
