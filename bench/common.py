"""What the benchmarks share: a long session bag, made once and kept under bench/out/ (not in
git), and peak-memory / CPU readings."""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
OUT = ROOT / "bench" / "out"

from sprint_fusion import msgs, topics  # noqa: E402
from sprint_fusion.bags.writer import typestore, write_bag  # noqa: E402
from sprint_fusion.sim.profiles import SprintSession  # noqa: E402
from sprint_fusion.sim.sensors import GnssModel, ImuModel, simulate_gnss, simulate_imu  # noqa: E402
from sprint_fusion.sim.truth import Running, Truth, sprint_truth  # noqa: E402

START_UTC = 1777629600.0
CHUNK = 60.0  # s of truth simulated at a time, so memory stays small


def session_bag(minutes: float, imu_rate: float = 400.0, gnss_rate: float = 20.0) -> Path:
    """A session of repeated sprints (a 6 s sprint a minute) as a bag of imu/data and the four
    GNSS topics; made on first use."""
    path = OUT / f"session_{minutes:g}min_{imu_rate:g}hz"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    reps = [{"mss": 8.5 + 0.5 * (k % 3), "tau": 1.1, "run_time": 6.0, "decel": 3.0, "rest": 60.0 - 6.0 - 3.0}
            for k in range(int(np.ceil(minutes)))]
    truth = sprint_truth(SprintSession(reps), duration=minutes * 60.0, rate=imu_rate, standstill=2.0,
                         running=Running(), oversample=1)
    store = typestore()
    types = msgs.bag_types(store)
    imu_model, gnss_model = ImuModel(rate=imu_rate, orientation=True), GnssModel(rate=gnss_rate)
    t0 = time.perf_counter()
    count = write_bag(path, _records(truth, imu_model, gnss_model, types), store)
    print(f"made {path.name}: {count} messages in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return path


def _records(truth: Truth, imu_model: ImuModel, gnss_model: GnssModel, types):
    per_chunk = int(round(CHUNK / (truth.t[1] - truth.t[0])))
    rng = np.random.default_rng(1)
    accel_var, gyro_var = imu_model.accel_sigma ** 2, imu_model.gyro_sigma ** 2
    for start in range(0, len(truth.t), per_chunk):
        sl = slice(start, start + per_chunk)
        piece = Truth(truth.t[sl], truth.position[sl], truth.velocity[sl], truth.acceleration[sl],
                      truth.euler[sl], truth.body_rate[sl], truth.distance[sl])
        out = []
        for s in simulate_imu(piece, imu_model, rng):
            stamp = START_UTC + s.stamp
            sample = type(s)(stamp, s.accel, s.gyro, s.orientation)
            for topic, msg in msgs.imu_messages(types, sample, topics.IMU_FRAME, accel_var, gyro_var,
                                                np.diag([1e-4, 1e-4, 1e-2])):
                if topic == topics.IMU_DATA:
                    out.append((stamp, "/" + topic, msg))
        for epoch in simulate_gnss(piece, gnss_model, rng):
            fix = epoch.fix
            fix = type(fix)(**{**fix.__dict__, "stamp": START_UTC + fix.stamp})
            for topic, msg in msgs.gnss_messages(types, fix, topics.GNSS_FRAME, topics.ENU_FRAME):
                out.append((START_UTC + epoch.receive_time, "/" + topic, msg))
        out.sort(key=lambda r: r[0])
        for t, topic, msg in out:
            yield topic, topics.TYPES[topic.lstrip("/")], msgs.stamp_to_ns(t), msg


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not carried over from the
    parent that forked it, e.g. the one that made the bag)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def spin_in_background(node):
    """Spin `node` on a thread until the returned event is set; (event, thread)."""
    import threading

    from rclpy.executors import SingleThreadedExecutor

    executor = SingleThreadedExecutor()
    executor.add_node(node)
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            executor.spin_once(timeout_sec=0.02)

    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    return stop, thread
