"""KF2 and KF5 over a run of IMU samples in one compiled call.

Offline, between two GNSS epochs there is nothing but IMU samples (20 at 400 Hz / 20 Hz), and
each goes through the same stages the per-sample classes (and so the live nodes) run —
forward_step, align_step, acceleration_step × 3, speed_step — on the same state arrays. Doing
the run in one call takes Python out of the per-sample path; the results are those of
SprintFusion's per-sample path to the bit (test_fusion_blocks.py).
"""

from __future__ import annotations

import math

from . import kalman_kernels as kk
from .cj_fuser import acceleration_step
from .jit import jit
from .kalman_kernels import TIME_BACK, UPDATED
from .kf2 import forward_step
from .speed import speed_step
from .yaw_bias import align_step

EAST, NORTH, UP = range(3)


@jit
def imu_run(kf2, kf5, axes, r_axis, speed, stamps, accel, gyro, orientation, has_orientation, rows,
            last_accel, last_q) -> int:
    """rows[k] = fusion.COLUMNS after sample k. Returns whether the last sample was aligned
    (its ENU acceleration and orientation in last_accel, last_q), or TIME_BACK if a stamp lies
    before a filter's time (the caller orders samples, so this is a bug, not data)."""
    nan = math.nan
    aligned = False
    for k in range(stamps.shape[0]):
        t = stamps[k]
        if forward_step(kf2[0], kf2[1], kf2[2], t, accel[k], gyro[k], orientation[k], has_orientation[k]) == TIME_BACK:
            return TIME_BACK
        code = align_step(kf5[0], kf5[1], kf5[2], kf5[3], kf5[4], kf5[5], kf5[6], t, accel[k], gyro[k],
                          orientation[k], has_orientation[k], last_accel, last_q)
        if code == TIME_BACK:
            return TIME_BACK
        aligned = code == UPDATED
        if aligned:
            for i in range(3):
                if acceleration_step(axes[i], r_axis, t, last_accel[i]) == TIME_BACK:
                    return TIME_BACK
            north, east = axes[NORTH], axes[EAST]
            both = kk.started(north[2]) and kk.started(east[2])
            if both and speed_step(speed[0], speed[1], speed[2], t, north[0][1], east[0][1]) == TIME_BACK:
                return TIME_BACK
        row = rows[k]
        row[0] = t
        for i in range(3):
            f = axes[i]
            on = kk.started(f[2])
            row[1 + i] = f[0][0] if on else nan
            row[4 + i] = f[0][1] if on else nan
        sp = speed[0]
        on = kk.started(sp[2])
        row[7] = sp[0][0] if on else nan
        row[8] = sp[1][0, 0] if on else nan
        yaw, bias = kf5[1], kf5[2]
        row[9] = yaw[0][0] if aligned else nan
        row[10] = bias[0][0] if aligned else nan
        cj = kf2[1]
        on = kk.started(cj[2])
        for i in range(3):
            row[11 + i] = cj[0][i] if on else nan
    return 1 if aligned else 0


def run_args(kf2, kf5) -> tuple:
    """The chain's state and settings as imu_run takes them (before the sample arrays)."""
    axes = tuple(kf5.axes[name].filter.args for name in ("east", "north", "up"))
    r_axis = kf5.axes["east"].r_imu
    speed = kf5.speed
    return kf2.args, kf5.yaw_bias.args, axes, r_axis, (speed.filter.args, speed.r, float(speed.filter.p0))
