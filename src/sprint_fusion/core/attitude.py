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


@jit(nrt=False)
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
        r = quaternion.roll_pitch(roll, pitch)
        for k in range(4):
            q[k] = r[k]
        clock[0] = t
        return True
    dt = t - clock[0]
    clock[0] = t
    o0, o1, o2 = gyro[0], gyro[1], gyro[2]  # scalars, not arrays: this step allocates nothing
    fn = math.sqrt(accel[0] ** 2 + accel[1] ** 2 + accel[2] ** 2)
    if fn > 0.0 and abs(fn - gravity) < accel_gate:
        m = quaternion.matrix_of(q[0], q[1], q[2], q[3])
        up0, up1, up2 = m[6], m[7], m[8]  # ENU up seen in the body frame
        f0, f1, f2 = accel[0] / fn, accel[1] / fn, accel[2] / fn
        o0 += gain * (f1 * up2 - f2 * up1)
        o1 += gain * (f2 * up0 - f0 * up2)
        o2 += gain * (f0 * up1 - f1 * up0)
    angle = math.sqrt(o0 ** 2 + o1 ** 2 + o2 ** 2) * dt
    if angle > 0.0:
        a = quaternion.axis_angle(o0, o1, o2, angle)
        r = quaternion.product(q[0], q[1], q[2], q[3], a[0], a[1], a[2], a[3])
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


