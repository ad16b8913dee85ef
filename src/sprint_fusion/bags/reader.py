"""Read bags (rosbag2 MCAP/sqlite3 and ROS 1) into plain samples, in log-time order.

GNSS epochs are reassembled: gnss/vel and gnss/heading join the gnss/fix with the same header
stamp; gnss/fix_type (no header) applies to every fix logged at or after it. Messages are
handled in groups of equal log time, so how a reader orders ties does not matter.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rosbags.highlevel import AnyReader

from .. import msgs, topics
from ..core.samples import FixType
from .writer import BagError, typestore


@dataclass
class TruthSeries:
    t: np.ndarray
    distance: np.ndarray  # along the path, m
    position: np.ndarray  # ENU around `origin`, m
    velocity: np.ndarray  # ENU, m/s
    origin: tuple[float, float, float] | None

    @property
    def speed(self) -> np.ndarray:
        return np.hypot(self.velocity[:, 0], self.velocity[:, 1])


def _reader(path: str | Path) -> AnyReader:
    path = Path(path)
    if not path.exists():
        raise BagError(f"{path}: no such bag")
    try:
        reader = AnyReader([path], default_typestore=typestore())
        reader.open()
    except Exception as err:  # rosbags raises several types for unreadable bags
        raise BagError(f"{path}: cannot open bag: {err}") from err
    return reader


def topics_in(path: str | Path) -> dict[str, str]:
    reader = _reader(path)
    try:
        return {c.topic: c.msgtype for c in reader.connections}
    finally:
        reader.close()


class GnssAssembler:
    def __init__(self):
        self.fix_type: FixType | None = None
        self.velocity: dict[int, object] = {}
        self.heading: dict[int, object] = {}

    def group(self, items: list[tuple[str, object]]) -> list:
        """Handle the GNSS messages of one log time; return the fixes completed."""
        for part, msg in items:
            if part == topics.GNSS_FIX_TYPE:
                self.fix_type = FixType(int(msg.data))
            elif part == topics.GNSS_VEL:
                self.velocity[msgs.stamp_to_ns(msgs.stamp_of(msg))] = msg
            elif part == topics.GNSS_HEADING:
                self.heading[msgs.stamp_to_ns(msgs.stamp_of(msg))] = msg
        fixes = []
        for part, msg in items:
            if part == topics.GNSS_FIX:
                key = msgs.stamp_to_ns(msgs.stamp_of(msg))
                fixes.append(msgs.gnss_fix(msg, self.velocity.pop(key, None), self.heading.pop(key, None),
                                           self.fix_type))
                # companions of older epochs whose fix never came are dropped
                self.velocity = {k: v for k, v in self.velocity.items() if k > key}
                self.heading = {k: v for k, v in self.heading.items() if k > key}
        return fixes


def parse_remap(rules) -> dict[str, str]:
    """['/fix:=gnss/fix', …] → {'/fix': 'gnss/fix'}: bag topic → the topic this package reads."""
    out = {}
    for rule in rules or ():
        src, sep, dst = rule.partition(":=")
        if not sep or not src or not dst:
            raise BagError(f"remap '{rule}': expected FROM:=TO, e.g. /fix:=gnss/fix")
        out[src] = dst
    return out


def read_stream(path: str | Path, namespace: str = "", imu_topic: str | None = None, remap=None):
    """Every message of the bag in log-time order as (connection, log_ns, raw, events), where
    events are the ('imu' | 'gnss', sample) it completes (see read_samples).

    `remap` maps bag topics onto this package's names ({'/fix': 'gnss/fix'}); names without
    a leading '/' are taken under `namespace`.
    """
    remap = {src: topics.resolve(dst, namespace) if not dst.startswith("/") else dst
             for src, dst in (remap or {}).items()}
    reader = _reader(path)
    position = "at the start"
    try:
        def name(conn):
            return remap.get(conn.topic, conn.topic)

        present = {name(c) for c in reader.connections}
        if imu_topic is None:
            data = topics.resolve(topics.IMU_DATA, namespace)
            imu_topic = data if data in present else topics.resolve(topics.IMU_RAW, namespace)
        gnss = {topics.resolve(t, namespace): t for t in topics.GNSS_TOPICS}
        assembler = GnssAssembler()
        for log_ns, group in itertools.groupby(reader.messages(), key=lambda m: m[1]):
            position = f"at log time {log_ns * 1e-9:.6f} s"
            items, gnss_items, imu_items = [], [], []
            for conn, _, raw in group:
                topic = name(conn)
                if topic == imu_topic or topic in gnss:
                    msg = reader.deserialize(raw, conn.msgtype)
                    if topic == imu_topic:
                        imu_items.append(msgs.imu_sample(msg))
                    else:
                        gnss_items.append((gnss[topic], msg))
                items.append((conn, raw))
            events = [("gnss", f) for f in assembler.group(gnss_items)] + [("imu", s) for s in imu_items]
            for k, (conn, raw) in enumerate(items):
                yield conn, log_ns, raw, events if k == len(items) - 1 else []
    except BagError:
        raise
    except Exception as err:
        raise BagError(f"{path}: cannot read bag {position}: {err}") from err
    finally:
        reader.close()


def read_samples(path: str | Path, namespace: str = "", imu_topic: str | None = None, remap=None
                 ) -> Iterator[tuple[str, object, int]]:
    """(kind, sample, log_time_ns) in log-time order: kind 'imu' or 'gnss'.

    The IMU topic defaults to imu/data (with the device orientation) when the bag has it,
    else imu/data_raw.
    """
    for _, log_ns, _, events in read_stream(path, namespace, imu_topic, remap):
        for kind, sample in events:
            yield kind, sample, log_ns


def read_truth(path: str | Path, namespace: str = "") -> TruthSeries:
    reader = _reader(path)
    try:
        names = (topics.TRUTH_TRACK, topics.TRUTH_VELOCITY, topics.TRUTH_POSE, topics.TRUTH_ORIGIN)
        want = {topics.resolve(t, namespace): t for t in names}
        conns = [c for c in reader.connections if c.topic in want]
        if not any(want[c.topic] == topics.TRUTH_TRACK for c in conns):
            track = topics.resolve(topics.TRUTH_TRACK, namespace)
            raise BagError(f"{path}: no truth topics (a simulated bag has {track})")
        rows: dict[str, list] = {k: [] for k in want.values()}
        for conn, _, raw in reader.messages(connections=conns):
            rows[want[conn.topic]].append(reader.deserialize(raw, conn.msgtype))
    finally:
        reader.close()
    track, vel, pose = rows[topics.TRUTH_TRACK], rows[topics.TRUTH_VELOCITY], rows[topics.TRUTH_POSE]
    origin = rows[topics.TRUTH_ORIGIN][0] if rows[topics.TRUTH_ORIGIN] else None
    return TruthSeries(
        np.array([msgs.stamp_of(m) for m in track]),
        np.array([m.point.x for m in track]),
        np.array([[m.pose.position.x, m.pose.position.y, m.pose.position.z] for m in pose]),
        np.array([[m.twist.linear.x, m.twist.linear.y, m.twist.linear.z] for m in vel]),
        (origin.latitude, origin.longitude, origin.altitude) if origin else None,
    )
