"""yaw_bias_estimator: KF5 stages 1–3 (yaw filter, bias filter, alignment) and the local frame.

Subscribes the IMU and the GNSS epochs; publishes fusion/yaw and fusion/yaw_bias (with
variance), fusion/accel_enu (gravity-free acceleration in ENU) and, for every fix,
fusion/gnss_enu (its position in the local frame) — the axis filters' two inputs — and the
datum once on fusion/datum (latched).
"""

from __future__ import annotations

import sys

import numpy as np
from diagnostic_msgs.msg import DiagnosticStatus
from rclpy.qos import DurabilityPolicy, QoSProfile

from .. import outputs, topics
from ..core import kalman as kf
from ..core.geodesy import LocalFrame
from ..core.samples import GnssFix, ImuSample
from ..core.yaw_bias import YawBiasEstimator
from .fusion_base import STAGE_QOS, FusionNode
from .runner import run_node

DATUM_QOS = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)


class YawBiasNode(FusionNode):
    def __init__(self, node_name: str = "yaw_bias_estimator", **kwargs):
        super().__init__(node_name, **kwargs)

    def setup_node(self) -> None:
        self.estimator = YawBiasEstimator(self.fp)
        self.frame = LocalFrame.from_params(self.fp)
        self.accel_cov = np.eye(3) * self.fp["axis.r_imu"]
        names = (topics.YAW, topics.YAW_BIAS, topics.ACCEL_ENU, topics.GNSS_ENU, topics.GNSS_ENU_VELOCITY)
        self.pubs = {t: self.create_publisher(self.types(topics.TYPES[t]), t, STAGE_QOS) for t in names}
        self.datum_pub = self.create_publisher(self.types(topics.TYPES[topics.DATUM]), topics.DATUM, DATUM_QOS)
        self.subscribe_sensors()

    def reset_filters(self) -> None:
        self.estimator.reset()
        self.frame.reset()

    def on_sample(self, kind: str, item) -> None:
        if kind == "gnss":
            self.on_gnss(item)
        else:
            self.on_imu(item)

    def on_imu(self, s: ImuSample) -> None:
        row = self.estimator.on_imu(s)
        if row is not None:
            self.publish(outputs.yaw_bias_outputs(self.reused(), row, self.accel_cov, self.wanted))

    def on_gnss(self, fix: GnssFix) -> None:
        new_datum = self.frame.datum is None
        enu = self.frame.to_enu(fix)
        if new_datum:
            self.publish(outputs.datum_output(self.types, fix, self.frame.datum))
        self.estimator.on_gnss(fix)
        self.publish(outputs.gnss_enu_output(self.types, fix, enu, bool(self.fp["gnss.velocity"])))

    def publish(self, items) -> None:
        for topic, msg in items:
            (self.datum_pub if topic == topics.DATUM else self.pubs[topic]).publish(msg)

    def status(self):
        level, message = self.input_status()
        if not kf.is_started(self.estimator.yaw):
            missing = level != DiagnosticStatus.OK
            return DiagnosticStatus.WARN, message if missing else "yaw unknown: waiting for motion (GNSS heading)", {}
        values = {"yaw [deg]": f"{self.estimator.yaw.x[0]:.1f}", "yaw bias [deg]": f"{self.estimator.bias.x[0]:.1f}"}
        return level, message, values


def main(args=None) -> int:
    return run_node(YawBiasNode, args)


if __name__ == "__main__":
    sys.exit(main())
