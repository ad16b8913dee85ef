"""The few quaternion operations of the per-sample path, on 4-arrays (w, x, y, z), body → ENU:
the same results as transforms3d (test_attitude_geodesy checks them against it), compiled with
the rest of the IMU step."""

from __future__ import annotations

import math

import numpy as np

from .jit import jit


@jit
def to_matrix(q) -> np.ndarray:
    w, x, y, z = q[0], q[1], q[2], q[3]
    n = w * w + x * x + y * y + z * z
    s = 2.0 / n if n > 0.0 else 0.0
    wx, wy, wz = s * w * x, s * w * y, s * w * z
    xx, xy, xz = s * x * x, s * x * y, s * x * z
    yy, yz, zz = s * y * y, s * y * z, s * z * z
    R = np.empty((3, 3))
    R[0, 0], R[0, 1], R[0, 2] = 1.0 - (yy + zz), xy - wz, xz + wy
    R[1, 0], R[1, 1], R[1, 2] = xy + wz, 1.0 - (xx + zz), yz - wx
    R[2, 0], R[2, 1], R[2, 2] = xz - wy, yz + wx, 1.0 - (xx + yy)
    return R


@jit
def multiply(a, b) -> np.ndarray:
    w1, x1, y1, z1 = a[0], a[1], a[2], a[3]
    w2, x2, y2, z2 = b[0], b[1], b[2], b[3]
    out = np.empty(4)
    out[0] = w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2
    out[1] = w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2
    out[2] = w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2
    out[3] = w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2
    return out


@jit
def from_axis_angle(axis, angle) -> np.ndarray:
    norm = math.sqrt(axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2])
    s = math.sin(angle / 2.0) / norm
    out = np.empty(4)
    out[0], out[1], out[2], out[3] = math.cos(angle / 2.0), axis[0] * s, axis[1] * s, axis[2] * s
    return out


@jit
def yaw(q) -> float:
    """Yaw (rad) of the static x-y-z (roll, pitch, yaw) decomposition — transforms3d's 'sxyz'."""
    w, x, y, z = q[0], q[1], q[2], q[3]
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


@jit
def about_vertical(angle) -> np.ndarray:
    """Rotation by `angle` (rad) about the ENU up axis."""
    out = np.zeros(4)
    out[0], out[3] = math.cos(angle / 2.0), math.sin(angle / 2.0)
    return out


@jit
def from_roll_pitch(roll, pitch) -> np.ndarray:
    """transforms3d's euler2quat(roll, pitch, 0, 'sxyz')."""
    cr, sr = math.cos(roll / 2.0), math.sin(roll / 2.0)
    cp, sp = math.cos(pitch / 2.0), math.sin(pitch / 2.0)
    out = np.empty(4)
    out[0], out[1], out[2], out[3] = cr * cp, sr * cp, cr * sp, -sr * sp
    return out
