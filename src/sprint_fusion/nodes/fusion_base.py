"""What every fusion node shares: the filter parameters, the input timeline (core.timeline: the
sensor nodes' InputTimeline, the downstream stages' StampOrder), the sensor inputs (IMU and GNSS
epoch parts), a flush of the timeline when inputs pause, and a /diagnostics status."""

from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import TwistWithCovarianceStamped
from rclpy.clock import Clock, ClockType
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import Imu, NavSatFix
from std_msgs.msg import UInt8

from .. import msgs, topics
from ..core import jit
from ..core.fusion import warm_up
from ..core.params import FILTER_PARAMS, FilterParams, Param
from ..core.samples import FixType
from ..core.timeline import RESET, InputTimeline, StampOrder
from ..sensors.fix_latency import FixLatency
from .local_bus import BusNode, listened
from .parameters import declare
from .presence import OK, Presence

# SensorDataQoS (best effort, volatile) with a queue of a second of 200 Hz data, so a busy
# executor delays samples instead of dropping them.
SENSOR_QOS = QoSProfile(depth=200, reliability=ReliabilityPolicy.BEST_EFFORT, durability=DurabilityPolicy.VOLATILE)
STAGE_QOS = 200  # reliable, between the graph's own nodes

COMMON_PARAMS = (
    Param("gnss_timeout", 1.0, "GNSS silent this long: warn that the filters run on the IMU alone", "s",
          low=0.05, high=60.0),
    Param("imu_timeout", 0.5, "IMU silent this long: warn that the filters have nothing between fixes", "s",
          low=0.01, high=60.0),
    Param("diagnostics_period", 1.0, "Period of the /diagnostics status", "s", low=0.1, high=60.0),
)


_WARMED = False


def warm_up_once(params: FilterParams) -> None:
    """The compiled steps ready before the first subscription (once per process: loaded from
    numba's cache, which "cached" kernels require); running uncompiled, the cache is filled in
    the background for the next start."""
    global _WARMED
    if _WARMED:
        return
    _WARMED = True
    if jit.COMPILED:
        warm_up(params)
    else:
        jit.warm_in_background()


def stage_order(fp: FilterParams, streams: tuple[str, ...]) -> StampOrder:
    """A downstream stage's timeline (time.stage_window). Its streams come from this graph's nodes,
    each in its release order: nothing to prove before early release (no probation), unlike the
    sensor streams of an InputTimeline."""
    return StampOrder(fp["time.stage_window"], fp["time.reset_jump_back"], fp["time.early_release"], streams,
                      fp["time.fix_delay"], probation=0.0)


