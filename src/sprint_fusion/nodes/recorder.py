"""`sprint-fusion record`: live topics into a rosbag2 (MCAP) — ros2 bag record for machines
without ros2 bag.

Topics are found by discovery (also those that appear later) and subscribed with a QoS that
matches their publishers, as ros2 bag does: reliable only when every publisher is reliable (a
reliable subscription would not match a best-effort publisher), transient-local when every
publisher is (so latched data such as a datum is received). Messages are stored as received
bytes, stamped with the node clock at reception (sim time under use_sim_time). Chunks are
flushed every `flush_period` s of wall time: a crash loses at most that much.
"""

from __future__ import annotations

from functools import partial

from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from .. import msgs
from ..bags.recording import StreamingBag
from ..core.params import ParameterError

# ROS's own chatter, left out unless asked for by name (ros2 bag record -a records them too)
INFRASTRUCTURE = ("/rosout", "/parameter_events")
DISCOVERY_PERIOD = 0.5  # s


def subscription_qos(publisher_profiles) -> QoSProfile:
    profiles = list(publisher_profiles)
    reliable = bool(profiles) and all(p.reliability == ReliabilityPolicy.RELIABLE for p in profiles)
    latched = bool(profiles) and all(p.durability == DurabilityPolicy.TRANSIENT_LOCAL for p in profiles)
    return QoSProfile(depth=1000,
                      reliability=ReliabilityPolicy.RELIABLE if reliable else ReliabilityPolicy.BEST_EFFORT,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL if latched else DurabilityPolicy.VOLATILE)


class BagRecorder(Node):
    def __init__(self, output, topics=(), flush_period: float = 0.5, **kwargs):
        if not flush_period > 0:
            raise ParameterError(f"flush period {flush_period}: must be > 0 s")
        self.bag = StreamingBag(output)
        super().__init__("sprint_fusion_recorder", **kwargs)
        self.wanted = {t if t.startswith("/") else "/" + t for t in topics}
        self.subscribed: dict[str, object] = {}
        self.refused: set[str] = set()
        steady = Clock(clock_type=ClockType.STEADY_TIME)  # flushing follows the wall, not a paused /clock
        self.create_timer(DISCOVERY_PERIOD, self.discover, clock=steady)
        self.create_timer(flush_period, self.bag.flush, clock=steady)
        self.classes = msgs.rclpy_types()
        self.discover()

    def wants(self, topic: str) -> bool:
        return topic in self.wanted if self.wanted else topic not in INFRASTRUCTURE

    def discover(self) -> None:
        for topic, types in self.get_topic_names_and_types():
            if topic in self.subscribed or topic in self.refused or not self.wants(topic):
                continue
            msgtype = types[0]
            try:
                cls = self.classes(msgtype)
                self.bag.add_topic(topic, msgtype)
            except Exception as err:  # no Python package for it, or a type the bag cannot describe
                self.get_logger().warning(f"not recording {topic} ({msgtype}): {err}")
                self.refused.add(topic)
                continue
            qos = subscription_qos(i.qos_profile for i in self.get_publishers_info_by_topic(topic))
            self.subscribed[topic] = self.create_subscription(cls, topic, partial(self.receive, topic), qos, raw=True)
            self.get_logger().info(f"recording {topic} ({msgtype})")

    def receive(self, topic: str, raw: bytes) -> None:
        self.bag.write(topic, self.get_clock().now().nanoseconds, raw)

    def missing(self) -> list[str]:
        """Topics asked for by name that never appeared."""
        return sorted(self.wanted - set(self.subscribed))

    def destroy_node(self):
        self.bag.close()
        super().destroy_node()
