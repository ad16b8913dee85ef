"""Topic names and types, described once (relative names: a namespace per athlete works).

Drivers publish the sensor topics; the simulator writes them (plus truth) into bags exactly
so; replay and the nodes read them. An epoch's gnss/fix_type, gnss/vel and gnss/heading carry
the same header stamp as its gnss/fix.
"""

from __future__ import annotations

GNSS_FIX = "gnss/fix"
GNSS_VEL = "gnss/vel"
GNSS_HEADING = "gnss/heading"
GNSS_FIX_TYPE = "gnss/fix_type"
IMU_RAW = "imu/data_raw"
IMU_DATA = "imu/data"

TRUTH_POSE = "truth/pose"
TRUTH_VELOCITY = "truth/velocity"
TRUTH_ACCEL = "truth/accel"
TRUTH_TRACK = "truth/track"
TRUTH_ORIGIN = "truth/origin"

# The fusion graph (KF5 stages and KF2); see graph.py for who publishes and subscribes what.
YAW = "fusion/yaw"
YAW_BIAS = "fusion/yaw_bias"
ACCEL_ENU = "fusion/accel_enu"
GNSS_ENU = "fusion/gnss_enu"
GNSS_ENU_VELOCITY = "fusion/gnss_enu/velocity"
DATUM = "fusion/datum"
SPEED = "fusion/speed"
ODOMETRY = "fusion/odometry"
KF2_SPEED = "fusion/kf2/speed"
KF2_DISTANCE = "fusion/kf2/distance"
SMOOTHED_SPEED = "fusion/smoothed/speed"  # offline only: replay
SMOOTHED_DISTANCE = "fusion/smoothed/distance"
SPRINT_START = "sprint/start"  # an external start signal: its header stamp is the start
SPRINT_TRIAL = "sprint/trial"
SPRINT_SPLITS = "sprint/splits"
AXES = ("east", "north", "up")


def axis_state(axis: str) -> str:
    return f"fusion/axis/{axis}"


def axis_accel(axis: str) -> str:
    return f"fusion/axis/{axis}/accel"


TYPES = {
    GNSS_FIX: "sensor_msgs/msg/NavSatFix",
    GNSS_VEL: "geometry_msgs/msg/TwistWithCovarianceStamped",
    GNSS_HEADING: "sensor_msgs/msg/Imu",
    GNSS_FIX_TYPE: "std_msgs/msg/UInt8",
    IMU_RAW: "sensor_msgs/msg/Imu",
    IMU_DATA: "sensor_msgs/msg/Imu",
    TRUTH_POSE: "geometry_msgs/msg/PoseStamped",
    TRUTH_VELOCITY: "geometry_msgs/msg/TwistStamped",
    TRUTH_ACCEL: "geometry_msgs/msg/AccelStamped",
    TRUTH_TRACK: "geometry_msgs/msg/PointStamped",
    TRUTH_ORIGIN: "sensor_msgs/msg/NavSatFix",
    YAW: "sensor_msgs/msg/Imu",
    YAW_BIAS: "sensor_msgs/msg/Imu",
    ACCEL_ENU: "geometry_msgs/msg/AccelWithCovarianceStamped",
    GNSS_ENU: "geometry_msgs/msg/PoseWithCovarianceStamped",
    GNSS_ENU_VELOCITY: "geometry_msgs/msg/TwistWithCovarianceStamped",
    DATUM: "sensor_msgs/msg/NavSatFix",
    SPEED: "geometry_msgs/msg/TwistWithCovarianceStamped",
    ODOMETRY: "nav_msgs/msg/Odometry",
    KF2_SPEED: "geometry_msgs/msg/TwistWithCovarianceStamped",
    KF2_DISTANCE: "geometry_msgs/msg/PointStamped",
    SMOOTHED_SPEED: "geometry_msgs/msg/TwistWithCovarianceStamped",
    SMOOTHED_DISTANCE: "geometry_msgs/msg/PointStamped",
    SPRINT_START: "std_msgs/msg/Header",
    SPRINT_TRIAL: "diagnostic_msgs/msg/DiagnosticStatus",
    SPRINT_SPLITS: "std_msgs/msg/Float64MultiArray",
    **{axis_state(a): "nav_msgs/msg/Odometry" for a in AXES},
    **{axis_accel(a): "geometry_msgs/msg/AccelWithCovarianceStamped" for a in AXES},
}

GNSS_TOPICS = (GNSS_FIX, GNSS_VEL, GNSS_HEADING, GNSS_FIX_TYPE)

# Frame ids (REP-105 style): sensor frames, the local level frame and the track frame.
GNSS_FRAME, IMU_FRAME, ENU_FRAME, TRACK_FRAME = "gnss_link", "imu_link", "enu", "track"


def resolve(topic: str, namespace: str = "") -> str:
    """Absolute topic name of a relative one under a namespace ('' or '/athlete1')."""
    ns = namespace.strip("/")
    return f"/{ns}/{topic}" if ns else f"/{topic}"
