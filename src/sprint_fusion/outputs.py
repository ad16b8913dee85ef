"""What each graph stage publishes, built in one place: the live nodes publish these lists and
the offline replay writes them, so a replayed bag holds the messages the graph would send.

Each function returns [(relative topic, message)] for one processing step.
"""

from __future__ import annotations

import math

import numpy as np

from . import msgs, topics
from .core.columns import Col
from .core.kf2 import measured_velocity
from .core.samples import FixType, GnssFix
from .core.yaw_bias import provisional_variance
from .msgs import UNKNOWN_VARIANCE
from .sprint.quality import BRIDGED, UNUSABLE, USABLE


def yaw_bias_outputs(types, row, accel_cov, wanted=None) -> list:
    """fusion/accel_enu of a row (columns.Col) — an acceleration not measured (before a heading,
    kf5.before_heading 'gnss') as 0 with unknown variance, so the axis filters move to its time; a
    provisional one with its direction's uncertainty (yaw_bias.provisional_variance) —
    and, where it was aligned, fusion/yaw and fusion/yaw_bias. `wanted(topic)`: build only those
    (a live node skips what nobody listens to); default all."""
    t = float(row[Col.t])
    accel = row[Col.accel_east:Col.accel_east + 3]
    if np.isnan(accel).any():
        accel, accel_cov = np.zeros(3), np.eye(3) * UNKNOWN_VARIANCE
    elif np.isnan(row[Col.yaw]):  # provisional: along a guessed direction
        accel_cov = accel_cov.copy()
        accel_cov[0, 0] = accel_cov[1, 1] = provisional_variance(accel_cov[0, 0], accel[0], accel[1])
    out = [(topics.ACCEL_ENU, msgs.accel_msg(types, t, accel, accel_cov))] if _wanted(wanted, topics.ACCEL_ENU) else []
    if np.isnan(row[Col.yaw]):
        return out
    if _wanted(wanted, topics.YAW):
        out.append((topics.YAW, msgs.yaw_msg(types, t, float(row[Col.yaw]), float(row[Col.yaw_var]),
                                             float(row[Col.yaw_rate]), float(row[Col.yaw_rate_var]))))
    if _wanted(wanted, topics.YAW_BIAS):
        out.append((topics.YAW_BIAS, msgs.yaw_msg(types, t, float(row[Col.bias]), float(row[Col.bias_var]),
                                                  float(row[Col.bias_rate]), float(row[Col.bias_rate_var]))))
    return out


def _wanted(wanted, topic: str) -> bool:
    return wanted is None or wanted(topic)


def datum_output(types, fix: GnssFix, datum) -> list:
    lat, lon, alt = datum
    origin = GnssFix(fix.stamp, lat, lon, alt, np.zeros((3, 3)), FixType.RTK_FIXED)
    return [(topics.DATUM, msgs.navsatfix_msg(types, origin, topics.ENU_FRAME))]


def gnss_enu_output(types, fix: GnssFix, enu, velocity: bool = False) -> list:
    """fusion/gnss_enu: the fix in the local frame, at its stamp less the latency; with `velocity`
    (gnss.velocity: the axis filters take it) also fusion/gnss_enu/velocity."""
    out = [(topics.GNSS_ENU, msgs.position_msg(types, fix.stamp, enu, fix.position_covariance))]
    if velocity and measured_velocity(fix):
        out.append((topics.GNSS_ENU_VELOCITY, msgs.gnss_velocity_msg(types, fix)))
    return out


def axis_outputs(types, row, axis: str, wanted=None) -> list:
    """fusion/axis/AXIS and its accel, from the axis filter's columns of the row (`wanted`: as
    yaw_bias_outputs)."""
    i = topics.AXES.index(axis)
    t = float(row[Col.t])
    out = []
    if _wanted(wanted, topics.axis_state(axis)):
        position, velocity = np.zeros(3), np.zeros(3)
        pvar, vvar = np.full(3, UNKNOWN_VARIANCE), np.full(3, UNKNOWN_VARIANCE)
        position[i], velocity[i] = row[Col.kf5_east + i], row[Col.kf5_v_east + i]
        pvar[i], vvar[i] = row[Col.kf5_east_var + i], row[Col.kf5_v_east_var + i]
        out.append((topics.axis_state(axis), msgs.odometry_msg(types, t, position, velocity, pvar, vvar)))
    if _wanted(wanted, topics.axis_accel(axis)):
        accel = np.zeros(3)
        accel[i] = row[Col.kf5_a_east + i]
        acov = np.diag(np.full(3, UNKNOWN_VARIANCE))
        acov[i, i] = row[Col.kf5_a_east_var + i]
        out.append((topics.axis_accel(axis), msgs.accel_msg(types, t, accel, acov)))
    return out


def speed_outputs(types, row) -> list:
    """fusion/speed, and fusion/odometry from the axis filters' columns (an axis not started:
    zeros with unknown variance)."""
    t = float(row[Col.t])
    started = ~np.isnan(row[Col.kf5_east:Col.kf5_east + 3])

    def axes(first: Col, missing: float) -> list[float]:
        return [float(row[first + i]) if started[i] else missing for i in range(3)]

    return [(topics.SPEED, msgs.speed_msg(types, t, float(row[Col.kf5_speed]), float(row[Col.kf5_speed_var]))),
            (topics.ODOMETRY, msgs.odometry_msg(types, t, axes(Col.kf5_east, 0.0), axes(Col.kf5_v_east, 0.0),
                                                axes(Col.kf5_east_var, UNKNOWN_VARIANCE),
                                                axes(Col.kf5_v_east_var, UNKNOWN_VARIANCE)))]


def kf2_outputs(types, row) -> list:
    t = float(row[Col.t])
    return [(topics.KF2_SPEED, msgs.speed_msg(types, t, float(row[Col.kf2_speed]), float(row[Col.kf2_speed_var]))),
            (topics.KF2_DISTANCE, msgs.track_point_msg(types, t, float(row[Col.kf2_distance])))]


def smoothed_outputs(types, t: float, speed: float, variance: float, distance: float) -> list:
    """fusion/smoothed/speed and fusion/smoothed/distance (replay: KF2 smoothed over the recording)."""
    return [(topics.SMOOTHED_SPEED, msgs.speed_msg(types, t, speed, variance)),
            (topics.SMOOTHED_DISTANCE, msgs.track_point_msg(types, t, distance))]


def chain_outputs(types, row, accel_cov) -> list:
    """Everything the graph publishes for one IMU sample, in the order the stages run: KF2, then
    yaw/bias/alignment, the axis filters and the speed filter — each only where it ran."""
    out = kf2_outputs(types, row) if row[Col.kf2_updated] == 1.0 else []
    if row[Col.kf5_updated] != 1.0:  # the alignment gave the axis filters nothing: no KF5 stage ran
        return out
    out += yaw_bias_outputs(types, row, accel_cov)
    for i, axis in enumerate(topics.AXES):
        if not np.isnan(row[Col.kf5_east + i]):
            out += axis_outputs(types, row, axis)
    if not np.isnan(row[Col.kf5_east]) and not np.isnan(row[Col.kf5_north]):
        out += speed_outputs(types, row)
    return out


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


