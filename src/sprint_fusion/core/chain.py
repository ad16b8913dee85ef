"""The IMU side of KF2 and KF5, in order, written once: chain_step for one sample, chain_run for a
block of any length (one sample live, thousands offline, in one compiled call).

Per sample: KF2's forward step; KF5's stages 1–3 (yaw, bias, alignment); the east, north and up
filters take the aligned acceleration; the speed filter takes √(v_N² + v_E²). Each sample gives a
row of named columns (columns.Col): the fused state and what each stage publishes at that sample.
The GNSS side is plain Python (fusion.SprintFusion._gnss): a fix comes once per 20–80 IMU samples.
"""

from __future__ import annotations

from collections import namedtuple

from . import kalman as kf
from .cj_fuser import acceleration_step
from .columns import Col, write_align, write_axis, write_direct_speed, write_kf2, write_speed
from .jit import jit
from .kf2 import forward_step
from .samples import UNKNOWN_VARIANCE
from .speed import speed_step
from .yaw_bias import align_step, provisional_variance

# The chain's state: KF2's IMU side (kf2.Forward) and KF5's (kf5.Kf5Record), shared with the
# Kf2 and Kf5 objects that take the GNSS side.
Chain = namedtuple("Chain", "kf2 kf5")


@jit(nrt=False)
def chain_step(c, t, accel, gyro, orientation, has_orientation, row) -> int:
    """One IMU sample through every stage; row gets its columns. TIME_BACK if a stamp lies before
    a filter's time (the timeline orders samples, so that is a bug, not data)."""
    row[Col.t] = t
    code = forward_step(c.kf2, t, accel, gyro, orientation, has_orientation)
    if code == kf.TIME_BACK:
        return kf.TIME_BACK
    write_kf2(row, c.kf2.track, code == kf.UPDATED)
    k5 = c.kf5
    code = align_step(k5.align, t, accel, gyro, orientation, has_orientation,
                      row[Col.accel_east:Col.accel_east + 3], row[Col.aligned_qw:Col.aligned_qw + 4])
    if code == kf.TIME_BACK:
        return kf.TIME_BACK
    write_align(row, k5.align, code)
    measured = code == kf.UPDATED or code == kf.PROVISIONAL
    updated = measured or k5.unaligned
    axes, histories, r_axis = k5.axes, k5.histories, k5.r_axis  # indexed by constants below: a tuple
    # indexed by a loop variable is copied whole (~0.4 µs an access, a quarter of the chain's time)
    if updated:  # unaligned: an acceleration not measured (0, variance unknown) moves the filters to t
        a0, r0 = _axis_input(row, 0, r_axis, code, measured)
        a1, r1 = _axis_input(row, 1, r_axis, code, measured)
        a2, r2 = _axis_input(row, 2, r_axis, code, measured)
        if (acceleration_step(axes[0], histories[0], r_axis, t, a0, r0) == kf.TIME_BACK
                or acceleration_step(axes[1], histories[1], r_axis, t, a1, r1) == kf.TIME_BACK
                or acceleration_step(axes[2], histories[2], r_axis, t, a2, r2) == kf.TIME_BACK):
            return kf.TIME_BACK
        east, north = axes[0], axes[1]
        both = kf.started(north) and kf.started(east)
        filtered = both and not k5.speed_direct
        if filtered and speed_step(k5.speed, k5.r_speed, t, north.x[1], east.x[1]) == kf.TIME_BACK:
            return kf.TIME_BACK
    row[Col.kf5_updated] = 1.0 if updated else 0.0
    write_axis(row, 0, axes[0])
    write_axis(row, 1, axes[1])
    write_axis(row, 2, axes[2])
    if k5.speed_direct:
        write_direct_speed(row)
    else:
        write_speed(row, k5.speed)
    return kf.UPDATED


@jit(nrt=False)
def _axis_input(row, i, r_axis, code, measured):
    """What axis filter i takes at this sample: the aligned acceleration and its variance, as
    fusion/accel_enu carries them."""
    a, r = (row[Col.accel_east + i], r_axis) if measured else (0.0, UNKNOWN_VARIANCE)
    if code == kf.PROVISIONAL and i < 2:
        r = provisional_variance(r, row[Col.accel_east], row[Col.accel_east + 1])
    return a, r


@jit(nrt=False)
def chain_run(c, stamps, accel, gyro, orientation, has_orientation, rows) -> int:
    """chain_step over a block of samples in stamp order; rows[k] for sample k."""
    for k in range(stamps.shape[0]):
        if chain_step(c, stamps[k], accel[k], gyro[k], orientation[k], has_orientation[k], rows[k]) == kf.TIME_BACK:
            return kf.TIME_BACK
    return kf.UPDATED
