"""What both driver nodes share: the byte source from parameters, a reader thread, real-time
pacing of logs, the stamp choice, and a /diagnostics status with counters."""

from __future__ import annotations

import math
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node

from ..core.params import ParameterError
from ..sensors.sources import ByteSource, FileSource, SerialSource, TcpSource
from .matching import wait_for_matching


def make_source(p: dict) -> ByteSource:
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
    """Sleep so that data stamped t is released t − t₀ after the first (files in real time)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.origin: tuple[float, float] | None = None

    def wait(self, stamp: float, stop: threading.Event) -> None:
        if not self.enabled or not math.isfinite(stamp):
            return
        if self.origin is None:
            self.origin = (stamp, time.monotonic())
        delay = (stamp - self.origin[0]) - (time.monotonic() - self.origin[1])
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
        self.pacer = Pacer(self.p["transport"] == "file" and self.p["realtime"])
        self.last_data = time.monotonic()
        self.events_in_period = 0
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(self.p["diagnostics_period"], self.publish_diagnostics)
        self.thread = threading.Thread(target=self.run, name=f"{self.get_name()}-reader", daemon=True)
        self.thread.start()

    def now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def run(self) -> None:
        if isinstance(self.source, FileSource):
            self.wait_for_subscribers()
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

    def wait_for_subscribers(self) -> None:
        """A log is played once a subscriber has connected to the main topic and the matching of
        all topics has settled, or after start_timeout."""
        wait_for_matching(self.publishers, lambda: self.main_publisher.get_subscription_count() > 0,
                          self.stop_event, self.p["start_timeout"])

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

