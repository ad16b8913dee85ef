"""axis_filter: the published constant-jerk filter on one axis (parameter `axis`: east, north or
up), fusing the local GNSS coordinate with the aligned acceleration; publishes its state
(fusion/axis/AXIS: nav_msgs/Odometry, displacement and velocity on that axis; and
fusion/axis/AXIS/accel: the acceleration), each with its variance."""

from __future__ import annotations

import math
import sys
import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticStatus
from geometry_msgs.msg import AccelWithCovarianceStamped, PoseWithCovarianceStamped, TwistWithCovarianceStamped

from .. import msgs, outputs, topics
from ..core.columns import WIDTH, Col, write_axis
from ..core.kf5 import axis_filter
from ..core.params import Param
from .fusion_base import STAGE_QOS, FusionNode
from .runner import run_node

AXIS_PARAM = (Param("axis", "east", "Which axis this filter estimates", choices=topics.AXES),)


class AxisFilterNode(FusionNode):
    sensor_inputs = False

    def __init__(self, node_name: str = "axis_filter", **kwargs):
        super().__init__(node_name, AXIS_PARAM, **kwargs)

    def setup_node(self) -> None:
        self.axis = self.p["axis"]
        self.i = topics.AXES.index(self.axis)
        self.filter = axis_filter(self.fp)
        names = (topics.axis_state(self.axis), topics.axis_accel(self.axis))
        self.pubs = {t: self.create_publisher(self.types(topics.TYPES[t]), t, STAGE_QOS) for t in names}
        self.inputs = [
            self.create_subscription(PoseWithCovarianceStamped, topics.GNSS_ENU, self._on_position, STAGE_QOS),
            self.create_subscription(TwistWithCovarianceStamped, topics.GNSS_ENU_VELOCITY, self._on_velocity,
                                     STAGE_QOS),
            self.create_subscription(AccelWithCovarianceStamped, topics.ACCEL_ENU, self._on_accel, STAGE_QOS)]
        self.in_publish_order: bool | None = None  # known once the graph's nodes are connected

    def _on_position(self, msg) -> None:
        self.presence.seen("GNSS", time.monotonic())
        p = msg.pose.pose.position
        coordinate = (p.x, p.y, p.z)[self.i]
        sigma = math.sqrt(max(msg.pose.covariance[7 * self.i], 0.0))
        stamp = msgs.stamp_of(msg)
        self.ingest(stamp, "gnss", (stamp, coordinate, sigma))

    def _on_velocity(self, msg) -> None:
        v = msg.twist.twist.linear
        stamp = msgs.stamp_of(msg)  # after the position of its stamp ("gnss" < "gnss_vel"), as offline
        self.ingest(stamp, "gnss_vel", (stamp, (v.x, v.y, v.z)[self.i], msg.twist.covariance[7 * self.i]))

    def _on_accel(self, msg) -> None:
        self.presence.seen("IMU", time.monotonic())
        a = msg.accel.accel.linear
        stamp = msgs.stamp_of(msg)
        variance = msg.accel.covariance[7 * self.i]  # axis.r_imu, or unknown: not measured (a prediction)
        if self.in_publish_order is None:
            self.in_publish_order = self.in_order(self.inputs)
        if self.in_publish_order:
            # the yaw/bias node published every fix placed at or before this sample (its stamp +
            # time.fix_delay) before the sample: none can still come, so the sample need not wait
            # for the next one (which that node publishes only once it uses it)
            self.timeline.reorder.passed(("gnss", "gnss_vel"), stamp)
        self.ingest(stamp, "imu", (stamp, (a.x, a.y, a.z)[self.i], variance))

    def reset_filters(self) -> None:
        self.filter.reset()

    def on_sample(self, kind: str, item) -> None:
        if kind == "gnss":
            self.filter.position(*item)
            return
        if kind == "gnss_vel":
            self.filter.velocity(*item)
            return
        stamp, accel, variance = item
        if not self.filter.acceleration(stamp, accel, variance):
            return
        row = np.full(WIDTH, np.nan)
        row[Col.t] = stamp
        write_axis(row, self.i, self.filter.filter)
        for topic, msg in outputs.axis_outputs(self.reused(), row, self.axis, self.wanted):
            self.pubs[topic].publish(msg)

    def status(self):
        level, message = self.input_status()
        if not self.filter.initialized:
            missing = level != DiagnosticStatus.OK
            return DiagnosticStatus.WARN, message if missing else "waiting for a first position", {}
        P = self.filter.covariance
        values = {"position σ [m]": f"{math.sqrt(P[0, 0]):.3f}", "velocity σ [m/s]": f"{math.sqrt(P[1, 1]):.3f}"}
        return level, message, values


def main(args=None) -> int:
    return run_node(AxisFilterNode, args)


if __name__ == "__main__":
    sys.exit(main())
