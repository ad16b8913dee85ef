import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# Tests import the source tree even when the package is not installed (colcon test, plain checkout).
sys.path.insert(0, str(REPO / "src"))


@pytest.fixture
def shared_data() -> Path:
    """../shared/data beside the clone (CI places it there); a test needing it fails loudly without it."""
    path = SHARED / "data"
    assert path.is_dir(), f"{path} is missing: the shared test data must sit beside the repository"
    return path


# DDS isolation for tests that run nodes: a domain of our own and localhost-only discovery,
# set before rclpy is first imported so every context in the session uses them.
os.environ["ROS_DOMAIN_ID"] = str(100 + os.getpid() % 100)
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.pop("ROS_LOCALHOST_ONLY", None)


@pytest.fixture
def ros():
    """A fresh rclpy context; nodes made with `context=ros` are destroyed, and it shut down, after."""
    import rclpy
    from rclpy.context import Context

    context = Context()
    rclpy.init(context=context)
    nodes = []
    context.track = nodes.append  # tests register nodes to destroy
    yield context
    for node in reversed(nodes):
        node.destroy_node()
    rclpy.shutdown(context=context)


def spin_until(context, nodes, done, timeout=20.0):
    """Spin the nodes until done() or the timeout; returns done()."""
    import time

    from rclpy.executors import SingleThreadedExecutor

    executor = SingleThreadedExecutor(context=context)
    for n in nodes:
        executor.add_node(n)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end and not done():
            executor.spin_once(timeout_sec=0.05)
    finally:
        for n in nodes:
            executor.remove_node(n)
        executor.shutdown(timeout_sec=5.0)  # let callbacks in flight finish before nodes go
    return done()
