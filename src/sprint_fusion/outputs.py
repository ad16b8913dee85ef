"""What each graph stage publishes, built in one place: the live nodes publish these lists and
the offline replay writes them, so a replayed bag holds the messages the graph would send.

Each function returns [(relative topic, message)] for one processing step.
"""

from __future__ import annotations

import math

import numpy as np

from . import msgs, topics
from .core.samples import FixType, GnssFix
from .msgs import UNKNOWN_VARIANCE
from .sprint.quality import BRIDGED, UNUSABLE, USABLE


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


# --- sprint_analyzer ------------------------------------------------------------------------
TRIAL_LEVEL = {USABLE: 0, BRIDGED: 1, UNUSABLE: 2}  # DiagnosticStatus OK / WARN / ERROR


def _rosbags(types) -> bool:
    """rosbags' message classes want numpy arrays for numeric sequences and ints for byte fields;
    rclpy's take lists and bytes."""
    return types("std_msgs/msg/Float64MultiArray").__module__.startswith("rosbags")


def trial_outputs(types, tr, namespace: str = "/") -> list:
    """sprint/trial: the trial as a diagnostic_msgs/DiagnosticStatus — level OK / WARN / ERROR for
    usable / bridged outage / unusable, the verdict and reasons as message, the numbers as
    key/values (units in the keys); sprint/splits: see splits_array."""
    values = {"onset [s]": f"{tr.onset:.3f}", "duration [s]": f"{tr.duration:.2f}",
              "cut off": str(tr.cut_off).lower(), "start signal": str(tr.start_signal).lower(),
              "RTK fixed share": f"{tr.quality.rtk_fixed_share:.3f}",
              "longest outage [s]": f"{tr.quality.longest_outage:.2f}",
              "median accuracy [m]": f"{tr.quality.median_accuracy:.3f}",
              "outlier share": f"{tr.quality.outlier_share:.3f}"}
    for name, e in tr.estimators.items():
        f = name.upper()
        values[f"{f} top speed [m/s]"] = f"{e.top_speed:.3f}"
        values[f"{f} top speed at [m]"] = f"{e.top_speed_distance:.2f}"
        values[f"{f} distance [m]"] = f"{e.distance:.2f}"
        for s in e.splits:
            values[f"{f} time at {s.distance:g} m [s]"] = f"{s.time:.3f}"
        if e.profile:
            values.update({f"{f} MSS [m/s]": f"{e.profile.mss:.3f}", f"{f} TAU [s]": f"{e.profile.tau:.3f}",
                           f"{f} MAC [m/s2]": f"{e.profile.mac:.3f}", f"{f} PMAX [W/kg]": f"{e.profile.pmax:.2f}"})
        if e.fv:
            values.update({f"{f} F0 [N]": f"{e.fv.F0:.1f}", f"{f} V0 [m/s]": f"{e.fv.V0:.3f}",
                           f"{f} Pmax [W]": f"{e.fv.Pmax:.1f}", f"{f} RFmax": f"{e.fv.RFmax:.3f}",
                           f"{f} DRF": f"{e.fv.Drf:.4f}"})
    level = TRIAL_LEVEL.get(tr.quality.verdict, 2)
    status = types("diagnostic_msgs/msg/DiagnosticStatus")(
        level=level if _rosbags(types) else bytes([level]),
        name=f"sprint trial {tr.index}", hardware_id=namespace,
        message=f"{tr.quality.verdict}: {'; '.join(tr.quality.reasons)}",
        values=[types("diagnostic_msgs/msg/KeyValue")(key=k, value=v) for k, v in values.items()])
    return [(topics.SPRINT_TRIAL, status), (topics.SPRINT_SPLITS, splits_array(types, tr))]


def splits_array(types, tr):
    """std_msgs/Float64MultiArray, rows (distance m, KF5 time s, KF2 time s) from the onset, NaN
    where a filter has none."""
    times = {name: {s.distance: s.time for s in e.splits} for name, e in tr.estimators.items()}
    marks = sorted({d for by_distance in times.values() for d in by_distance})
    data = []
    for d in marks:
        data += [d, times.get("kf5", {}).get(d, math.nan), times.get("kf2", {}).get(d, math.nan)]
    dim = types("std_msgs/msg/MultiArrayDimension")
    layout = types("std_msgs/msg/MultiArrayLayout")(
        dim=[dim(label="splits", size=len(marks), stride=3 * len(marks)),
             dim(label="distance_kf5_kf2", size=3, stride=3)], data_offset=0)
    return types("std_msgs/msg/Float64MultiArray")(layout=layout, data=np.array(data, dtype=np.float64)
                                                   if _rosbags(types) else data)


