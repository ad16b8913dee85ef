"""Orientation of the IMU: the device's own output, or a complementary-filter estimate.

The published bias filter needs an IMU orientation whose yaw drifts; roll and pitch are
needed to remove gravity. A device without orientation output gets a Mahony-style estimate:
gyro integration, with roll/pitch pulled toward the accelerometer's gravity direction only
while the specific-force magnitude is close to g (sprinting accelerations would tilt it).
Its yaw is gyro-only and drifts — exactly what the bias filter is there to remove.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from . import quaternion
from .jit import jit
from .samples import ImuSample

SOURCES = ("device", "estimate", "auto")  # the codes of Attitude.source
DEVICE, ESTIMATE, AUTO = range(3)

# The body→ENU quaternion q (w, x, y, z) at time t (one entry, NaN: no orientation yet), and how
# it is obtained: source (a SOURCES code), the tilt correction's gain and gate, gravity.
Attitude = namedtuple("Attitude", "q t source gain accel_gate gravity")


def new_attitude(source: str = "auto", gain: float = 1.0, accel_gate: float = 0.2,
                 gravity: float = 9.80665) -> Attitude:
    return Attitude(np.array([1.0, 0.0, 0.0, 0.0]), np.array([np.nan]), SOURCES.index(source), float(gain),
                    float(accel_gate), float(gravity))


def attitude_from_params(params) -> Attitude:
    return new_attitude(params["attitude.source"], params["attitude.gain"], params["attitude.accel_gate"],
                        params["gravity"])


@jit
def attitude_step(att, t, accel, gyro, orientation, has_orientation) -> bool:
    """Update att.q (in place) with one sample; False if no orientation is available."""
    q, clock, source = att.q, att.t, att.source
    gain, accel_gate, gravity = att.gain, att.accel_gate, att.gravity
    if source == DEVICE or (source == AUTO and has_orientation):
        if not has_orientation:
            return False
        n = math.sqrt(orientation[0] ** 2 + orientation[1] ** 2 + orientation[2] ** 2 + orientation[3] ** 2)
        for k in range(4):
            q[k] = orientation[k] / n
        clock[0] = t
        return True
    if math.isnan(clock[0]):  # level from the gravity direction, yaw zero (arbitrary until aligned)
        roll = math.atan2(accel[1], accel[2])
        pitch = math.atan2(-accel[0], math.hypot(accel[1], accel[2]))
        q[:] = quaternion.from_roll_pitch(roll, pitch)
        clock[0] = t
        return True
    dt = t - clock[0]
    clock[0] = t
    omega = gyro.copy()
    fn = math.sqrt(accel[0] ** 2 + accel[1] ** 2 + accel[2] ** 2)
    if fn > 0.0 and abs(fn - gravity) < accel_gate:
        up = quaternion.to_matrix(q)[2]  # ENU up seen in the body frame
        f = accel / fn
        omega[0] += gain * (f[1] * up[2] - f[2] * up[1])
        omega[1] += gain * (f[2] * up[0] - f[0] * up[2])
        omega[2] += gain * (f[0] * up[1] - f[1] * up[0])
    angle = math.sqrt(omega[0] ** 2 + omega[1] ** 2 + omega[2] ** 2) * dt
    if angle > 0.0:
        r = quaternion.multiply(q, quaternion.from_axis_angle(omega, angle))
        n = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2 + r[3] ** 2)
        for k in range(4):
            q[k] = r[k] / n
    return True


NO_ORIENTATION = np.zeros(4)


def sample_arrays(s: ImuSample) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """accel, gyro, orientation (zeros if none) and whether it has one, as float arrays."""
    has = s.orientation is not None
    return (np.asarray(s.accel, dtype=float), np.asarray(s.gyro, dtype=float),
            np.asarray(s.orientation, dtype=float) if has else NO_ORIENTATION, has)


