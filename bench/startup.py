"""Start to first output of the live graph: `sprint-fusion graph --no-drivers` started while IMU
(400 Hz) and GNSS (20 Hz) are already being published in real time; the time from starting the
process to its first fusion/kf2/speed and fusion/speed. Warm: Python's bytecode and numba's cache
as an installed package has them. First launch: this package's bytecode removed and numba's cache
empty (pip and colcon write the bytecode of what they install; an editable install does not).
Cold: every module, the standard library's and numpy's too, compiled from source (an empty
PYTHONPYCACHEPREFIX) — colder than any install.

    python bench/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import spin_in_background
from live_latency import records

os.environ.setdefault("ROS_DOMAIN_ID", str(100 + os.getpid() % 50))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"


def one_start(node, pubs, data, env) -> tuple[float, float]:
    from geometry_msgs.msg import TwistWithCovarianceStamped

    first: dict[str, float] = {}
    subs = [node.create_subscription(TwistWithCovarianceStamped, f"/{topic}",
                                     lambda msg, topic=topic: first.setdefault(topic, time.perf_counter()), 10)
            for topic in ("fusion/kf2/speed", "fusion/speed")]
    stop = threading.Event()

    def publish():  # the sensors are already talking when the graph starts
        t0 = time.perf_counter()
        for topic, t, raw, _ in data:
            if stop.is_set():
                return
            delay = t - (time.perf_counter() - t0)
            if delay > 0:
                time.sleep(delay)
            pubs[topic].publish(raw)

    feeder = threading.Thread(target=publish, daemon=True)
    feeder.start()
    time.sleep(1.0)
    start = time.perf_counter()
    graph = subprocess.Popen([sys.executable, "-m", "sprint_fusion.cli", "graph", "--no-drivers"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while len(first) < 2 and time.perf_counter() - start < 60:
        time.sleep(0.01)
    stop.set()
    feeder.join()
    graph.terminate()
    graph.wait(timeout=20)
    for s in subs:
        node.destroy_subscription(s)
    return first.get("fusion/kf2/speed", float("nan")) - start, first.get("fusion/speed", float("nan")) - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import rclpy
    from rclpy.node import Node

    from sprint_fusion import msgs

    data = records(60.0)
    rclpy.init()
    node = Node("startup_bench")
    types = msgs.rclpy_types()
    pubs = {topic: node.create_publisher(types(msgtype), f"/{topic}", 1000) for topic, msgtype in
            {(d[0], d[3]) for d in data}}
    spinning, spinner = spin_in_background(node)
    package = Path(__file__).resolve().parents[1] / "src" / "sprint_fusion"
    subprocess.run([sys.executable, "-c", "from sprint_fusion.core.fusion import warm_up; warm_up()"], check=True,
                   env={**os.environ, "SPRINT_FUSION_KERNELS": "numba"})  # the installed cache warm, as `make install`
    for label in ("cold", "first launch", "warm"):
        for _ in range(args.runs if label == "warm" else 1):
            env = dict(os.environ)
            if label != "warm":
                env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="numba_")
            if label == "cold":
                env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="pyc_")
            if label == "first launch":
                for cache in package.rglob("__pycache__"):
                    shutil.rmtree(cache)
            kf2, kf5 = one_start(node, pubs, data, env)
            print(f"{label}: first fusion/kf2/speed {kf2:.2f} s, first fusion/speed {kf5:.2f} s after the start")
            cache = Path(env.get("NUMBA_CACHE_DIR", "/nonexistent"))
            deadline = time.monotonic() + 120  # a cold start fills its cache in the background: not during the next
            while list(cache.glob("warming-*")) and time.monotonic() < deadline:
                time.sleep(0.5)
    spinning.set()
    spinner.join()
    node.destroy_node()
    rclpy.shutdown()


if __name__ == "__main__":
    main()
