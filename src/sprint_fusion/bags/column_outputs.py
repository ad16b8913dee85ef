"""The graph's messages for a block of chain rows, built in columns: what outputs.py builds one
message at a time (and the live nodes publish), as CDR bytes packed from the row table — the same
topics, the same fields, each message where its stage ran. Templates come from msgs.py's own
builders, so constants (frames, unknown variances, REP-145 markers) are theirs."""

from __future__ import annotations

import math

import numpy as np

from .. import msgs, outputs, topics
from ..core.columns import Col
from ..core.kf2 import measured_velocity
from ..core.samples import UNKNOWN_VARIANCE, FixType, GnssFix
from ..core.yaw_bias import provisional_variance
from . import record_pack
from .cdr_pack import COV3, Packer
from .chunk_writer import HEAD, Group

HORIZONTAL_VARIANCE = getattr(provisional_variance, "py_func", provisional_variance)  # plain: on columns
F8, I4, U4 = "<f8", "<i4", "<u4"
STAMP = {"sec": ("header.stamp.sec", I4), "nanosec": ("header.stamp.nanosec", U4)}
D2R = math.radians(1.0) ** 2


def stamps(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sec, nanosec, ns) of float seconds, as msgs.stamp_to_ns splits them."""
    sec = np.floor(t)
    ns = sec.astype(np.int64) * 1_000_000_000 + np.rint((t - sec) * 1e9).astype(np.int64)
    return ns // 1_000_000_000, ns % 1_000_000_000, ns


def _kept(rows: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """rows[mask] — rows itself where every row is kept (a block once every stage runs: no copy of
    the whole table for each topic)."""
    return rows if mask.all() else rows[mask]


def _covariance(prefix: str, entries) -> dict:
    return {f"c{k}": (f"{prefix}[{k}]", F8) for k in entries}


class ColumnOutputs:
    """Packers for every topic a chain row, a fix or the smoother publishes; `connection(topic,
    msgtype)` gives the writer's connection for an absolute topic, or None when it is not written."""

    def __init__(self, store, params, namespace: str, connection):
        types = msgs.bag_types(store)
        self.store, self.types, self.namespace, self.connection = store, types, namespace, connection
        self.deferred = record_pack.compiled()  # else numpy packs each topic's block (plain Python kernels)
        self.r_imu = float(params["axis.r_imu"])
        self.velocity = bool(params["gnss.velocity"])
        twist = "geometry_msgs/msg/TwistWithCovarianceStamped"
        self.speed = Packer(store, twist, msgs.speed_msg(types, 1.0, 1.0, 1.0),
                            {**STAMP, "v": ("twist.twist.linear.x", F8), "c0": ("twist.covariance[0]", F8)})
        self.point = Packer(store, "geometry_msgs/msg/PointStamped", msgs.track_point_msg(types, 1.0, 1.0),
                            {**STAMP, "x": ("point.x", F8)})
        accel = "geometry_msgs/msg/AccelWithCovarianceStamped"
        self.accel = Packer(store, accel, msgs.accel_msg(types, 1.0, np.ones(3), np.eye(3)),
                            {**STAMP, **{a: (f"accel.accel.linear.{a}", F8) for a in "xyz"},
                             **_covariance("accel.covariance", (0, 7, 14))})
        self.yaw = Packer(store, "sensor_msgs/msg/Imu", msgs.yaw_msg(types, 1.0, 10.0, 1.0, 1.0, 1.0),
                          {**STAMP, "qw": ("orientation.w", F8), "qz": ("orientation.z", F8),
                           "yaw_var": ("orientation_covariance[8]", F8), "rate": ("angular_velocity.z", F8),
                           "rate_var": ("angular_velocity_covariance[8]", F8)})
        odometry = {**STAMP, **{f"p{a}": (f"pose.pose.position.{a}", F8) for a in "xyz"},
                    **{f"v{a}": (f"twist.twist.linear.{a}", F8) for a in "xyz"},
                    **{f"pc{k}": (f"pose.covariance[{k}]", F8) for k in (0, 7, 14)},
                    **{f"vc{k}": (f"twist.covariance[{k}]", F8) for k in (0, 7, 14)}}
        self.odometry = Packer(store, "nav_msgs/msg/Odometry",
                               msgs.odometry_msg(types, 1.0, np.ones(3), np.ones(3), np.ones(3), np.ones(3)), odometry)
        pose = "geometry_msgs/msg/PoseWithCovarianceStamped"
        self.position = Packer(store, pose, msgs.position_msg(types, 1.0, np.ones(3), np.ones((3, 3))),
                               {**STAMP, **{a: (f"pose.pose.position.{a}", F8) for a in "xyz"},
                                **_covariance("pose.covariance", COV3)})
        fix = GnssFix(1.0, 0.0, 0.0, 0.0, np.ones((3, 3)), FixType.RTK_FIXED, np.ones(3), np.ones((3, 3)))
        self.gnss_velocity = Packer(store, twist, msgs.gnss_velocity_msg(types, fix),
                                    {**STAMP, **{a: (f"twist.twist.linear.{a}", F8) for a in "xyz"},
                                     **_covariance("twist.covariance", COV3)})

    def _group(self, topic: str, packer: Packer, t: np.ndarray, **columns) -> Group | None:
        """None when the topic is not written (replay --topics)."""
        connection = self.connection(topics.resolve(topic, self.namespace), topics.TYPES[topic])
        if connection is None:
            return None
        sec, nanosec, ns = stamps(t)
        if self.deferred:  # written by the chunk writer straight into its chunks, in one pass
            return Group.deferred(connection, ns, packer, packer.fields(len(t), sec=sec, nanosec=nanosec, **columns))
        return Group.with_room(connection, ns, packer.pack(len(t), HEAD, sec=sec, nanosec=nanosec, **columns))

    def rows(self, rows: np.ndarray) -> list[Group]:
        """What outputs.chain_outputs gives for each row, topic by topic in the order the stages
        publish (a stable merge by time then keeps that order within one sample)."""
        out = []
        kf2 = _kept(rows, rows[:, Col.kf2_updated] == 1.0)
        if len(kf2):
            t = kf2[:, Col.t]
            out += [self._group(topics.KF2_SPEED, self.speed, t, v=kf2[:, Col.kf2_speed], c0=kf2[:, Col.kf2_speed_var]),
                    self._group(topics.KF2_DISTANCE, self.point, t, x=kf2[:, Col.kf2_distance])]
        kf5 = _kept(rows, rows[:, Col.kf5_updated] == 1.0)
        if not len(kf5):
            return out
        out.append(self._accel_enu(kf5))
        aligned = _kept(kf5, ~np.isnan(kf5[:, Col.yaw]))
        if len(aligned):
            out += [self._yaw(topics.YAW, aligned, Col.yaw, Col.yaw_var, Col.yaw_rate, Col.yaw_rate_var),
                    self._yaw(topics.YAW_BIAS, aligned, Col.bias, Col.bias_var, Col.bias_rate, Col.bias_rate_var)]
        for i, axis in enumerate(topics.AXES):
            on = _kept(kf5, ~np.isnan(kf5[:, Col.kf5_east + i]))
            if len(on):
                out += self._axis(on, i, axis)
        moving = _kept(kf5, ~np.isnan(kf5[:, Col.kf5_east]) & ~np.isnan(kf5[:, Col.kf5_north]))
        if len(moving):
            out += self._speed(moving)
        return out

    def _accel_enu(self, kf5: np.ndarray) -> Group:
        accel = kf5[:, Col.accel_east:Col.accel_east + 3]
        missing = np.isnan(accel).any(axis=1)  # not measured before a heading: 0 with unknown variance
        accel = np.where(missing[:, None], 0.0, accel)
        var = np.where(missing, UNKNOWN_VARIANCE, self.r_imu)
        provisional = ~missing & np.isnan(kf5[:, Col.yaw])  # along a guessed direction
        horizontal = np.where(provisional, HORIZONTAL_VARIANCE(self.r_imu, accel[:, 0], accel[:, 1]), var)
        return self._group(topics.ACCEL_ENU, self.accel, kf5[:, Col.t], x=accel[:, 0], y=accel[:, 1], z=accel[:, 2],
                           c0=horizontal, c7=horizontal, c14=var)

    def _yaw(self, topic: str, rows: np.ndarray, value: Col, var: Col, rate: Col, rate_var: Col) -> Group:
        half = np.radians(rows[:, value]) / 2.0
        return self._group(topic, self.yaw, rows[:, Col.t], qw=np.cos(half), qz=np.sin(half),
                           yaw_var=rows[:, var] * D2R, rate=np.radians(rows[:, rate]), rate_var=rows[:, rate_var] * D2R)

    def _axis(self, rows: np.ndarray, i: int, axis: str) -> list[Group]:
        n = len(rows)
        zero, unknown = np.zeros(n), np.full(n, UNKNOWN_VARIANCE)
        a = "xyz"
        position = {f"p{a[k]}": rows[:, Col.kf5_east + i] if k == i else zero for k in range(3)}
        velocity = {f"v{a[k]}": rows[:, Col.kf5_v_east + i] if k == i else zero for k in range(3)}
        pvar = {f"pc{7 * k}": rows[:, Col.kf5_east_var + i] if k == i else unknown for k in range(3)}
        vvar = {f"vc{7 * k}": rows[:, Col.kf5_v_east_var + i] if k == i else unknown for k in range(3)}
        accel = {a[k]: rows[:, Col.kf5_a_east + i] if k == i else zero for k in range(3)}
        avar = {f"c{7 * k}": rows[:, Col.kf5_a_east_var + i] if k == i else unknown for k in range(3)}
        t = rows[:, Col.t]
        return [self._group(topics.axis_state(axis), self.odometry, t, **position, **velocity, **pvar, **vvar),
                self._group(topics.axis_accel(axis), self.accel, t, **accel, **avar)]

    def _speed(self, rows: np.ndarray) -> list[Group]:
        t = rows[:, Col.t]

        def axes(first: Col, missing: float, name: str) -> dict:
            values = rows[:, first:first + 3]
            started = ~np.isnan(rows[:, Col.kf5_east:Col.kf5_east + 3])
            values = np.where(started, values, missing)
            keys = [f"{name}{a}" for a in "xyz"] if name in ("p", "v") else [f"{name}{7 * k}" for k in range(3)]
            return {key: values[:, k] for k, key in enumerate(keys)}

        return [self._group(topics.SPEED, self.speed, t, v=rows[:, Col.kf5_speed], c0=rows[:, Col.kf5_speed_var]),
                self._group(topics.ODOMETRY, self.odometry, t, **axes(Col.kf5_east, 0.0, "p"),
                            **axes(Col.kf5_v_east, 0.0, "v"), **axes(Col.kf5_east_var, UNKNOWN_VARIANCE, "pc"),
                            **axes(Col.kf5_v_east_var, UNKNOWN_VARIANCE, "vc"))]

    def fixes(self, placed: list[tuple[GnssFix, np.ndarray]]) -> list[Group]:
        """fusion/gnss_enu of each fix placed in the local frame, and its velocity where the axis
        filters take one (outputs.gnss_enu_output)."""
        if not placed:
            return []
        t = np.array([f.stamp for f, _ in placed])
        enu = np.array([e for _, e in placed], dtype=float)
        cov = np.array([f.position_covariance for f, _ in placed], dtype=float).reshape(-1, 9)
        out = [self._group(topics.GNSS_ENU, self.position, t, x=enu[:, 0], y=enu[:, 1], z=enu[:, 2],
                           **{f"c{k}": cov[:, j] for j, k in enumerate(COV3)})]
        measured = [f for f, _ in placed if self.velocity and measured_velocity(f)]
        if measured:
            v = np.array([f.velocity for f in measured], dtype=float)
            vcov = np.array([f.velocity_covariance for f in measured], dtype=float).reshape(-1, 9)
            at = np.array([f.stamp for f in measured])
            out.append(self._group(topics.GNSS_ENU_VELOCITY, self.gnss_velocity, at, x=v[:, 0], y=v[:, 1], z=v[:, 2],
                                   **{f"c{k}": vcov[:, j] for j, k in enumerate(COV3)}))
        return out

    def singles(self, items: list, log_ns: list[int] | None = None) -> list[Group]:
        """(topic, message) pairs built one by one (outputs.py), at their header stamps or `log_ns`."""
        groups = []
        for k, (topic, msg) in enumerate(items):
            at = log_ns[k] if log_ns is not None else msgs.stamp_to_ns(msgs.stamp_of(msg))
            connection = self.connection(topics.resolve(topic, self.namespace), topics.TYPES[topic])
            if connection is not None:
                groups += Group.of_bytes(connection, [at], [bytes(self.store.serialize_cdr(msg, topics.TYPES[topic]))])
        return groups

    def trials(self, results) -> list[Group]:
        """sprint/trial and sprint/splits of each finished trial, at its end (outputs.trial_outputs)."""
        items, at = [], []
        for tr in results:
            made = outputs.trial_outputs(self.types, tr, "/" + self.namespace.strip("/"))
            items += made
            at += [msgs.stamp_to_ns(tr.end)] * len(made)
        return self.singles(items, at)

    def smoothed(self, states: dict) -> list[Group]:
        """fusion/smoothed/speed and /distance (outputs.smoothed_outputs) at every smoothed sample."""
        t = np.asarray(states["t"], dtype=float)
        if not len(t):
            return []
        return [self._group(topics.SMOOTHED_SPEED, self.speed, t, v=states["smoothed_speed"],
                            c0=states["smoothed_speed_var"]),
                self._group(topics.SMOOTHED_DISTANCE, self.point, t, x=states["smoothed_distance"])]
