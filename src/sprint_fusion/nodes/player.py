"""`sprint-fusion play`: a bag onto live topics at its recorded pace, with /clock for graphs
that run on use_sim_time — ros2 bag play for machines without ros2 bag.

Messages go out as recorded bytes (ROS 1 bags are converted to CDR), so nothing is lost to a
deserialise/serialise round trip. A damaged bag is played up to its damage, then reported.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock

from .. import msgs
from ..bags.reader import BagSource
from ..core.params import ParameterError
from .matching import wait_for_matching

BEST_EFFORT_LINGER = 0.3  # s
PLAY_QOS = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)  # matches reliable and best-effort


@dataclass
class PlayStats:
    published: int = 0
    skipped_topics: tuple[str, ...] = ()


class BagPlayer(Node):
    def __init__(self, bag: str | Path, rate: float = 1.0, clock_hz: float = 0.0, topics=None, remap=None,
                 start_timeout: float = 10.0, **kwargs):
        if not rate > 0:
            raise ParameterError(f"rate {rate}: must be > 0")
        if not clock_hz >= 0:
            raise ParameterError(f"clock rate {clock_hz}: must be ≥ 0 (0: no /clock)")
        self.source = BagSource(bag)
        super().__init__("sprint_fusion_player", **kwargs)
        self.rate, self.clock_period = rate, (1.0 / clock_hz if clock_hz else None)
        self.start_timeout = start_timeout
        self.ros1 = Path(bag).suffix == ".bag"
        remap = remap or {}
        classes = msgs.rclpy_types()
        self.outputs: dict[str, tuple] = {}
        skipped = []
        for conn in self.source.connections:
            if topics and conn.topic not in topics:
                continue
            try:
                cls = classes(conn.msgtype)
            except (ImportError, AttributeError, ValueError):
                skipped.append(f"{conn.topic} ({conn.msgtype}: no Python message package installed)")
                continue
            pub = self.create_publisher(cls, remap.get(conn.topic, conn.topic), PLAY_QOS)
            self.outputs[conn.topic] = (pub, conn.msgtype)
        self.stats = PlayStats(skipped_topics=tuple(skipped))
        self.clock_pub = self.create_publisher(Clock, "/clock", 10) if self.clock_period else None

    def play(self, stop: threading.Event) -> PlayStats:
        """Publish the whole bag (blocking); BagDamageError is raised after the last readable message."""
        publishers = [pub for pub, _ in self.outputs.values()]
        # counts stable for 1 s: on a loaded machine the graph's second IMU subscriber was seen
        # 0.6 s after the first (CI, once in four runs: kf2's first 0.6 s lost at 0.5)
        wait_for_matching(publishers, lambda: any(p.get_subscription_count() for p in publishers), stop,
                          self.start_timeout, settle=1.0)
        origin = None  # (first log time ns, monotonic time it was played at)
        next_tick = None
        for conn, log_ns, raw in self.source.messages():
            out = self.outputs.get(conn.topic)
            if out is None:
                continue
            if origin is None:
                origin = (log_ns, time.monotonic())
                next_tick = self._tick(origin, origin[1])
            due = origin[1] + (log_ns - origin[0]) * 1e-9 / self.rate
            while not stop.is_set() and self.context.ok():
                now = time.monotonic()
                if next_tick is not None and next_tick <= min(now, due):
                    next_tick = self._tick(origin, next_tick)
                    continue
                if now >= due:
                    break
                stop.wait(min(due, next_tick or due, now + 0.1) - now)  # stays responsive to shutdown
            if stop.is_set() or not self.context.ok():
                break
            pub, msgtype = out
            pub.publish(self.source.store.ros1_to_cdr(raw, msgtype) if self.ros1 else bytes(raw))
            self.stats.published += 1
        self._drain(publishers)
        return self.stats

    def _drain(self, publishers, timeout: float = 2.0) -> None:
        """The last messages reach reliable subscribers (a recorder) before the player goes: a
        publisher destroyed right after publishing loses what its readers have not yet acked."""
        deadline = time.monotonic() + timeout  # for all of them: a dead reader does not stall the exit
        for pub in [*publishers, *([self.clock_pub] if self.clock_pub else [])]:
            pub.wait_for_all_acked(Duration(seconds=max(deadline - time.monotonic(), 0.0)))
        # a best-effort reader (the graph's sensor subscriptions) acks nothing: its last messages
        # get a moment on their way before this participant goes (seen: a bag's last IMU sample lost)
        time.sleep(BEST_EFFORT_LINGER)

    def _tick(self, origin, at: float) -> float | None:
        """Publish /clock for wall time `at`; return when the next tick is due."""
        if self.clock_pub is None:
            return None
        bag_ns = origin[0] + int((at - origin[1]) * self.rate * 1e9)
        msg = Clock()
        msg.clock.sec, msg.clock.nanosec = divmod(bag_ns, 1_000_000_000)
        self.clock_pub.publish(msg)
        return at + self.clock_period

    def destroy_node(self):
        self.source.close()
        super().destroy_node()
