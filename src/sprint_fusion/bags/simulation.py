"""A simulated scenario as a rosbag2: the driver topics exactly as the drivers publish them,
plus truth topics, each message logged at the time it would reach the host."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from transforms3d.euler import euler2mat, euler2quat

from .. import msgs, topics
from ..core.samples import FixType, GnssFix
from ..sim.scenario import Scenario


def _shift(sample, start: float):
    return dataclasses.replace(sample, stamp=start + sample.stamp)


def _record(namespace: str, topic: str, log_ns: int, msg):
    return topics.resolve(topic, namespace), topics.TYPES[topic], log_ns, msg


def sensor_records(sc: Scenario, types, namespace: str = ""):
    """(topic, msgtype, log_ns, message) of the IMU and GNSS topics."""
    sim, start = sc.simulated, sc.start_utc
    imu = sim.imu_model
    accel_var, gyro_var = imu.accel_sigma**2, imu.gyro_sigma**2
    tilt = math.radians(imu.tilt_noise) ** 2
    for s in sim.imu:
        s = _shift(s, start)
        # The AHRS's yaw error grows with its drift: reported as such, honestly.
        yaw_err = math.radians(abs(imu.yaw_offset) + abs(imu.yaw_drift) * (s.stamp - start))
        cov = np.diag([tilt, tilt, yaw_err**2])
        for topic, msg in msgs.imu_messages(types, s, topics.IMU_FRAME, accel_var, gyro_var, cov):
            yield _record(namespace, topic, msgs.stamp_to_ns(s.stamp), msg)
    for epoch in sim.epochs:
        fix: GnssFix = _shift(epoch.fix, start)
        log = msgs.stamp_to_ns(start + epoch.receive_time)
        for topic, msg in msgs.gnss_messages(types, fix, topics.GNSS_FRAME, topics.ENU_FRAME):
            yield _record(namespace, topic, log, msg)


def truth_records(sc: Scenario, types, namespace: str = ""):
    truth, start = sc.simulated.truth, sc.start_utc
    every = max(1, round((1.0 / sc.truth_rate) / (truth.t[1] - truth.t[0])))
    origin = sc.simulated.gnss_model.origin
    fix = GnssFix(start + truth.t[0], origin[0], origin[1], origin[2], np.zeros((3, 3)), FixType.RTK_FIXED)
    yield _record(namespace, topics.TRUTH_ORIGIN, msgs.stamp_to_ns(fix.stamp),
                  msgs.navsatfix_msg(types, fix, topics.ENU_FRAME))
    zero = msgs.vector3(types, (0, 0, 0))
    for i in range(0, len(truth.t), every):
        t = start + truth.t[i]
        log = msgs.stamp_to_ns(t)
        enu = msgs.header(types, t, topics.ENU_FRAME)
        R = euler2mat(*truth.euler[i], "sxyz")
        pose = types("geometry_msgs/msg/Pose")(position=msgs.point(types, truth.position[i]),
                                               orientation=msgs.quaternion(types, euler2quat(*truth.euler[i], "sxyz")))
        yield _record(namespace, topics.TRUTH_POSE, log, types("geometry_msgs/msg/PoseStamped")(header=enu, pose=pose))
        twist = types("geometry_msgs/msg/Twist")(linear=msgs.vector3(types, truth.velocity[i]),
                                                 angular=msgs.vector3(types, R @ truth.body_rate[i]))
        yield _record(namespace, topics.TRUTH_VELOCITY, log,
                      types("geometry_msgs/msg/TwistStamped")(header=enu, twist=twist))
        accel = types("geometry_msgs/msg/Accel")(linear=msgs.vector3(types, truth.acceleration[i]), angular=zero)
        yield _record(namespace, topics.TRUTH_ACCEL, log,
                      types("geometry_msgs/msg/AccelStamped")(header=enu, accel=accel))
        # the track frame: x = distance run along the path, z = height
        along = msgs.point(types, (truth.distance[i], 0.0, truth.position[i, 2]))
        yield _record(namespace, topics.TRUTH_TRACK, log, types("geometry_msgs/msg/PointStamped")(
            header=msgs.header(types, t, topics.TRACK_FRAME), point=along))


def simulation_records(sc: Scenario, types, namespace: str = "", truth: bool = True):
    """Every record in log-time order (stable: an epoch's GNSS messages keep their order)."""
    records = list(sensor_records(sc, types, namespace))
    if truth:
        records += truth_records(sc, types, namespace)
    records.sort(key=lambda r: r[2])
    return records
