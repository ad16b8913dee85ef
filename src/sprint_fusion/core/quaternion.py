"""The few quaternion operations of the per-sample path, in plain floats: the same results as
transforms3d (test_attitude_geodesy checks them against it) at a fraction of the cost, which
matters at 400 Hz. Quaternions are (w, x, y, z), body → ENU."""

from __future__ import annotations

import math

import numpy as np


def to_matrix(q) -> np.ndarray:
    w, x, y, z = (float(c) for c in q)
    n = w * w + x * x + y * y + z * z
    s = 2.0 / n if n > 0.0 else 0.0
    wx, wy, wz = s * w * x, s * w * y, s * w * z
    xx, xy, xz = s * x * x, s * x * y, s * x * z
    yy, yz, zz = s * y * y, s * y * z, s * z * z
    return np.array([[1.0 - (yy + zz), xy - wz, xz + wy],
                     [xy + wz, 1.0 - (xx + zz), yz - wx],
                     [xz - wy, yz + wx, 1.0 - (xx + yy)]])


def multiply(a, b) -> np.ndarray:
    w1, x1, y1, z1 = (float(c) for c in a)
    w2, x2, y2, z2 = (float(c) for c in b)
    return np.array([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
                     w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
                     w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2])


def from_axis_angle(axis, angle: float) -> np.ndarray:
    ax, ay, az = (float(c) for c in axis)
    norm = math.sqrt(ax * ax + ay * ay + az * az)
    s = math.sin(angle / 2.0) / norm
    return np.array([math.cos(angle / 2.0), ax * s, ay * s, az * s])


def yaw(q) -> float:
    """Yaw (rad) of the static x-y-z (roll, pitch, yaw) decomposition — transforms3d's 'sxyz'."""
    w, x, y, z = (float(c) for c in q)
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


def about_vertical(angle: float) -> np.ndarray:
    """Rotation by `angle` (rad) about the ENU up axis."""
    return np.array([math.cos(angle / 2.0), 0.0, 0.0, math.sin(angle / 2.0)])


def from_roll_pitch(roll: float, pitch: float) -> np.ndarray:
    """transforms3d's euler2quat(roll, pitch, 0, 'sxyz')."""
    cr, sr = math.cos(roll / 2.0), math.sin(roll / 2.0)
    cp, sp = math.cos(pitch / 2.0), math.sin(pitch / 2.0)
    return np.array([cr * cp, sr * cp, cr * sp, -sr * sp])
