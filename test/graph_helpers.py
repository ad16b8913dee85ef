"""Helpers for tests that run the node graph on DDS: a bag player and output collection."""

import threading
import time
from pathlib import Path

from rclpy.node import Node
from rosbags.highlevel import AnyReader

from sprint_fusion import msgs
from sprint_fusion.bags.writer import typestore
from sprint_fusion.graph import SENSOR_TOPICS
from sprint_fusion.topics import TYPES

SENSOR_NAMES = {"/" + t for t in SENSOR_TOPICS}


def sensor_records(bag: Path, until: float | None = None, skip=lambda topic, t: False):
    """(relative topic, log time s, raw CDR) of the bag's sensor topics, in log order."""
    out = []
    with AnyReader([bag], default_typestore=typestore()) as reader:
        conns = [c for c in reader.connections if c.topic in SENSOR_NAMES]
        start = None
        for conn, log_ns, raw in reader.messages(connections=conns):
            t = log_ns * 1e-9
            start = t if start is None else start
            if until is not None and t - start > until:
                break
            if not skip(conn.topic, t - start):
                out.append((conn.topic.lstrip("/"), t, bytes(raw)))
    return out


class Player:
    """Publishes raw CDR records on live topics (under a namespace) at their recorded pace."""

    def __init__(self, context, namespace: str = ""):
        self.node = Node("player", namespace=namespace, context=context)
        types = msgs.rclpy_types()
        self.pubs = {t: self.node.create_publisher(types(TYPES[t]), t, 1000) for t in SENSOR_TOPICS}

    def wait_for_graph(self, subscribers_per_topic: int, timeout: float = 10.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if all(p.get_subscription_count() >= subscribers_per_topic for p in self.pubs.values()):
                return True
            time.sleep(0.05)
        return False

    def play(self, records, rate: float = 1.0) -> threading.Thread:
        def run():
            t0, w0 = records[0][1], time.monotonic()
            for topic, t, raw in records:
                delay = (t - t0) / rate - (time.monotonic() - w0)
                if delay > 0:
                    time.sleep(delay)
                self.pubs[topic].publish(raw)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread



