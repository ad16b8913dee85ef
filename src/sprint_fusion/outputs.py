"""What each graph stage publishes, built in one place: the live nodes publish these lists and
the offline replay writes them, so a replayed bag holds the messages the graph would send.

Each function returns [(relative topic, message)] for one processing step.
"""

from __future__ import annotations

import numpy as np

from . import msgs, topics
from .core.samples import FixType, GnssFix
from .msgs import UNKNOWN_VARIANCE


def yaw_bias_outputs(types, stamp: float, estimator, aligned, accel_cov) -> list:
    yaw, bias = estimator.yaw.filter, estimator.bias.filter
    return [
        (topics.ACCEL_ENU, msgs.accel_msg(types, stamp, aligned.accel_enu, accel_cov)),
        (topics.YAW, msgs.yaw_msg(types, stamp, aligned.yaw, aligned.yaw_variance, float(yaw.x[1]),
                                  float(yaw.P[1, 1]))),
        (topics.YAW_BIAS, msgs.yaw_msg(types, stamp, aligned.bias, aligned.bias_variance, float(bias.x[1]),
                                       float(bias.P[1, 1]))),
    ]


def datum_output(types, fix: GnssFix, datum) -> list:
    lat, lon, alt = datum
    origin = GnssFix(fix.stamp, lat, lon, alt, np.zeros((3, 3)), FixType.RTK_FIXED)
    return [(topics.DATUM, msgs.navsatfix_msg(types, origin, topics.ENU_FRAME))]


def gnss_enu_output(types, fix: GnssFix, enu) -> list:
    return [(topics.GNSS_ENU, msgs.position_msg(types, fix.stamp, enu, fix.position_covariance))]


def axis_outputs(types, stamp: float, axis: str, state, covariance) -> list:
    i = topics.AXES.index(axis)
    position, velocity = np.zeros(3), np.zeros(3)
    pvar, vvar = np.full(3, UNKNOWN_VARIANCE), np.full(3, UNKNOWN_VARIANCE)
    position[i], velocity[i], pvar[i], vvar[i] = state[0], state[1], covariance[0, 0], covariance[1, 1]
    accel = np.zeros(3)
    accel[i] = state[2]
    acov = np.diag(np.full(3, UNKNOWN_VARIANCE))
    acov[i, i] = covariance[2, 2]
    return [(topics.axis_state(axis), msgs.odometry_msg(types, stamp, position, velocity, pvar, vvar)),
            (topics.axis_accel(axis), msgs.accel_msg(types, stamp, accel, acov))]


def speed_outputs(types, stamp: float, estimate, axes: dict) -> list:
    """fusion/speed, and fusion/odometry from the axis states {axis: (d, v, var d, var v)}."""
    missing = (0.0, 0.0, UNKNOWN_VARIANCE, UNKNOWN_VARIANCE)
    rows = [axes.get(a, missing) for a in topics.AXES]
    return [(topics.SPEED, msgs.speed_msg(types, stamp, estimate.speed, estimate.variance)),
            (topics.ODOMETRY, msgs.odometry_msg(types, stamp, [r[0] for r in rows], [r[1] for r in rows],
                                                [r[2] for r in rows], [r[3] for r in rows]))]


def kf2_outputs(types, stamp: float, state, covariance) -> list:
    return [(topics.KF2_SPEED, msgs.speed_msg(types, stamp, float(state[1]), float(covariance[1, 1]))),
            (topics.KF2_DISTANCE, msgs.track_point_msg(types, stamp, float(state[0])))]
