"""Conversions between plain samples and ROS messages, in one place.

rclpy message classes and rosbags' typestore dataclasses have the same names and fields, so
the same functions build and read both: writers take a `types` resolver (`rclpy_types()` or
`bag_types(typestore)`) and pass every field explicitly (rosbags classes have no defaults).

Conventions (REP-103/105/145): IMU specific force in m/s² (gravity included) and rates in
rad/s in the sensor frame; orientation_covariance[0] = −1 when there is no orientation;
GNSS covariances in m² in ENU; yaw in ENU (0 = east, counter-clockwise).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from transforms3d.euler import euler2quat

from .core.samples import UNKNOWN_VARIANCE, FixType, GnssFix, ImuSample
from .core.timeline import GnssEpochs

# NavSatStatus cannot tell RTK fixed from float: both are GBAS fixes. gnss/fix_type keeps it.
NAVSAT_STATUS = {
    FixType.NO_FIX: -1, FixType.DEAD_RECKONING: 0, FixType.SINGLE: 0, FixType.DGNSS: 2,
    FixType.RTK_FLOAT: 2, FixType.RTK_FIXED: 2,
}
SERVICE_GPS_GLONASS_GALILEO_BEIDOU = 1 | 2 | 4 | 8
COVARIANCE_TYPE_UNKNOWN, COVARIANCE_TYPE_DIAGONAL_KNOWN, COVARIANCE_TYPE_KNOWN = 0, 2, 3

Types = Callable[[str], type]


def rclpy_types() -> Types:
    import functools
    import importlib

    @functools.cache  # resolved once: the live nodes build ~15 messages per IMU sample
    def get(name: str) -> type:
        pkg, _, cls = name.split("/")
        return getattr(importlib.import_module(f"{pkg}.msg"), cls)

    return get


def bag_types(typestore) -> Types:
    return lambda name: typestore.types[name]


class ReusedMessages:
    """For a publisher of many messages a second (the live nodes: ~15 per IMU sample): each call
    gives a Types resolver for building one batch of messages (one builder call, e.g.
    outputs.axis_outputs), whose classes hand out the same instances batch after batch — the n-th
    Vector3 of this batch is the n-th Vector3 of the last one — their fields set anew. rclpy
    serialises a message when it is published, so an instance may be refilled after that; what
    costs is constructing one (every nested default is built, then replaced): a quarter of the
    graph's CPU. Use one per node, for messages published before the next batch is built."""

    def __init__(self, types: Types):
        self.types = types
        self.pool: dict[str, list] = {}

    def __call__(self) -> Types:
        used: dict[str, int] = {}

        def resolve(name: str):
            cls, instances = self.types(name), self.pool.setdefault(name, [])

            def make(**fields):
                n = used.get(name, 0)
                used[name] = n + 1
                if n == len(instances):
                    instances.append(cls(**fields))
                    return instances[n]
                msg = instances[n]
                for field, value in fields.items():
                    setattr(msg, field, value)
                return msg

            return make

        return resolve


# --- building -----------------------------------------------------------------------------

def stamp_to_ns(t: float) -> int:
    """Float seconds → integer ns, exactly invertible by stamp_of: the whole seconds are split off
    first (t·1e9 of a Unix time would round at 256 ns)."""
    sec = math.floor(t)
    return sec * 1_000_000_000 + int(round((t - sec) * 1e9))


