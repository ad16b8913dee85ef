"""KF2: one constant-jerk filter on the horizontal track.

Inputs: the GNSS displacement along the track and the IMU's forward acceleration. The
forward acceleration is the body x axis levelled with the IMU's roll and pitch (gravity
then lies on the vertical and drops out), so KF2 needs no yaw at all.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from . import kalman as kf
from . import quaternion
from .angles import quat_yaw_deg, yaw_rotated
from .attitude import attitude_from_params, attitude_step, sample_arrays
from .cj_fuser import CjFuser, acceleration_step
from .columns import WIDTH, Col, write_kf2
from .jit import jit
from .samples import GnssFix, ImuSample

# KF2's IMU side as one record: the IMU attitude, the CJ filter on the track and its history, its R
# entry of the forward acceleration.
Forward = namedtuple("Forward", "attitude track history r_imu")


@jit(nrt=False)
def forward_acceleration(q, accel) -> float:
    """The body x axis levelled (heading removed, roll and pitch kept) times the specific force."""
    r = yaw_rotated(q, -quat_yaw_deg(q))
    R = quaternion.matrix_of(r[0], r[1], r[2], r[3])
    return R[0] * accel[0] + R[1] * accel[1] + R[2] * accel[2]


@jit(inline=True)
def forward_step(k, t, accel, gyro, orientation, has_orientation) -> int:
    """KF2's IMU step: the orientation, the forward acceleration, the CJ filter's correction."""
    if not attitude_step(k.attitude, t, accel, gyro, orientation, has_orientation):
        return kf.NOT_STARTED
    return acceleration_step(k.track, k.history, k.r_imu, t, forward_acceleration(k.attitude.q, accel), k.r_imu)


class AlongTrack:
    """Distance along the track from successive local positions.

    'origin': horizontal distance from the datum (a straight sprint from the start line).
    'path': each GNSS step projected on the direction of motion (GNSS velocity), which
    follows bends. Projection on a slowly changing direction telescopes position noise instead
    of summing its magnitude, so standing still adds nothing; until the first direction is
    known the start position is held, and the displacement since then is counted at once.
    """

    def __init__(self, mode: str = "path", min_speed: float = 1.0):
        self.mode, self.min_speed = mode, min_speed
        self.reset()

    def reset(self) -> None:
        self.prev: np.ndarray | None = None
        self.direction: np.ndarray | None = None
        self.distance = 0.0

    def update(self, enu: np.ndarray, velocity: np.ndarray | None) -> float:
        p = np.asarray(enu[:2], dtype=float)
        if self.mode == "origin":
            return float(math.hypot(p[0], p[1]))
        if self.prev is None:
            self.prev = p
            return self.distance
        if velocity is not None:
            speed = math.hypot(velocity[0], velocity[1])
            if speed >= self.min_speed:
                self.direction = np.asarray(velocity[:2], dtype=float) / speed
        elif np.linalg.norm(p - self.prev) > 0.0:
            self.direction = (p - self.prev) / np.linalg.norm(p - self.prev)
        if self.direction is None:
            return self.distance  # still at the start: hold the anchor in self.prev
        self.distance += float((p - self.prev) @ self.direction)
        self.prev = p
        return self.distance


def measured_velocity(fix: GnssFix) -> bool:
    """The fix carries the receiver's own velocity (Doppler) — one differenced from positions says
    nothing the positions do not, so it is no measurement."""
    return fix.velocity is not None and fix.velocity_covariance is not None and not fix.velocity_differenced


class Kf2:
    """KF2 as the kf2_filter node and the chain run it: GNSS fixes (their local ENU position) here,
    IMU samples through forward_step on the `forward` record."""

    def __init__(self, params):
        self.track = AlongTrack(params["kf2.along_track"], params["kf2.track_min_speed"])
        self.cj = CjFuser.from_params(params, "kf2")
        self.use_velocity = bool(params["gnss.velocity"])
        self.forward = Forward(attitude_from_params(params), self.cj.filter, self.cj.history, self.cj.r_imu)

    def reset(self) -> None:
        self.forward.attitude.t[0] = np.nan
        self.track.reset()
        self.cj.reset()

    def on_gnss(self, fix: GnssFix, enu: np.ndarray) -> None:
        d = self.track.update(enu, fix.velocity)
        with_velocity = self.use_velocity and measured_velocity(fix)
        self.cj.fix(fix.stamp, d, fix.sigma_horizontal, *(self.along_track_velocity(fix) if with_velocity else ()))

    def along_track_velocity(self, fix: GnssFix) -> tuple[float, float]:
        """The receiver's horizontal velocity along the direction of motion, and its variance;
        before a direction is known, the horizontal speed."""
        v, c = np.asarray(fix.velocity[:2], dtype=float), np.asarray(fix.velocity_covariance, dtype=float)[:2, :2]
        u = self.track.direction
        if u is None:
            speed = float(np.hypot(v[0], v[1]))
            u = v / speed if speed > 0.0 else np.array([1.0, 0.0])
        return float(v @ u), float(u @ c @ u)

    def on_imu(self, s: ImuSample) -> np.ndarray | None:
        """forward_step on one sample: the row (columns.Col) of KF2's state, or None when it did not
        update (no orientation yet, no fix yet)."""
        if not kf.checked(forward_step(self.forward, float(s.stamp), *sample_arrays(s)), s.stamp):
            return None
        row = np.full(WIDTH, np.nan)
        row[Col.t] = s.stamp
        write_kf2(row, self.cj.filter, True)
        return row