class FusionNode(BusNode):
    """Subclasses implement setup_node(), on_sample(kind, item), reset_filters(), status().
    Sensor nodes (sensor_inputs) order their inputs with an InputTimeline, downstream stages
    (whose inputs come from one upstream node) with a StampOrder over time.stage_window."""

    sensor_inputs = True
    stage_streams = ("imu", "gnss")  # a downstream stage's inputs: early release waits until each has come

    def __init__(self, name: str, extra_params: tuple[Param, ...] = (), **kwargs):
        super().__init__(name, **kwargs)
        try:
            values = declare(self, FILTER_PARAMS + COMMON_PARAMS + extra_params)
            self.fp = FilterParams({p.name: values[p.name] for p in FILTER_PARAMS})
            self.p = values
            self.types = msgs.rclpy_types()
            self.reused = msgs.ReusedMessages(self.types)  # per-sample outputs: instances refilled
            self.timeline = (InputTimeline.from_params(self.fp, live=True) if self.sensor_inputs else
                             stage_order(self.fp, self.stage_streams))
            self.reported: dict[str, int] = {}
            self.presence = Presence()
            self.last_input_wall = time.monotonic()
            warm_up_once(self.fp)
            self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
            self.fix_latency: FixLatency | None = None  # a sensor node's (subscribe_sensors)
            self.setup_node()
            self.create_timer(self.p["diagnostics_period"], self.publish_diagnostics)
            # wall time: with use_sim_time the bag's /clock stops with the bag, and what the timeline
            # still held would wait for the node's stop
            self.create_timer(max(self.timeline.window, 0.01), self.flush_if_idle,
                              clock=Clock(clock_type=ClockType.STEADY_TIME))
        except Exception:
            self.destroy_node()
            raise

    def wanted(self, topic: str) -> bool:
        """Whether a message on one of this node's per-sample topics (self.pubs) reaches anyone: a
        node of this process or a DDS subscriber. Those nobody listens to are not even built."""
        return listened(self.pubs[topic])

    @property
    def counts(self) -> dict[str, int]:
        c = self.timeline.counts
        return {"rejected": c.rejected, "no fix": c.no_fix, "dropped (late)": c.dropped,
                "duplicates": c.duplicates, "resets": c.resets}

    # --- time ordering ---------------------------------------------------------------------
    def ingest(self, stamp: float, kind: str, item) -> None:
        """A downstream stage's input (StampOrder); item is a tuple (stamp, …)."""
        self.last_input_wall = time.monotonic()
        self._process(self.timeline.push(stamp, kind, item))

    def on_stop(self) -> None:
        """Stopping (SIGINT): what the timeline still holds goes through the filters and out."""
        self._process(self.timeline.flush())

    def flush_if_idle(self) -> None:
        """Inputs paused (a sensor stopped, a bag ended): release what the timeline holds."""
        if len(self.timeline) and time.monotonic() - self.last_input_wall > self.timeline.window:
            self._process(self.timeline.flush())

    def _process(self, events) -> None:
        for kind, item in events:
            if kind == RESET:
                self.get_logger().warning(f"time jumped back to {item:.3f}: filters reset")
                self.reset_filters()
            else:
                self.on_sample(kind, item)

    # --- sensor inputs (yaw_bias_estimator and kf2_filter) -----------------------------------
    def subscribe_sensors(self) -> None:
        """IMU: imu/data once it has been seen (it carries the device orientation), imu/data_raw
        until then. GNSS: gnss/fix, completed with the gnss/vel and gnss/heading of its stamp when
        the timeline releases it, with the latest gnss/fix_type."""
        qos = SENSOR_QOS
        self.create_subscription(Imu, topics.IMU_DATA, self._on_imu_data, qos)
        self.raw_sub = self.create_subscription(Imu, topics.IMU_RAW, self._on_imu_raw, qos)
        self.create_subscription(NavSatFix, topics.GNSS_FIX, self._on_fix, qos)
        self.create_subscription(TwistWithCovarianceStamped, topics.GNSS_VEL,
                                 self._on_part(msgs.add_velocity_part, "gnss_vel"), qos)
        self.create_subscription(Imu, topics.GNSS_HEADING, self._on_part(msgs.add_heading_part, "gnss_heading"), qos)
        self.create_subscription(UInt8, topics.GNSS_FIX_TYPE, self._on_fix_type, qos)
        self.fix_type: FixType | None = None  # the latest received
        # gnss/fix_type comes just before its gnss/fix (the drivers publish it so), but DDS does not
        # order two topics: a type not yet used waits for its fix, a fix that came first waits (by
        # its stamp, in the timeline's epoch parts) for the type that follows it
        self.type_ahead: FixType | None = None
        self.typeless: int | None = None
        self.fix_latency = FixLatency()  # what time.fix_delay should cover, in /diagnostics

    def _on_part(self, add, kind: str):
        """A part of a receiver epoch (velocity, heading): kept for its fix, and its stream's clock
        told — the fix waits for its parts, and may go now."""
        def on(msg) -> None:
            add(self.timeline.epochs, msg)
            self.timeline.part(kind, msgs.stamp_of(msg))
            self._process(self.timeline.due())

        return on

    def _on_imu_data(self, msg) -> None:
        if self.raw_sub is not None:  # the device reports its orientation: the raw copy is redundant
            self.destroy_subscription(self.raw_sub)
            self.raw_sub = None
            # raw copies still held give way to their imu/data twins
            self.timeline.discard_imu(lambda sample: sample.orientation is None)
        self._imu(msg)

    def _on_imu_raw(self, msg) -> None:
        if self.raw_sub is None:  # imu/data came: a raw sample still on its way (taken before the
            return  # unsubscribe) would stand in for its imu/data twin, which then looks a duplicate
        self._imu(msg)

    def _imu(self, msg) -> None:
        self.last_input_wall = time.monotonic()
        self.presence.seen("IMU", self.last_input_wall)
        self._process(self.timeline.imu(msgs.imu_sample(msg)))

    def _on_fix_type(self, msg) -> None:
        self.fix_type = FixType(int(msg.data)) if int(msg.data) in FixType._value2member_map_ else None
        if self.typeless is not None and self.fix_type is not None:  # its fix came first
            self.timeline.epochs.fix_type(self.typeless, self.fix_type)
            self.typeless = None
        else:
            self.type_ahead = self.fix_type

    def _on_fix(self, msg) -> None:
        self.last_input_wall = time.monotonic()
        self.presence.seen("GNSS", self.last_input_wall)
        key = msgs.stamp_to_ns(msgs.stamp_of(msg))
        self.fix_latency.arrived(self.get_clock().now().nanoseconds * 1e-9, key * 1e-9)
        if self.type_ahead is not None:  # the type that came before this fix: its own
            fix, self.type_ahead, self.typeless = msgs.fix_part(msg, self.type_ahead), None, None
        else:  # the latest type until its own comes (without gnss/fix_type at all: NavSatStatus's)
            fix, self.typeless = msgs.fix_part(msg, self.fix_type), key
        self._process(self.timeline.gnss(fix, key))

    # --- diagnostics -------------------------------------------------------------------------
    def publish_diagnostics(self) -> None:
        level, message, values = self.status()
        # bad input since the last report (rejected samples, late drops, resets) raises a warning
        fresh = {k: v - self.reported.get(k, 0) for k, v in self.counts.items() if k != "no fix"}
        self.reported = dict(self.counts)
        if any(fresh.values()):
            level = max(level, DiagnosticStatus.WARN)
            message += "; since the last report: " + ", ".join(f"{k} {v}" for k, v in fresh.items() if v)
        latency = self.fix_latency
        late = latency.note(self.fp["time.fix_delay"]) if latency else None
        if late:
            level, message = max(level, DiagnosticStatus.WARN), f"{message}; {late}"
        values = {**values, **{k: str(v) for k, v in self.counts.items()},
                  "release": self.timeline.reorder.release_mode(),  # why samples wait, when they do
                  **(latency.values() if latency else {})}
        status = DiagnosticStatus(level=level, name=f"{self.get_fully_qualified_name()}", message=message,
                                  hardware_id="sprint_fusion",
                                  values=[KeyValue(key=k, value=v) for k, v in values.items()])
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(array)

    def input_status(self) -> tuple[int, str]:
        """What is missing (IMU, GNSS), with the counts of what came; a change is logged once."""
        now = time.monotonic()
        timeouts = {"IMU": self.p["imu_timeout"], "GNSS": self.p["gnss_timeout"]}
        change = self.presence.changed(now, timeouts)
        if change is not None and self.presence.counts:  # not before anything ever came
            self.get_logger().warning(change) if self.presence.missing else self.get_logger().info(change)
        level, message = self.presence.status(now, timeouts)
        return (DiagnosticStatus.OK if level == OK else DiagnosticStatus.WARN), message
