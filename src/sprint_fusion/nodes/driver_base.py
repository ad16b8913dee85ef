"""What both driver nodes share: the byte source from parameters, a reader thread, real-time
pacing of logs, the stamp choice, and a /diagnostics status with counters."""

from __future__ import annotations

import math
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import TimeReference

from .. import msgs
from ..core.params import ParameterError
from ..sensors.sources import ByteSource, FileSource, SerialSource, TcpSource
from .matching import wait_for_matching

REPLAY_LINE = "replay/time_line"  # sensor_msgs/TimeReference: a file driver's (first stamp, wall time)


def make_source(p: dict) -> ByteSource:
    unused = [name for name in ("path", "tag_path") if p.get(name) and p["transport"] != "file"]
    if unused:  # a log given to a serial or TCP driver would otherwise be ignored without a word
        where = p["port"] if p["transport"] == "serial" else f"{p['host']}:{p['tcp_port']}"
        raise ParameterError(f"parameter '{unused[0]}' ({p[unused[0]]}) is set, but transport is "
                             f"'{p['transport']}' (reading {where}): set transport to 'file' to read the log "
                             f"(a file-based sensor config such as rtklib_pos_imu_csv.yaml), or leave it empty")
    if p["transport"] == "serial":
        return SerialSource(p["port"], p["baud"], p["retry"])
    if p["transport"] == "tcp":
        return TcpSource(p["host"], p["tcp_port"], p["retry"])
    if not p["path"]:
        raise ParameterError("parameter 'path' is empty: transport 'file' needs a log file")
    try:
        return FileSource(p["path"], p["strip_comments"])
    except OSError as err:
        raise ParameterError(f"parameter 'path': {err}") from None


class Pacer:
    """Sleep so that data stamped t is released on one time line shared by every file-fed driver
    of the graph: wall = w₀ + SETTLE + (t − t₀), where (t₀, w₀) is the announcement with the
    earliest data stamp. Each driver announces (its first stamp, the wall time) as soon as it has
    read its first item — before it waits for its subscribers — on a latched topic (`announce`);
    it paces no earlier than SETTLE after its announcement, on the earliest line heard by then.
    (Paced each from its own first sample, an IMU CSV and an RTKLIB .pos fell > 1 s apart and the
    filters reset four times a second.)"""

    SETTLE = 0.5  # s for the other drivers' announcements to arrive

    def __init__(self, enabled: bool, announce=None, clock=time.time):
        self.enabled, self.announce, self.clock = enabled, announce, clock
        self.announced: list[tuple[float, float]] = []  # (first data stamp, wall time), own and others'
        self.own: tuple[float, float] | None = None
        self.line: tuple[float, float] | None = None

    def heard(self, first_stamp: float, wall: float) -> None:
        """Another driver's announcement (or the echo of ours)."""
        if (first_stamp, wall) not in self.announced:
            self.announced.append((first_stamp, wall))

    def prepare(self, first_stamp: float) -> None:
        """Announce this driver's first stamp now (it may then wait for its subscribers a while)."""
        if self.enabled and math.isfinite(first_stamp) and self.own is None:
            self.own = (first_stamp, self.clock())
            self.heard(*self.own)
            if self.announce is not None:
                self.announce(*self.own)

    def wait(self, stamp: float, stop: threading.Event) -> None:
        if not self.enabled or not math.isfinite(stamp):
            return
        if self.line is None:
            if not self.announced:  # nobody has announced yet: announce, and let the others answer
                self.prepare(stamp)
            if self.own is not None:  # the others have had SETTLE since our announcement to answer
                stop.wait(max(0.0, self.own[1] + self.SETTLE - self.clock()))
            first, wall = min(self.announced)
            self.line = (first, wall + self.SETTLE)
        delay = (stamp - self.line[0]) - (self.clock() - self.line[1])
        if delay > 0:
            stop.wait(delay)


