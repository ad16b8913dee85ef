"""What every fusion node shares: the filter parameters, time ordering (reorder window, stamp
guard with reset on a jump back), the sensor inputs (IMU and assembled GNSS epochs), a flush of
the reorder window when inputs pause, and a /diagnostics status."""

from __future__ import annotations

import dataclasses
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import TwistWithCovarianceStamped
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Imu, NavSatFix
from std_msgs.msg import UInt8

from .. import msgs, topics
from ..core.fusion import warm_up
from ..core.gnss_velocity import PositionDifferencer
from ..core.params import FILTER_PARAMS, FilterParams, Param
from ..core.samples import FixType
from ..core.timeline import ReorderBuffer, StampGuard
from .parameters import declare

# SensorDataQoS (best effort, volatile) with a queue of a second of 200 Hz data, so a busy
# executor delays samples instead of dropping them.
SENSOR_QOS = QoSProfile(depth=200, reliability=ReliabilityPolicy.BEST_EFFORT, durability=DurabilityPolicy.VOLATILE)
STAGE_QOS = 200  # reliable, between the graph's own nodes

COMMON_PARAMS = (
    Param("gnss_timeout", 1.0, "GNSS silent this long: warn that the filters run on the IMU alone", "s",
          low=0.05, high=60.0),
    Param("diagnostics_period", 1.0, "Period of the /diagnostics status", "s", low=0.1, high=60.0),
)


_WARMED = False


def warm_up_once(params: FilterParams) -> None:
    """The compiled steps ready before the first subscription (once per process)."""
    global _WARMED
    if not _WARMED:
        warm_up(params)
        _WARMED = True


