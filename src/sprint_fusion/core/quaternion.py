"""The few quaternion operations of the per-sample path, (w, x, y, z), body → ENU: the same
results as transforms3d (test_attitude_geodesy checks them against it), compiled with the rest of
the IMU step. They take and give parts and tuples, not arrays: the step allocates nothing, so it
runs without numba's reference counts (core/jit.py)."""

from __future__ import annotations

import math

import numpy as np

from .jit import jit


@jit(inline=True)
def matrix_of(w, x, y, z):
    """The rotation matrix of (w, x, y, z), row by row, as a 9-tuple: no array, so the per-sample
    path allocates nothing and runs without reference counts (core/jit.py)."""
    n = w * w + x * x + y * y + z * z
    s = 2.0 / n if n > 0.0 else 0.0
    wx, wy, wz = s * w * x, s * w * y, s * w * z
    xx, xy, xz = s * x * x, s * x * y, s * x * z
    yy, yz, zz = s * y * y, s * y * z, s * z * z
    return (1.0 - (yy + zz), xy - wz, xz + wy,
            xy + wz, 1.0 - (xx + zz), yz - wx,
            xz - wy, yz + wx, 1.0 - (xx + yy))


@jit
def to_matrix(q) -> np.ndarray:
    m = matrix_of(q[0], q[1], q[2], q[3])
    R = np.empty((3, 3))
    R[0, 0], R[0, 1], R[0, 2] = m[0], m[1], m[2]
    R[1, 0], R[1, 1], R[1, 2] = m[3], m[4], m[5]
    R[2, 0], R[2, 1], R[2, 2] = m[6], m[7], m[8]
    return R


@jit(inline=True)
def product(w1, x1, y1, z1, w2, x2, y2, z2):
    """a·b of two quaternions given by their parts, as a 4-tuple."""
    return (w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2)


@jit(inline=True)
def axis_angle(a0, a1, a2, angle):
    """The rotation by `angle` about the axis (a0, a1, a2), as a 4-tuple."""
    norm = math.sqrt(a0 * a0 + a1 * a1 + a2 * a2)
    s = math.sin(angle / 2.0) / norm
    return (math.cos(angle / 2.0), a0 * s, a1 * s, a2 * s)


@jit(nrt=False)
def yaw(q) -> float:
    """Yaw (rad) of the static x-y-z (roll, pitch, yaw) decomposition — transforms3d's 'sxyz'."""
    w, x, y, z = q[0], q[1], q[2], q[3]
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


@jit(inline=True)
def vertical(angle):
    """Rotation by `angle` (rad) about the ENU up axis, as a 4-tuple."""
    return (math.cos(angle / 2.0), 0.0, 0.0, math.sin(angle / 2.0))


@jit(inline=True)
def roll_pitch(roll, pitch):
    """transforms3d's euler2quat(roll, pitch, 0, 'sxyz'), as a 4-tuple."""
    cr, sr = math.cos(roll / 2.0), math.sin(roll / 2.0)
    cp, sp = math.cos(pitch / 2.0), math.sin(pitch / 2.0)
    return (cr * cp, sr * cp, cr * sp, -sr * sp)
