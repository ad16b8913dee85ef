"""Live graph latency: 400 Hz IMU + 20 Hz GNSS published in real time into the running graph
(`sprint-fusion graph --no-drivers`, its own process); for every IMU message, the time from its
publication to the fusion/speed message with its stamp; messages dropped; the graph's CPU use.

    python bench/live_latency.py [--seconds 60] [--athletes 1] [--imu-every 2] [--set time.reorder_window=0 ...]

Latency includes what the timeline waits for: with the defaults (the accurate profile,
time.fix_delay 0.05) an IMU sample waits for nothing (the filters take a fix from their state
history when it comes); with --set time.fix_delay=0 it waits for the fix of the epoch that began
before it (the receiver's latency, 30 ms here). --gnss-on-time publishes GNSS at its stamp, as a
receiver without latency: the processing alone. The first seconds are printed apart (the receiver's
period still being learnt).
Several --athletes run one graph process per namespace, each fed its own stream.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import time

import numpy as np
from common import session_bag, spin_in_background

os.environ.setdefault("ROS_DOMAIN_ID", str(150 + os.getpid() % 50))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"


def records(seconds: float, imu_every: int = 1, gnss_on_time: bool = False):
    from rosbags.highlevel import AnyReader

    from sprint_fusion.bags.writer import typestore

    out = []
    count, shift = 0, 0
    with AnyReader([session_bag(5)], default_typestore=typestore()) as reader:
        start = None
        for conn, log_ns, raw in reader.messages():
            if conn.topic == "/imu/data":
                count += 1
                if count % imu_every:
                    continue
            start = log_ns if start is None else start
            if (log_ns - start) * 1e-9 > seconds:
                break
            t = (log_ns - start) * 1e-9
            if gnss_on_time and conn.topic.startswith("/gnss/"):  # at its header stamp: no receiver latency
                if conn.topic != "/gnss/fix_type":  # (no header: it goes with the fix logged with it)
                    stamp_ns = int.from_bytes(raw[4:8], "little") * 1_000_000_000 + int.from_bytes(raw[8:12], "little")
                    shift = log_ns - stamp_ns
                t = (log_ns - shift - start) * 1e-9
            out.append((conn.topic.lstrip("/"), t, bytes(raw), conn.msgtype))
    return sorted(out, key=lambda r: r[1])


def cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--athletes", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--imu-every", type=int, default=1, help="publish every Nth IMU message (2: 200 Hz)")
    parser.add_argument("--gnss-on-time", action="store_true",
                        help="publish GNSS at its stamp, as if the receiver had no latency: with the windows at 0 "
                             "no fix is late, and the latency is that of the processing alone")
    args = parser.parse_args()

    import rclpy
    from geometry_msgs.msg import TwistWithCovarianceStamped
    from rclpy.node import Node

    from sprint_fusion import msgs

    data = records(args.seconds, args.imu_every, args.gnss_on_time)
    names = [f"athlete{k}" for k in range(args.athletes)]
    graphs = [subprocess.Popen([sys.executable, "-m", "sprint_fusion.cli", "graph", "--no-drivers", "--namespace",
                                ns, *[x for s in args.set for x in ("--set", s)]],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for ns in names]
    rclpy.init()
    node = Node("latency_bench")
    types = msgs.rclpy_types()
    pubs = {ns: {} for ns in names}
    sent: dict[tuple[str, int], float] = {}
    got: dict[tuple[str, int], float] = {}
    for ns in names:
        for topic, msgtype in {(d[0], d[3]) for d in data}:
            pubs[ns][topic] = node.create_publisher(types(msgtype), f"/{ns}/{topic}", 1000)

        def on_speed(msg, ns=ns):
            got[(ns, msg.header.stamp.sec * 1_000_000_000 + msg.header.stamp.nanosec)] = time.perf_counter()

        node.create_subscription(TwistWithCovarianceStamped, f"/{ns}/fusion/speed", on_speed, 1000)
    stop, spin = spin_in_background(node)
    end = time.monotonic() + 30.0  # the graphs up and matched
    while time.monotonic() < end and not all(p.get_subscription_count() >= 2 for ns in names
                                             for t, p in pubs[ns].items() if t == "imu/data"):
        time.sleep(0.1)
    time.sleep(1.0)
    cpu0 = [cpu_of(g.pid) for g in graphs]
    own0 = cpu_of(os.getpid())
    t0 = time.perf_counter()
    imu_stamps = []
    for topic, t, raw, _ in data:
        delay = t - (time.perf_counter() - t0)
        if delay > 0:
            time.sleep(delay)
        for ns in names:
            if topic == "imu/data":
                stamp = int.from_bytes(raw[4:8], "little") * 1_000_000_000 + int.from_bytes(raw[8:12], "little")
                sent[(ns, stamp)] = time.perf_counter()
            pubs[ns][topic].publish(raw)
        if topic == "imu/data":
            imu_stamps.append(t)
    wall = time.perf_counter() - t0  # CPU use over the publishing time
    cpu = [(cpu_of(g.pid) - c) / wall for g, c in zip(graphs, cpu0, strict=True)]
    own = (cpu_of(os.getpid()) - own0) / wall
    # a graph that fell behind is still working: what has not come after 2 s of quiet is lost
    quiet_since, count = time.monotonic(), len(got)
    while time.monotonic() - quiet_since < 2.0:
        time.sleep(0.1)
        if len(got) != count:
            quiet_since, count = time.monotonic(), len(got)
    stop.set()
    spin.join()
    for g in graphs:
        g.terminate()
        g.wait(timeout=10)
    node.destroy_node()
    rclpy.shutdown()

    latencies = np.array([(got[k] - sent[k]) * 1e3 for k in sent if k in got])
    first = min((k[1] for k in got), default=None)
    expected = sum(1 for k in sent if first is not None and k[1] >= first)
    print(f"{args.athletes} athlete graph(s), {args.seconds:g} s of {400 / args.imu_every:g} Hz IMU + 20 Hz GNSS each, "
          f"settings "
          f"{args.set or 'default'}:")
    if len(latencies):
        p50, p90, p99 = np.percentile(latencies, [50, 90, 99])
        print(f"  latency IMU publish → fusion/speed: p50 {p50:.2f} ms, p90 {p90:.2f} ms, p99 {p99:.2f} ms, "
              f"max {latencies.max():.2f} ms")
        # the first seconds hold the start: the receiver's period being learnt, the streams on probation
        steady = np.array([(got[k] - sent[k]) * 1e3 for k in sent if k in got and k[1] - first >= 2e9])
        if len(steady):
            p50, p90, p99 = np.percentile(steady, [50, 90, 99])
            print(f"  after the first 2 s: p50 {p50:.2f} ms, p90 {p90:.2f} ms, p99 {p99:.2f} ms, "
                  f"max {steady.max():.2f} ms")
        # where the start's latency lies: by time since the first output
        since = np.array([(k[1] - first) * 1e-9 for k in sent if k in got])
        edges = [0.0, 0.25, 0.5, 1.0, 2.0]
        parts = [f"{a:g}–{b:g} s {np.percentile(latencies[(since >= a) & (since < b)], 99):.0f}"
                 for a, b in itertools.pairwise(edges) if ((since >= a) & (since < b)).any()]
        print(f"  p99 [ms] in the first seconds: {', '.join(parts)}")
    print(f"  fusion/speed messages: {len(got)} of {expected} expected once KF5 ran ({expected - len(got)} missing)")
    print(f"  graph CPU: {', '.join(f'{c:.0%}' for c in cpu)} of one core; this bench's own (publishing, "
          f"receiving): {own:.0%}")


if __name__ == "__main__":
    main()
