"""Angle conventions: ENU yaw (REP-103: 0 = east, counter-clockwise) vs compass heading."""

from __future__ import annotations

import math

import numpy as np

from . import quaternion
from .jit import jit


@jit(nrt=False)
def wrap_deg(angle) -> float:
    """Angle in degrees wrapped to (−180, 180]."""
    a = np.fmod(angle + 180.0, 360.0)
    if a <= 0.0:
        a += 360.0
    return a - 180.0


def heading_to_yaw(heading_deg: float) -> float:
    """Compass heading (clockwise from north) → ENU yaw (counter-clockwise from east)."""
    return wrap_deg(90.0 - heading_deg)


@jit(nrt=False)
def quat_yaw_deg(q) -> float:
    """Yaw of a body→ENU quaternion (w, x, y, z), degrees."""
    return math.degrees(quaternion.yaw(q))


@jit(inline=True)
def yaw_rotated(q, yaw_deg):
    """q rotated about the local vertical by yaw_deg (applied in the ENU frame), as a 4-tuple."""
    c = quaternion.vertical(math.radians(yaw_deg))
    return quaternion.product(c[0], c[1], c[2], c[3], q[0], q[1], q[2], q[3])
