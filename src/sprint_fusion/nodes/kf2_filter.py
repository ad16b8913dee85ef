"""kf2_filter: the published KF2 beside KF5 on the same inputs → fusion/kf2/speed (same type as
fusion/speed) and fusion/kf2/distance (distance along the track)."""

from __future__ import annotations

import sys

from diagnostic_msgs.msg import DiagnosticStatus

from .. import outputs, topics
from ..core.geodesy import LocalFrame
from ..core.kf2 import Kf2
from .fusion_base import STAGE_QOS, FusionNode
from .runner import run_node


class Kf2Node(FusionNode):
    def __init__(self, node_name: str = "kf2_filter", **kwargs):
        super().__init__(node_name, **kwargs)

    def setup_node(self) -> None:
        self.kf2 = Kf2(self.fp)
        self.frame = LocalFrame.from_params(self.fp)
        self.speed_pub = self.create_publisher(self.types(topics.TYPES[topics.KF2_SPEED]), topics.KF2_SPEED, STAGE_QOS)
        self.distance_pub = self.create_publisher(self.types(topics.TYPES[topics.KF2_DISTANCE]), topics.KF2_DISTANCE,
                                                  STAGE_QOS)
        self.subscribe_sensors()

    def reset_filters(self) -> None:
        self.kf2.reset()
        self.frame.reset()

    def on_sample(self, kind: str, item) -> None:
        if kind == "gnss":
            self.kf2.on_gnss(item, self.frame.to_enu(item))
            return
        row = self.kf2.on_imu(item)
        if row is not None:
            (_, speed), (_, distance) = outputs.kf2_outputs(self.reused(), row)
            self.speed_pub.publish(speed)
            self.distance_pub.publish(distance)

    def status(self):
        level, message = self.input_status()
        if not self.kf2.cj.initialized:
            missing = level != DiagnosticStatus.OK
            return DiagnosticStatus.WARN, message if missing else "waiting for a first fix", {}
        return level, message, {"speed [m/s]": f"{self.kf2.cj.state[1]:.2f}",
                                "distance [m]": f"{self.kf2.cj.state[0]:.1f}"}


def main(args=None) -> int:
    return run_node(Kf2Node, args)


if __name__ == "__main__":
    sys.exit(main())