class FusionNode(Node):
    """Subclasses implement setup_node(), on_sample(kind, item, stamp), reset_filters(), status()."""

    window_param = "time.reorder_window"  # downstream stages use time.stage_window

    def __init__(self, name: str, extra_params: tuple[Param, ...] = (), **kwargs):
        super().__init__(name, **kwargs)
        try:
            values = declare(self, FILTER_PARAMS + COMMON_PARAMS + extra_params)
            self.fp = FilterParams({p.name: values[p.name] for p in FILTER_PARAMS})
            self.p = values
            self.types = msgs.rclpy_types()
            self.reorder = ReorderBuffer(self.fp[self.window_param])
            self.guard = StampGuard(self.fp["time.reset_jump_back"])
            self.counts = {"rejected": 0, "no fix": 0, "dropped (late)": 0, "resets": 0}
            self.reported: dict[str, int] = {}
            self.last_gnss_wall: float | None = None
            self.last_input_wall = time.monotonic()
            warm_up_once(self.fp)
            self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
            self.setup_node()
            self.create_timer(self.p["diagnostics_period"], self.publish_diagnostics)
            self.create_timer(max(self.reorder.window, 0.01), self.flush_if_idle)
        except Exception:
            self.destroy_node()
            raise

    # --- time ordering ---------------------------------------------------------------------
    def ingest(self, stamp: float, kind: str, item) -> None:
        self.last_input_wall = time.monotonic()
        for s, k, i in self.reorder.push(stamp, kind, item):
            self._process(s, k, i)

    def flush_if_idle(self) -> None:
        """Inputs paused (a sensor stopped, a bag ended): release what the window holds."""
        if len(self.reorder) and time.monotonic() - self.last_input_wall > self.reorder.window:
            for s, k, i in self.reorder.flush():
                self._process(s, k, i)

    def _process(self, stamp: float, kind: str, item) -> None:
        reset, ready = self.guard.admit(stamp, (stamp, kind, item))
        self.counts["dropped (late)"] = self.guard.dropped
        if reset:
            self.counts["resets"] += 1
            self.get_logger().warning(f"time jumped back to {stamp:.3f}: filters reset")
            self.reset_filters()
        for s, k, i in ready:
            self.on_sample(k, i, s)

    # --- sensor inputs (yaw_bias_estimator and kf2_filter) -----------------------------------
    def subscribe_sensors(self) -> None:
        """IMU: imu/data once it has been seen (it carries the device orientation), imu/data_raw
        until then. GNSS: gnss/fix with the gnss/vel and gnss/heading of its stamp and the latest
        gnss/fix_type, assembled when the reorder window releases the fix."""
        qos = SENSOR_QOS
        self.create_subscription(Imu, topics.IMU_DATA, self._on_imu_data, qos)
        self.raw_sub = self.create_subscription(Imu, topics.IMU_RAW, self._imu, qos)
        self.create_subscription(NavSatFix, topics.GNSS_FIX, self._on_fix, qos)
        self.create_subscription(TwistWithCovarianceStamped, topics.GNSS_VEL, self._on_companion("vel"), qos)
        self.create_subscription(Imu, topics.GNSS_HEADING, self._on_companion("heading"), qos)
        self.create_subscription(UInt8, topics.GNSS_FIX_TYPE, self._on_fix_type, qos)
        self.companions = {"vel": {}, "heading": {}}
        self.fix_type: FixType | None = None
        self.differencer = PositionDifferencer()

    def _on_imu_data(self, msg) -> None:
        if self.raw_sub is not None:  # the device reports its orientation: the raw copy is redundant
            self.destroy_subscription(self.raw_sub)
            self.raw_sub = None
            # raw copies still in the window give way to their imu/data twins
            self.reorder.discard(lambda kind, item: kind == "imu" and item.orientation is None)
        self._imu(msg)

    def _imu(self, msg) -> None:
        sample = msgs.imu_sample(msg)
        if not sample.is_valid():
            self.counts["rejected"] += 1
            return
        self.ingest(sample.stamp, "imu", sample)

    def _on_companion(self, part: str):
        def store(msg) -> None:
            self.companions[part][msgs.stamp_to_ns(msgs.stamp_of(msg))] = msg

        return store

    def _on_fix_type(self, msg) -> None:
        self.fix_type = FixType(int(msg.data)) if int(msg.data) in FixType._value2member_map_ else None

    def _on_fix(self, msg) -> None:
        self.last_gnss_wall = time.monotonic()
        fix_type = self.fix_type
        stamp = msgs.stamp_of(msg) - self.fp["gnss.latency"]
        self.ingest(stamp, "gnss", (msg, fix_type))

    def assemble(self, item):
        """The GnssFix of a released gnss/fix, or None (no fix, non-finite: counted)."""
        msg, fix_type = item
        key = msgs.stamp_to_ns(msgs.stamp_of(msg))
        fix = msgs.gnss_fix(msg, self.companions["vel"].pop(key, None), self.companions["heading"].pop(key, None),
                            fix_type)
        for part in self.companions.values():  # companions of older epochs whose fix never came
            for k in [k for k in part if k <= key]:
                del part[k]
        if self.fp["gnss.latency"]:
            fix = dataclasses.replace(fix, stamp=fix.stamp - self.fp["gnss.latency"])
        if fix.fix_type == FixType.NO_FIX:
            self.counts["no fix"] += 1
            return None
        if not fix.is_valid():
            self.counts["rejected"] += 1
            return None
        return self.differencer.fill(fix)

    # --- diagnostics -------------------------------------------------------------------------
    def gnss_silence(self) -> float | None:
        return None if self.last_gnss_wall is None else time.monotonic() - self.last_gnss_wall

    def publish_diagnostics(self) -> None:
        level, message, values = self.status()
        # bad input since the last report (rejected samples, late drops, resets) raises a warning
        fresh = {k: v - self.reported.get(k, 0) for k, v in self.counts.items() if k != "no fix"}
        self.reported = dict(self.counts)
        if any(fresh.values()):
            level = max(level, DiagnosticStatus.WARN)
            message += "; since the last report: " + ", ".join(f"{k} {v}" for k, v in fresh.items() if v)
        values = {**values, **{k: str(v) for k, v in self.counts.items()}}
        status = DiagnosticStatus(level=level, name=f"{self.get_fully_qualified_name()}", message=message,
                                  hardware_id="sprint_fusion",
                                  values=[KeyValue(key=k, value=v) for k, v in values.items()])
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(array)

    def gnss_status(self) -> tuple[int, str]:
        silence = self.gnss_silence()
        if silence is None:
            return DiagnosticStatus.WARN, "waiting for GNSS"
        if silence > self.p["gnss_timeout"]:
            return DiagnosticStatus.WARN, f"no GNSS for {silence:.1f} s: IMU-only prediction"
        return DiagnosticStatus.OK, "ok"

