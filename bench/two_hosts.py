"""The graph split over two hosts, simulated on this machine by two network namespaces joined by
a virtual Ethernet pair: the drivers on the athlete's "pod" (10.77.0.1), the fusion on the coach's
"laptop" (10.77.0.2), DDS between them (discovery by multicast over the link, as on a Wi-Fi
network). The drivers replay the RTKLIB .pos + IMU CSV of ../shared/data/fusion_drive in real
time, started 1.5 s apart; a listener on the laptop counts fusion/speed and reads the resets the
fusion nodes report. Needs root (ip netns).

    sudo python bench/two_hosts.py [--seconds 12]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DRIVE = ROOT.parent / "shared" / "data" / "fusion_drive"
SENSORS = ROOT / "config" / "sensors" / "rtklib_pos_imu_csv.yaml"
HOSTS = {"pod": "10.77.0.1/24", "laptop": "10.77.0.2/24"}


def sh(*args: str) -> None:
    subprocess.run(args, check=True)


def network_up() -> None:
    for name in HOSTS:
        sh("ip", "netns", "add", name)
    sh("ip", "link", "add", "veth-pod", "type", "veth", "peer", "name", "veth-laptop")
    for name, address in HOSTS.items():
        sh("ip", "link", "set", f"veth-{name}", "netns", name)
        run = ("ip", "netns", "exec", name)
        sh(*run, "ip", "addr", "add", address, "dev", f"veth-{name}")
        sh(*run, "ip", "link", "set", "lo", "up")
        sh(*run, "ip", "link", "set", f"veth-{name}", "up")
        sh(*run, "ip", "route", "add", "224.0.0.0/4", "dev", f"veth-{name}")  # DDS discovery


def network_down() -> None:
    for name in HOSTS:
        subprocess.run(["ip", "netns", "delete", name], check=False)


def on(host: str, *command: str, seconds: float) -> subprocess.Popen:
    return subprocess.Popen(["ip", "netns", "exec", host, "timeout", f"{seconds:g}", *command],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def listen(seconds: float) -> None:
    """(On the laptop) count fusion/speed, read the fusion nodes' reset counters."""
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import TwistWithCovarianceStamped

    rclpy.init()
    node = rclpy.create_node("two_hosts_listener")
    speed, resets = [0], {}
    node.create_subscription(TwistWithCovarianceStamped, "/fusion/speed", lambda m: speed.__setitem__(0, speed[0] + 1),
                             100)
    node.create_subscription(DiagnosticArray, "/diagnostics", lambda m: resets.update(
        {s.name: kv.value for s in m.status for kv in s.values if kv.key == "resets"}), 100)
    end = time.time() + seconds
    while time.time() < end:
        rclpy.spin_once(node, timeout_sec=0.1)
    print(f"on the laptop: {speed[0]} fusion/speed messages in {seconds:g} s; resets: {resets}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--listen", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.listen:
        listen(args.seconds)
        return
    os.environ.update(ROS_DOMAIN_ID="86", ROS_AUTOMATIC_DISCOVERY_RANGE="SUBNET")
    network_up()
    try:
        total = args.seconds + 12
        procs = [on("laptop", str(BIN / "sprint-fusion"), "graph", "--no-drivers", seconds=total)]
        time.sleep(1.0)
        procs.append(on("pod", str(BIN / "gnss_driver"), "--ros-args", "--params-file", str(SENSORS),
                        "-p", f"path:={DRIVE / 'gnss_1934_sf.pos'}", "-p", "start_subscribers:=3", seconds=total))
        time.sleep(1.5)
        procs.append(on("pod", str(BIN / "imu_driver"), "--ros-args", "--params-file", str(SENSORS),
                        "-p", f"path:={DRIVE / 'imu_1934.csv'}", "-p", f"tag_path:={DRIVE / 'imu_1934.csv.tag'}",
                        "-p", "start_subscribers:=2", seconds=total))
        time.sleep(3.0)
        subprocess.run(["ip", "netns", "exec", "laptop", sys.executable, __file__, "--listen", "--seconds",
                        str(args.seconds)], check=True)
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
    finally:
        network_down()


if __name__ == "__main__":
    main()
