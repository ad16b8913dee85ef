"""The chain's output as named columns (Col): one row per IMU sample, the fused state (the CSV's
COLUMNS) and what each stage publishes at that sample; outputs.py builds the graph's messages
from rows. The write_* functions fill a stage's columns from its filter records — the chain and
the per-stage live nodes use the same ones."""

from __future__ import annotations

import enum
import math

from . import kalman as kf
from .jit import jit

# The fused state, in the CSV's order: a filter's values once it has started, NaN before; yaw and
# bias NaN at samples the alignment did not run.
COLUMNS = ("t", "kf5_east", "kf5_north", "kf5_up", "kf5_v_east", "kf5_v_north", "kf5_v_up", "kf5_speed",
           "kf5_speed_var", "yaw", "bias", "kf2_distance", "kf2_speed", "kf2_accel")
# What the stages publish at the sample beyond that: KF2 updated (1) or not (0), its speed
# variance; KF5's axis and speed stages updated (1) or not (0); the aligned ENU acceleration and
# orientation (w, x, y, z) and the yaw and bias filters' variances and rates (NaN unless aligned);
# the axis filters' acceleration and variances.
STAGE_COLUMNS = ("kf2_updated", "kf2_speed_var", "kf5_updated",
                 "accel_east", "accel_north", "accel_up", "aligned_qw", "aligned_qx", "aligned_qy", "aligned_qz",
                 "yaw_var", "yaw_rate", "yaw_rate_var", "bias_var", "bias_rate", "bias_rate_var",
                 "kf5_a_east", "kf5_a_north", "kf5_a_up", "kf5_east_var", "kf5_north_var", "kf5_up_var",
                 "kf5_v_east_var", "kf5_v_north_var", "kf5_v_up_var", "kf5_a_east_var", "kf5_a_north_var",
                 "kf5_a_up_var", "kf2_jerk")
# KF2's whole covariance, row by row (what the offline smoother keeps of each step)
KF2_COVARIANCE = tuple(f"kf2_P{a}{b}" for a in range(4) for b in range(4))
Col = enum.IntEnum("Col", [(name, i) for i, name in enumerate(COLUMNS + STAGE_COLUMNS + KF2_COVARIANCE)])
KF2_STATE = [Col.kf2_distance, Col.kf2_speed, Col.kf2_accel, Col.kf2_jerk]
WIDTH = len(Col)

@jit(nrt=False)
def write_kf2(row, f, updated) -> None:
    on = kf.started(f)
    row[Col.kf2_distance] = f.x[0] if on else math.nan
    row[Col.kf2_speed] = f.x[1] if on else math.nan
    row[Col.kf2_accel] = f.x[2] if on else math.nan
    row[Col.kf2_jerk] = f.x[3] if on else math.nan
    row[Col.kf2_speed_var] = f.P[1, 1] if on else math.nan
    for a in range(4):
        for b in range(4):
            row[Col.kf2_P00 + 4 * a + b] = f.P[a, b] if on else math.nan
    row[Col.kf2_updated] = 1.0 if updated else 0.0


@jit(nrt=False)
def write_align(row, a, code) -> None:
    """Yaw and bias filters after stages 1–3 ran (code UPDATED), else NaN; the acceleration stays
    where the alignment gave one (UPDATED, PROVISIONAL), the aligned orientation where it ran."""
    nan = math.nan
    aligned = code == kf.UPDATED
    row[Col.yaw] = a.yaw.x[0] if aligned else nan
    row[Col.yaw_var] = a.yaw.P[0, 0] if aligned else nan
    row[Col.yaw_rate] = a.yaw.x[1] if aligned else nan
    row[Col.yaw_rate_var] = a.yaw.P[1, 1] if aligned else nan
    row[Col.bias] = a.bias.x[0] if aligned else nan
    row[Col.bias_var] = a.bias.P[0, 0] if aligned else nan
    row[Col.bias_rate] = a.bias.x[1] if aligned else nan
    row[Col.bias_rate_var] = a.bias.P[1, 1] if aligned else nan
    if not aligned and code != kf.PROVISIONAL:
        for k in range(3):
            row[Col.accel_east + k] = nan
    if not aligned:
        for k in range(4):
            row[Col.aligned_qw + k] = nan


@jit(nrt=False)
def write_axis(row, i, f) -> None:
    """Axis filter i (AXES order: east, north, up)."""
    on = kf.started(f)
    nan = math.nan
    row[Col.kf5_east + i] = f.x[0] if on else nan
    row[Col.kf5_v_east + i] = f.x[1] if on else nan
    row[Col.kf5_a_east + i] = f.x[2] if on else nan
    row[Col.kf5_east_var + i] = f.P[0, 0] if on else nan
    row[Col.kf5_v_east_var + i] = f.P[1, 1] if on else nan
    row[Col.kf5_a_east_var + i] = f.P[2, 2] if on else nan


@jit(nrt=False)
def write_speed(row, f) -> None:
    on = kf.started(f)
    row[Col.kf5_speed] = f.x[0] if on else math.nan
    row[Col.kf5_speed_var] = f.P[0, 0] if on else math.nan


@jit(nrt=False)
def write_direct_speed(row) -> None:
    """speed.mode 'direct': √(v_E² + v_N²) of the east and north filters' columns, its variance
    propagated to first order (NaN until both started). Like every magnitude of a noisy vector it
    reads a little high where the speed is within its noise (a standing athlete: ~5 cm/s); taking
    the noise off its square instead reads far too low at the speeds of a walk on coarse GNSS."""
    ve, vn = row[Col.kf5_v_east], row[Col.kf5_v_north]
    pe, pn = row[Col.kf5_v_east_var], row[Col.kf5_v_north_var]
    v = math.hypot(ve, vn)
    row[Col.kf5_speed] = v
    row[Col.kf5_speed_var] = (ve * ve * pe + vn * vn * pn) / (v * v) if v > 0.0 else 0.5 * (pe + pn)
