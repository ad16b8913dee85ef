"""horizontal_velocity_fuser: KF5 stage 5, the CA filter on √(v_N² + v_E²) → fusion/speed; and
fusion/odometry, the local position and velocity of the three axis filters in one message."""

from __future__ import annotations

import sys

import numpy as np
from diagnostic_msgs.msg import DiagnosticStatus
from nav_msgs.msg import Odometry

from .. import msgs, outputs, topics
from ..core.columns import WIDTH, Col, write_direct_speed, write_speed
from ..core.speed import HorizontalSpeedFilter
from .fusion_base import STAGE_QOS, FusionNode
from .runner import run_node


class SpeedFuserNode(FusionNode):
    sensor_inputs = False
    stage_streams = ("imu",)  # the axis filters' states, one row per IMU step

    def __init__(self, node_name: str = "horizontal_velocity_fuser", **kwargs):
        super().__init__(node_name, **kwargs)

    def setup_node(self) -> None:
        self.filter = HorizontalSpeedFilter(self.fp)
        self.direct = self.fp["speed.mode"] == "direct"
        self.speed_pub = self.create_publisher(self.types(topics.TYPES[topics.SPEED]), topics.SPEED, STAGE_QOS)
        self.odom_pub = self.create_publisher(self.types(topics.TYPES[topics.ODOMETRY]), topics.ODOMETRY, STAGE_QOS)
        self.pending: dict[int, np.ndarray] = {}  # rows (chain.Col) of one stamp, filled by axis
        self.last = None
        for axis in topics.AXES:
            self.create_subscription(Odometry, topics.axis_state(axis), self._on_axis(axis), STAGE_QOS)

    def _on_axis(self, axis: str):
        i = topics.AXES.index(axis)

        def on(msg) -> None:
            stamp = msgs.stamp_of(msg)
            key = msgs.stamp_to_ns(stamp)
            p, v = msg.pose.pose.position, msg.twist.twist.linear
            row = self.pending.get(key)
            if row is None:
                row = self.pending[key] = np.full(WIDTH, np.nan)
                row[Col.t] = stamp
            queued = not np.isnan(row[Col.kf5_east]) and not np.isnan(row[Col.kf5_north])
            row[Col.kf5_east + i], row[Col.kf5_v_east + i] = (p.x, p.y, p.z)[i], (v.x, v.y, v.z)[i]
            row[Col.kf5_east_var + i] = msg.pose.covariance[7 * i]
            row[Col.kf5_v_east_var + i] = msg.twist.covariance[7 * i]
            if not queued and not np.isnan(row[Col.kf5_east]) and not np.isnan(row[Col.kf5_north]):
                self.ingest(stamp, "imu", (stamp, key))
            while self.pending:  # rows never completed (an axis silent) go after 2 s: oldest first
                oldest = next(iter(self.pending))  # (stamps arrive in order: the dict keeps it)
                if oldest >= key - 2_000_000_000:
                    break
                del self.pending[oldest]

        return on

    def reset_filters(self) -> None:
        self.filter.reset()

    def on_sample(self, kind: str, item) -> None:
        stamp, key = item
        row = self.pending.pop(key)
        if self.direct:
            write_direct_speed(row)
        else:
            self.filter.update(stamp, row[Col.kf5_v_north], row[Col.kf5_v_east])
            write_speed(row, self.filter.filter)
        self.last = float(row[Col.kf5_speed])
        (_, speed), (_, odometry) = outputs.speed_outputs(self.reused(), row)
        self.speed_pub.publish(speed)
        self.odom_pub.publish(odometry)

    def status(self):
        if self.last is None:
            return DiagnosticStatus.WARN, "waiting for the axis filters", {}
        return DiagnosticStatus.OK, "ok", {"speed [m/s]": f"{self.last:.2f}"}


def main(args=None) -> int:
    return run_node(SpeedFuserNode, args)


if __name__ == "__main__":
    sys.exit(main())
