"""sprint_analyzer: the fused velocity of the graph cut into trials and analysed, live.

Subscribes to KF2 (fusion/kf2/speed, fusion/kf2/distance), KF5 (fusion/speed, and its position
on fusion/odometry for the innovation check), the fixes as the graph placed them
(fusion/gnss_enu), the receiver's fix type and NO_FIX epochs (gnss/fix_type, gnss/fix), and an
optional start signal (sprint/start, std_msgs/Header). Each finished trial is published on
sprint/trial (diagnostic_msgs/DiagnosticStatus: verdict as level, reasons as message, the numbers
as key/values) and sprint/splits (std_msgs/Float64MultiArray), and written to `output_dir`.
The analysis is sprint/analysis.py, the code `sprint-fusion report` runs offline.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import scipy.optimize  # noqa: F401 — loaded at start, not at the first trial's fit (0.4 s) in mid-run
from diagnostic_msgs.msg import DiagnosticStatus
from geometry_msgs.msg import PointStamped, PoseWithCovarianceStamped, TwistWithCovarianceStamped
from nav_msgs.msg import Odometry
from sensor_msgs.msg import NavSatFix, NavSatStatus
from std_msgs.msg import Float64MultiArray, Header, UInt8

from .. import msgs, outputs, topics
from ..core.samples import FixType
from ..sprint.analysis import RowJoiner, TrialResult
from ..sprint.params import SPRINT_PARAMS, analyzer_from
from ..sprint.quality import GnssEpoch
from ..sprint.report import SessionReport, write_report
from .fusion_base import SENSOR_QOS, STAGE_QOS
from .local_bus import BusNode
from .parameters import declare
from .runner import run_node


def _ns(header) -> int:
    return header.stamp.sec * 1_000_000_000 + header.stamp.nanosec


class SprintAnalyzerNode(BusNode):
    def __init__(self, node_name: str = "sprint_analyzer", **kwargs):
        super().__init__(node_name, **kwargs)
        try:
            self.p = declare(self, SPRINT_PARAMS)
            self.analyzer = analyzer_from(self.p)
        except Exception:
            self.destroy_node()
            raise
        self.types = msgs.rclpy_types()
        self.joiner = RowJoiner(("kf2_speed", "kf2_distance"))
        self.trials: list[TrialResult] = []
        self.fix_type: FixType | None = None
        self.trial_pub = self.create_publisher(DiagnosticStatus, topics.SPRINT_TRIAL, 10)
        self.splits_pub = self.create_publisher(Float64MultiArray, topics.SPRINT_SPLITS, 10)
        self.create_subscription(TwistWithCovarianceStamped, topics.KF2_SPEED,
                                 lambda m: self._value(m.header, kf2_speed=m.twist.twist.linear.x), STAGE_QOS)
        self.create_subscription(PointStamped, topics.KF2_DISTANCE,
                                 lambda m: self._value(m.header, kf2_distance=m.point.x), STAGE_QOS)
        self.create_subscription(TwistWithCovarianceStamped, topics.SPEED,
                                 lambda m: self._value(m.header, kf5_speed=m.twist.twist.linear.x), STAGE_QOS)
        self.create_subscription(Odometry, topics.ODOMETRY, lambda m: self._value(
            m.header, kf5_east=m.pose.pose.position.x, kf5_north=m.pose.pose.position.y), STAGE_QOS)
        self.create_subscription(PoseWithCovarianceStamped, topics.GNSS_ENU, self._on_gnss_enu, STAGE_QOS)
        self.create_subscription(UInt8, topics.GNSS_FIX_TYPE, self._on_fix_type, SENSOR_QOS)
        self.create_subscription(NavSatFix, topics.GNSS_FIX, self._on_fix, SENSOR_QOS)
        self.create_subscription(Header, topics.SPRINT_START, lambda m: self.analyzer.start_signal(_ns(m) * 1e-9), 10)

    def _value(self, header, **values) -> None:
        for t, row in self.joiner.add(_ns(header), **values):
            self._finished(self.analyzer.push_row(t, **row))

    def _on_fix_type(self, msg) -> None:
        self.fix_type = FixType(int(msg.data)) if int(msg.data) in FixType._value2member_map_ else None

    def _on_fix(self, msg) -> None:
        if msg.status.status == NavSatStatus.STATUS_NO_FIX:
            self.analyzer.push_gnss(GnssEpoch(msgs.stamp_of(msg), FixType.NO_FIX, math.nan))

    def _on_gnss_enu(self, msg) -> None:
        c = msg.pose.covariance
        kind = self.fix_type if self.fix_type is not None else FixType.SINGLE
        self.analyzer.push_gnss(GnssEpoch(msgs.stamp_of(msg), kind, math.sqrt(max(c[0] + c[7], 0.0)),
                                          msg.pose.pose.position.x, msg.pose.pose.position.y))

    def _finished(self, trials: list[TrialResult], publish: bool = True) -> None:
        for tr in trials:
            self.trials.append(tr)
            if publish:
                (_, status), (_, splits) = outputs.trial_outputs(self.types, tr, self.get_namespace())
                self.trial_pub.publish(status)
                self.splits_pub.publish(splits)
                self.get_logger().info(f"trial {tr.index}: {tr.quality.verdict}; {'; '.join(tr.quality.reasons)}")
            self._write()

    def _write(self) -> None:
        out = self.get_parameter("output_dir").value  # may be set while running (ros2 param set)
        if not out:
            return
        report = SessionReport(f"live {self.get_fully_qualified_name()}", self.trials, self.analyzer.conditions,
                               None, self.analyzer.distances)
        try:
            write_report(report, Path(out), figures=self.get_parameter("figures").value)
        except OSError as err:
            self.get_logger().error(f"cannot write the trial files to {out}: {err}")

    def destroy_node(self):
        """A trial still running when the node stops is closed as cut off, published and written."""
        if hasattr(self, "joiner"):
            live = self.context.ok()  # after a Ctrl-C the context is gone: the files are still written
            for t, row in self.joiner.flush():
                self._finished(self.analyzer.push_row(t, **row), live)
            self._finished(self.analyzer.finish(), live)
        super().destroy_node()


def main(args=None) -> int:
    return run_node(SprintAnalyzerNode, args)


if __name__ == "__main__":
    sys.exit(main())