def time_msg(types: Types, t: float):
    ns = stamp_to_ns(t)
    return types("builtin_interfaces/msg/Time")(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def header(types: Types, t: float, frame_id: str):
    return types("std_msgs/msg/Header")(stamp=time_msg(types, t), frame_id=frame_id)


def vector3(types: Types, v) -> Any:
    return types("geometry_msgs/msg/Vector3")(x=float(v[0]), y=float(v[1]), z=float(v[2]))


def point(types: Types, v) -> Any:
    return types("geometry_msgs/msg/Point")(x=float(v[0]), y=float(v[1]), z=float(v[2]))


def quaternion(types: Types, q) -> Any:
    return types("geometry_msgs/msg/Quaternion")(w=float(q[0]), x=float(q[1]), y=float(q[2]), z=float(q[3]))


def _cov(values, n: int) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(n * n)


def imu_msg(types: Types, s: ImuSample, frame_id: str, accel_var: float, gyro_var: float,
            orientation_cov=None):
    """sensor_msgs/Imu; without an orientation, orientation_covariance[0] = −1 (REP-145)."""
    if s.orientation is None:
        q, ocov = (1.0, 0.0, 0.0, 0.0), np.array([-1.0] + [0.0] * 8)
    else:
        q, ocov = s.orientation, _cov(orientation_cov, 3)
    return types("sensor_msgs/msg/Imu")(
        header=header(types, s.stamp, frame_id), orientation=quaternion(types, q), orientation_covariance=ocov,
        angular_velocity=vector3(types, s.gyro), angular_velocity_covariance=_cov(np.eye(3) * gyro_var, 3),
        linear_acceleration=vector3(types, s.accel),
        linear_acceleration_covariance=_cov(np.eye(3) * accel_var, 3))


def navsatfix_msg(types: Types, fix: GnssFix, frame_id: str):
    status = types("sensor_msgs/msg/NavSatStatus")(status=NAVSAT_STATUS[fix.fix_type],
                                                   service=SERVICE_GPS_GLONASS_GALILEO_BEIDOU)
    known = fix.fix_type != FixType.NO_FIX
    cov = fix.position_covariance if known else np.zeros((3, 3))
    diagonal = known and np.count_nonzero(cov - np.diag(np.diag(cov))) == 0
    ctype = COVARIANCE_TYPE_DIAGONAL_KNOWN if diagonal else COVARIANCE_TYPE_KNOWN if known else COVARIANCE_TYPE_UNKNOWN
    return types("sensor_msgs/msg/NavSatFix")(
        header=header(types, fix.stamp, frame_id), status=status, latitude=float(fix.latitude),
        longitude=float(fix.longitude), altitude=float(fix.altitude), position_covariance=_cov(cov, 3),
        position_covariance_type=ctype)


def gnss_velocity_msg(types: Types, fix: GnssFix, frame_id: str = "enu"):
    """geometry_msgs/TwistWithCovarianceStamped: ENU velocity; the angular part is not measured."""
    cov = np.diag([0.0, 0.0, 0.0] + [UNKNOWN_VARIANCE] * 3)
    cov[:3, :3] = fix.velocity_covariance
    twist = types("geometry_msgs/msg/Twist")(linear=vector3(types, fix.velocity), angular=vector3(types, (0, 0, 0)))
    return types("geometry_msgs/msg/TwistWithCovarianceStamped")(
        header=header(types, fix.stamp, frame_id),
        twist=types("geometry_msgs/msg/TwistWithCovariance")(twist=twist, covariance=_cov(cov, 6)))


def heading_msg(types: Types, fix: GnssFix, frame_id: str):
    """Heading of motion as sensor_msgs/Imu (as the u-blox drivers publish heading): yaw in ENU
    (REP-103: 0 = east, counter-clockwise) with its variance; roll/pitch unknown; no rates or
    accelerations (their covariance[0] = −1)."""
    yaw = math.radians(90.0 - fix.heading)
    acc = math.radians(fix.heading_accuracy if fix.heading_accuracy is not None else 180.0)
    ocov = np.diag([UNKNOWN_VARIANCE, UNKNOWN_VARIANCE, acc * acc])
    none = np.array([-1.0] + [0.0] * 8)
    zero = vector3(types, (0, 0, 0))
    return types("sensor_msgs/msg/Imu")(
        header=header(types, fix.stamp, frame_id), orientation=quaternion(types, euler2quat(0.0, 0.0, yaw, "sxyz")),
        orientation_covariance=_cov(ocov, 3), angular_velocity=zero, angular_velocity_covariance=none,
        linear_acceleration=zero, linear_acceleration_covariance=none.copy())


def fix_type_msg(types: Types, fix_type: FixType):
    """std_msgs/UInt8 carrying FixType (0 no fix … 4 RTK float, 5 RTK fixed)."""
    return types("std_msgs/msg/UInt8")(data=int(fix_type))


# --- reading ------------------------------------------------------------------------------

def stamp_of(msg) -> float:
    return msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9


def _vec(v) -> np.ndarray:
    return np.array([v.x, v.y, v.z], dtype=float)


def imu_sample(msg) -> ImuSample:
    q = None
    if msg.orientation_covariance[0] != -1.0:
        o = msg.orientation
        q = np.array([o.w, o.x, o.y, o.z], dtype=float)
    return ImuSample(stamp_of(msg), _vec(msg.linear_acceleration), _vec(msg.angular_velocity), q)


def fix_part(fix_msg, fix_type: FixType | None = None) -> GnssFix:
    """The GnssFix of gnss/fix alone (velocity and heading come in their own messages). Without
    gnss/fix_type the type is inferred from NavSatStatus (RTK unknown: DGNSS)."""
    if fix_type is None:
        fix_type = {-1: FixType.NO_FIX, 0: FixType.SINGLE, 1: FixType.DGNSS, 2: FixType.DGNSS}.get(
            int(fix_msg.status.status), FixType.SINGLE)
    cov = np.asarray(fix_msg.position_covariance, dtype=float).reshape(3, 3)
    return GnssFix(stamp_of(fix_msg), fix_msg.latitude, fix_msg.longitude, fix_msg.altitude, cov, fix_type)


def add_velocity_part(epochs: GnssEpochs, msg) -> None:
    """gnss/vel (ENU velocity with covariance) into the epoch of its stamp."""
    epochs.velocity(stamp_to_ns(stamp_of(msg)), _vec(msg.twist.twist.linear),
                    np.asarray(msg.twist.covariance, dtype=float).reshape(6, 6)[:3, :3])


def add_heading_part(epochs: GnssEpochs, msg) -> None:
    """gnss/heading (ENU yaw quaternion, variance in covariance[8]) into the epoch of its stamp, as
    a compass heading of motion and its 1σ accuracy in degrees."""
    o = msg.orientation
    yaw = math.atan2(2.0 * (o.w * o.z + o.x * o.y), 1.0 - 2.0 * (o.y * o.y + o.z * o.z))
    epochs.heading(stamp_to_ns(stamp_of(msg)), (90.0 - math.degrees(yaw)) % 360.0,
                   math.degrees(math.sqrt(max(msg.orientation_covariance[8], 0.0))))


def gnss_fix(fix_msg, velocity_msg=None, heading=None, fix_type: FixType | None = None) -> GnssFix:
    """A GnssFix from gnss/fix and, when present, gnss/vel, gnss/heading and gnss/fix_type of the
    same epoch."""
    epochs = GnssEpochs()
    if velocity_msg is not None:
        add_velocity_part(epochs, velocity_msg)
    if heading is not None:
        add_heading_part(epochs, heading)
    return epochs.complete(stamp_to_ns(stamp_of(fix_msg)), fix_part(fix_msg, fix_type))


# --- one epoch / one sample as the drivers publish it ---------------------------------------

def gnss_messages(types: Types, fix: GnssFix, frame_id: str = "gnss_link", velocity_frame: str = "enu"):
    """(relative topic, message) of one receiver epoch, in publish order: gnss/fix last, so its
    companions (same header stamp) are out when it arrives."""
    from . import topics

    out = [(topics.GNSS_FIX_TYPE, fix_type_msg(types, fix.fix_type))]
    if fix.fix_type != FixType.NO_FIX and fix.velocity is not None:
        out.append((topics.GNSS_VEL, gnss_velocity_msg(types, fix, velocity_frame)))
        if fix.heading is not None:
            out.append((topics.GNSS_HEADING, heading_msg(types, fix, frame_id)))
    out.append((topics.GNSS_FIX, navsatfix_msg(types, fix, frame_id)))
    return out


def imu_messages(types: Types, s: ImuSample, frame_id: str, accel_var: float, gyro_var: float,
                 orientation_cov=None):
    """imu/data_raw always; imu/data too when the device reports an orientation."""
    from . import topics

    raw = ImuSample(s.stamp, s.accel, s.gyro, None)
    out = [(topics.IMU_RAW, imu_msg(types, raw, frame_id, accel_var, gyro_var))]
    if s.orientation is not None:
        out.append((topics.IMU_DATA, imu_msg(types, s, frame_id, accel_var, gyro_var, orientation_cov)))
    return out


# --- the fusion graph's messages ---------------------------------------------------------------

_NONE = [-1.0] + [0.0] * 8  # REP-145: "this part is not provided"


def yaw_msg(types: Types, t: float, yaw_deg: float, yaw_var: float, rate_deg: float | None = None,
            rate_var: float | None = None, frame_id: str = "enu"):
    """A yaw with its variance as sensor_msgs/Imu (the convention of gnss/heading): ENU yaw
    quaternion, variance in covariance[8] (rad²); roll/pitch unknown; a yaw rate when given."""
    d2r = math.radians(1.0) ** 2
    ocov = np.diag([UNKNOWN_VARIANCE, UNKNOWN_VARIANCE, yaw_var * d2r])
    if rate_deg is None:
        rate, rcov = (0.0, 0.0, 0.0), np.array(_NONE)
    else:
        rate = (0.0, 0.0, math.radians(rate_deg))
        rcov = np.diag([UNKNOWN_VARIANCE, UNKNOWN_VARIANCE, rate_var * d2r]).reshape(9)
    q = euler2quat(0.0, 0.0, math.radians(yaw_deg), "sxyz")
    return types("sensor_msgs/msg/Imu")(
        header=header(types, t, frame_id), orientation=quaternion(types, q), orientation_covariance=_cov(ocov, 3),
        angular_velocity=vector3(types, rate), angular_velocity_covariance=rcov,
        linear_acceleration=vector3(types, (0, 0, 0)), linear_acceleration_covariance=np.array(_NONE))


def accel_msg(types: Types, t: float, accel, linear_cov, frame_id: str = "enu"):
    cov = np.diag([0.0, 0.0, 0.0] + [UNKNOWN_VARIANCE] * 3)
    cov[:3, :3] = linear_cov
    a = types("geometry_msgs/msg/Accel")(linear=vector3(types, accel), angular=vector3(types, (0, 0, 0)))
    with_cov = types("geometry_msgs/msg/AccelWithCovariance")(accel=a, covariance=_cov(cov, 6))
    return types("geometry_msgs/msg/AccelWithCovarianceStamped")(header=header(types, t, frame_id), accel=with_cov)


def position_msg(types: Types, t: float, enu, cov3, frame_id: str = "enu"):
    """geometry_msgs/PoseWithCovarianceStamped of a position; its orientation is not estimated."""
    cov = np.diag([0.0, 0.0, 0.0] + [UNKNOWN_VARIANCE] * 3)
    cov[:3, :3] = cov3
    pose = types("geometry_msgs/msg/Pose")(position=point(types, enu), orientation=quaternion(types, (1, 0, 0, 0)))
    with_cov = types("geometry_msgs/msg/PoseWithCovariance")(pose=pose, covariance=_cov(cov, 6))
    return types("geometry_msgs/msg/PoseWithCovarianceStamped")(header=header(types, t, frame_id), pose=with_cov)


def odometry_msg(types: Types, t: float, position, velocity, position_var, velocity_var, frame_id: str = "enu",
                 child_frame_id: str = "enu"):
    """nav_msgs/Odometry with position and velocity (both in `frame_id`; the twist is given in
    the ENU frame, so child_frame_id is 'enu' too), diagonal covariances; orientation and angular
    rate are not estimated (variance 1e6)."""
    pcov = np.diag(list(position_var) + [UNKNOWN_VARIANCE] * 3)
    vcov = np.diag(list(velocity_var) + [UNKNOWN_VARIANCE] * 3)
    pose = types("geometry_msgs/msg/Pose")(position=point(types, position), orientation=quaternion(types, (1, 0, 0, 0)))
    twist = types("geometry_msgs/msg/Twist")(linear=vector3(types, velocity), angular=vector3(types, (0, 0, 0)))
    return types("nav_msgs/msg/Odometry")(
        header=header(types, t, frame_id), child_frame_id=child_frame_id,
        pose=types("geometry_msgs/msg/PoseWithCovariance")(pose=pose, covariance=_cov(pcov, 6)),
        twist=types("geometry_msgs/msg/TwistWithCovariance")(twist=twist, covariance=_cov(vcov, 6)))


def speed_msg(types: Types, t: float, speed: float, variance: float, frame_id: str = "track"):
    """geometry_msgs/TwistWithCovarianceStamped: linear.x = horizontal speed along the direction of
    motion (frame 'track'), covariance[0] its variance; nothing else is estimated (1e6)."""
    cov = np.diag([variance] + [UNKNOWN_VARIANCE] * 5)
    twist = types("geometry_msgs/msg/Twist")(linear=vector3(types, (speed, 0, 0)), angular=vector3(types, (0, 0, 0)))
    with_cov = types("geometry_msgs/msg/TwistWithCovariance")(twist=twist, covariance=_cov(cov, 6))
    return types("geometry_msgs/msg/TwistWithCovarianceStamped")(header=header(types, t, frame_id), twist=with_cov)


def track_point_msg(types: Types, t: float, distance: float, frame_id: str = "track"):
    """geometry_msgs/PointStamped in the track frame: x = distance along the path."""
    return types("geometry_msgs/msg/PointStamped")(header=header(types, t, frame_id),
                                                   point=point(types, (distance, 0.0, 0.0)))
