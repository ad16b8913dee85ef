"""horizontal_velocity_fuser: KF5 stage 5, the CA filter on √(v_N² + v_E²) → fusion/speed; and
fusion/odometry, the local position and velocity of the three axis filters in one message."""

from __future__ import annotations

import sys

from diagnostic_msgs.msg import DiagnosticStatus
from nav_msgs.msg import Odometry

from .. import msgs, outputs, topics
from ..core.speed import HorizontalSpeedFilter
from .fusion_base import STAGE_QOS, FusionNode
from .runner import run_node


class SpeedFuserNode(FusionNode):
    window_param = "time.stage_window"

    def __init__(self, node_name: str = "horizontal_velocity_fuser", **kwargs):
        super().__init__(node_name, **kwargs)

    def setup_node(self) -> None:
        self.filter = HorizontalSpeedFilter(self.fp)
        self.speed_pub = self.create_publisher(self.types(topics.TYPES[topics.SPEED]), topics.SPEED, STAGE_QOS)
        self.odom_pub = self.create_publisher(self.types(topics.TYPES[topics.ODOMETRY]), topics.ODOMETRY, STAGE_QOS)
        self.pending: dict[int, dict[str, object]] = {}
        self.last = None
        for axis in topics.AXES:
            self.create_subscription(Odometry, topics.axis_state(axis), self._on_axis(axis), STAGE_QOS)

    def _on_axis(self, axis: str):
        i = topics.AXES.index(axis)

        def on(msg) -> None:
            key = msgs.stamp_to_ns(msgs.stamp_of(msg))
            p, v = msg.pose.pose.position, msg.twist.twist.linear
            entry = self.pending.setdefault(key, {})
            entry[axis] = ((p.x, p.y, p.z)[i], (v.x, v.y, v.z)[i], msg.pose.covariance[7 * i],
                           msg.twist.covariance[7 * i])
            if "north" in entry and "east" in entry and "queued" not in entry:
                entry["queued"] = True
                self.ingest(msgs.stamp_of(msg), "imu", key)
            for old in [k for k in self.pending if k < key - 2_000_000_000]:  # never completed
                del self.pending[old]

        return on

    def reset_filters(self) -> None:
        self.filter.reset()

    def on_sample(self, kind: str, key, stamp: float) -> None:
        entry = self.pending.pop(key, {})
        north, east = entry["north"], entry["east"]
        estimate = self.filter.update(stamp, north[1], east[1])
        self.last = estimate
        (_, speed), (_, odometry) = outputs.speed_outputs(
            self.types, stamp, estimate, {a: entry[a] for a in topics.AXES if a in entry})
        self.speed_pub.publish(speed)
        self.odom_pub.publish(odometry)

    def status(self):
        if self.last is None:
            return DiagnosticStatus.WARN, "waiting for the axis filters", {}
        return DiagnosticStatus.OK, "ok", {"speed [m/s]": f"{self.last.speed:.2f}"}


def main(args=None) -> int:
    return run_node(SpeedFuserNode, args)


if __name__ == "__main__":
    sys.exit(main())
