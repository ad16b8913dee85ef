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





REPO = Path(__file__).resolve().parents[1]


def played_into_graph(context, bag: Path, env: dict, graph_ready: float = 60.0) -> dict[str, list]:
    """`sprint-fusion play BAG --clock` (a process) into a graph already starting elsewhere (a
    process of its own, launched or not): the graph's fusion/speed and fusion/kf2/speed as this
    listener receives them, once the graph has gone quiet. The player starts only when the graph's
    two sensor nodes subscribe to imu/data and its outputs reach the listener."""
    import subprocess
    import sys

    from geometry_msgs.msg import TwistWithCovarianceStamped
    from rclpy.executors import SingleThreadedExecutor

    listener = Node("played_listener", context=context)
    got = {"speed": [], "kf2": []}
    listener.create_subscription(TwistWithCovarianceStamped, "/fusion/speed", got["speed"].append, 10_000)
    listener.create_subscription(TwistWithCovarianceStamped, "/fusion/kf2/speed", got["kf2"].append, 10_000)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(listener)
    try:
        end = time.monotonic() + graph_ready
        while time.monotonic() < end and not (listener.count_subscribers("/imu/data") >= 2
                                              and listener.count_publishers("/fusion/speed") >= 1
                                              and listener.count_publishers("/fusion/kf2/speed") >= 1):
            executor.spin_once(timeout_sec=0.1)
        time.sleep(1.0)  # the graph's publishers match the listener
        player = subprocess.Popen([sys.executable, "-m", "sprint_fusion.cli", "play", str(bag), "--clock"], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while player.poll() is None:
            executor.spin_once(timeout_sec=0.05)
        assert player.returncode == 0, player.stderr.read()
        quiet, count = time.monotonic(), -1
        while time.monotonic() - quiet < 3.0:  # what the graph's windows still hold, flushed when idle
            executor.spin_once(timeout_sec=0.1)
            if len(got["speed"]) + len(got["kf2"]) != count:
                quiet, count = time.monotonic(), len(got["speed"]) + len(got["kf2"])
    finally:
        executor.shutdown()
        listener.destroy_node()
    return got


def offline_topics(out: Path) -> dict[str, list]:
    """fusion/speed and fusion/kf2/speed of a replayed bag, as the listener above collects them."""
    wanted = {"/fusion/speed": "speed", "/fusion/kf2/speed": "kf2"}
    got = {"speed": [], "kf2": []}
    with AnyReader([out], default_typestore=typestore()) as reader:
        conns = [c for c in reader.connections if c.topic in wanted]
        for conn, _, raw in reader.messages(connections=conns):
            got[wanted[conn.topic]].append(reader.deserialize(raw, conn.msgtype))
    return got


def assert_same_messages(live: dict[str, list], offline: dict[str, list]) -> None:
    """Every message offline replay wrote, live, at the same stamp with the same numbers."""
    for key in ("speed", "kf2"):
        def stamps(messages):
            return [m.header.stamp.sec * 1_000_000_000 + m.header.stamp.nanosec for m in messages]

        assert len(offline[key]) > 500, key
        got, want = stamps(live[key]), stamps(offline[key])
        lost, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        assert got == want, (f"{key}: {len(got)} live, {len(want)} offline; lost {len(lost)} {lost[:3]}…{lost[-3:]}, "
                             f"extra {len(extra)} {extra[:3]}")  # none lost, none extra, in order
        for k, (a, b) in enumerate(zip(live[key], offline[key], strict=True)):
            speeds = (a.twist.twist.linear.x, b.twist.twist.linear.x)
            assert abs(speeds[0] - speeds[1]) <= 1e-9, (key, k, got[k] * 1e-9, speeds)
            assert abs(a.twist.covariance[0] - b.twist.covariance[0]) <= 1e-9, (key, k, got[k] * 1e-9)