class DriverNode(Node):
    """Subclasses implement setup() (set self.p, self.source, self.main_publisher, then call
    start()), decode(data, arrival) and finish(), returning lists of (stamp, publish-callable)
    pairs, and counters()."""

    hardware = "sensor"

    def __init__(self, node_name: str, **kwargs):
        super().__init__(node_name, **kwargs)
        try:
            self.setup()
        except Exception:
            self.destroy_node()  # a node refused at start-up leaves nothing behind
            raise

    def start(self) -> None:
        self.stop_event = threading.Event()
        paced = self.p["transport"] == "file" and self.p["realtime"]
        self.pacer = Pacer(paced, self._announce)
        if paced:  # the file drivers' shared time line (Pacer), latched for late joiners
            latched = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                                 durability=DurabilityPolicy.TRANSIENT_LOCAL)
            self.line_pub = self.create_publisher(TimeReference, REPLAY_LINE, latched)
            self.create_subscription(TimeReference, REPLAY_LINE, self._on_line, latched)
        self.last_data = time.monotonic()
        self.events_in_period = 0
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(self.p["diagnostics_period"], self.publish_diagnostics)
        self.thread = threading.Thread(target=self.run, name=f"{self.get_name()}-reader", daemon=True)
        self.thread.start()

    def _announce(self, first_stamp: float, wall: float) -> None:
        msg = TimeReference(source=self.get_fully_qualified_name())
        msg.header.stamp = msgs.time_msg(self.types, wall)  # the wall clock (system time) of the announcement
        msg.time_ref = msgs.time_msg(self.types, first_stamp)  # the first stamp of this driver's data
        self.line_pub.publish(msg)

    def _on_line(self, msg) -> None:
        self.pacer.heard(msg.time_ref.sec + msg.time_ref.nanosec * 1e-9, msgs.stamp_of(msg))

    def now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def run(self) -> None:
        if isinstance(self.source, FileSource):
            first = self.read_ahead()  # its first stamp announced before the wait: the others hear it
            self.wait_for_subscribers()
            self.emit(first)
        while not self.stop_event.is_set() and self.context.ok():
            data = self.source.read(0.1)
            live = not isinstance(self.source, FileSource)
            if data:
                self.last_data = time.monotonic()
                self.emit(self.decode(data, self.now() if live else None))
            elif not live and self.source.at_end:
                self.emit(self.finish())
                self.get_logger().info(f"end of {self.source.describe()}")
                return

    def read_ahead(self) -> list:
        """A log's first decoded items, its first stamp announced on the time line."""
        items: list = []
        while not items and not self.stop_event.is_set():
            data = self.source.read(0.1)
            if not data and self.source.at_end:
                break
            items = self.decode(data, None)
        if items:
            self.pacer.prepare(items[0][0])
        return items

    def wait_for_subscribers(self) -> None:
        """A log is played once start_subscribers listen to the main topic (the graph's readers of
        it, however long their processes take to start) and the matching of all topics has
        settled — or after start_timeout, saying how many came."""
        wanted = self.p["start_subscribers"]
        if not wait_for_matching(self.publishers, lambda: self.main_publisher.get_subscription_count() >= wanted,
                                 self.stop_event, self.p["start_timeout"]) and not self.stop_event.is_set():
            self.get_logger().warning(
                f"{self.main_publisher.get_subscription_count()} of {wanted} subscribers after "
                f"{self.p['start_timeout']:g} s (start_timeout): publishing anyway")

    def emit(self, items) -> None:
        for stamp, publish in items:
            self.pacer.wait(stamp, self.stop_event)
            if self.stop_event.is_set():
                return
            publish()
            self.events_in_period += 1

    def status(self) -> tuple[int, str, dict]:
        """(level, message, values) of the device; the base adds the stream counters."""
        return DiagnosticStatus.OK, "ok", {}

    def publish_diagnostics(self) -> None:
        level, message, values = self.status()
        silent = time.monotonic() - self.last_data
        if silent > 3 * self.p["diagnostics_period"] and not getattr(self.source, "at_end", False):
            level, message = DiagnosticStatus.ERROR, f"no data for {silent:.1f} s"
        rate = self.events_in_period / self.p["diagnostics_period"]
        self.events_in_period = 0
        values = {**values, "rate [Hz]": f"{rate:.1f}", "source": self.source.describe(),
                  "connects": str(self.source.connects), "disconnects": str(self.source.disconnects),
                  "last error": self.source.last_error, **{k: str(v) for k, v in self.counters().items()}}
        status = DiagnosticStatus(level=level, name=f"{self.get_fully_qualified_name()}: {self.hardware}",
                                  message=message, hardware_id=self.source.describe(),
                                  values=[KeyValue(key=k, value=v) for k, v in values.items()])
        array = DiagnosticArray(status=[status])
        array.header.stamp = self.get_clock().now().to_msg()
        self.diag_pub.publish(array)

    def destroy_node(self):
        if hasattr(self, "stop_event"):
            self.stop_event.set()
            self.thread.join(timeout=2.0)
            self.source.close()
        return super().destroy_node()

