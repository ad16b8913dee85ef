"""Read bags (rosbag2 MCAP/sqlite3 and ROS 1) into plain samples, in log-time order.

GNSS epochs are reassembled: gnss/vel and gnss/heading join the gnss/fix with the same header
stamp; gnss/fix_type (no header) applies to every fix logged at or after it. Messages are
handled in groups of equal log time, so how a reader orders ties does not matter.
"""

from __future__ import annotations

import collections
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rosbags.highlevel import AnyReader

from .. import msgs, topics
from ..core.samples import FixType, GnssFix, ImuBlock
from ..core.timeline import GnssEpochs
from .imu_columns import decode_imus
from .salvage import BagDamageError, mcap_file, salvage_mcap, sequential_connections
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


class BagSource:
    """One bag's connections and messages in log-time order. An MCAP file whose chunks follow
    each other in time (every writer we know writes them so) is read front to back by the
    sequential scanner, in constant memory; other bags by rosbags' AnyReader; an MCAP file that
    reader refuses (a crashed recording, a damaged region) by the scanner too, which reads every
    message up to the damage and then raises BagDamageError."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.exists():
            raise BagError(f"{self.path}: no such bag")
        self.store = typestore()
        self._reader: AnyReader | None = None
        self.sequential = False
        if self._mcap():
            connections = sequential_connections(self.path, self.store.types)
            if connections is not None:
                self.connections, self.sequential = connections, True
                return
        try:
            reader = AnyReader([self.path], default_typestore=self.store)
            reader.open()
            self._reader = reader
            self.connections = list(reader.connections)
        except Exception as err:  # rosbags raises several types for unreadable bags
            if not self._mcap():
                raise BagError(f"{self.path}: cannot open bag: {err}") from err
            self.connections = self._salvage_connections()

    def _mcap(self) -> bool:
        try:
            return mcap_file(self.path).suffix == ".mcap"
        except BagError:
            return False

    def _salvage_connections(self) -> list:
        found: dict = {}
        try:
            for conn, _, _ in salvage_mcap(self.path):
                found.setdefault(conn, None)
        except BagDamageError as damage:
            if not damage.messages:
                raise
        return list(found)

    def _locate_damage(self, err: Exception):
        """Raise the error of a read that failed mid-way, with its byte offset for an MCAP file."""
        if self._mcap():
            try:
                for _ in salvage_mcap(self.path):
                    pass
            except BagDamageError as damage:
                raise damage from err
        raise BagError(f"{self.path}: cannot read bag: {err}") from err

    @property
    def cdr(self) -> bool:
        """Messages are CDR (rosbag2), not ROS 1 serialisation."""
        return self._reader is None or bool(self._reader.is2)

    @property
    def salvaging(self) -> bool:
        """Read by the scanner because the file is damaged."""
        return self._reader is None and not self.sequential

    def messages(self, connections=None):
        if self._reader is not None:
            try:
                yield from self._reader.messages(connections=connections)
            except Exception as err:  # damage behind an intact summary
                self._locate_damage(err)
            return
        wanted = set(connections) if connections is not None else None
        for conn, log_ns, raw in salvage_mcap(self.path):
            if wanted is None or conn in wanted:
                yield conn, log_ns, raw

    def deserialize(self, raw, msgtype: str):
        if self._reader is not None:
            return self._reader.deserialize(raw, msgtype)
        return self.store.deserialize_cdr(raw, msgtype)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def topics_in(path: str | Path) -> dict[str, str]:
    with BagSource(path) as bag:
        return {c.topic: c.msgtype for c in bag.connections}


class GnssAssembler:
    """gnss/fix + the gnss/vel and gnss/heading of its stamp + the latest gnss/fix_type, joined by
    the timeline's GnssEpochs.

    Bags record each topic as it was received, and DDS does not order deliveries across topics,
    so a fix may be logged before its companions: it waits for them (those the bag has at all)
    up to HOLD_NS of log time, as the live nodes wait for their reorder window.
    """

    HOLD_NS = 50_000_000

    def __init__(self, companions=(topics.GNSS_VEL, topics.GNSS_HEADING)):
        self.fix_type: FixType | None = None
        self.epochs = GnssEpochs()
        self.parts = {topics.GNSS_VEL: ("velocity", msgs.add_velocity_part),
                      topics.GNSS_HEADING: ("heading", msgs.add_heading_part)}
        self.expected = [self.parts[c][0] for c in companions]
        self.pending: list[tuple[int, object]] = []  # (log time, gnss/fix) waiting for companions

    def group(self, items: list[tuple[str, object]], log_ns: int) -> list:
        """Handle the GNSS messages of one log time; return the fixes completed."""
        for part, msg in items:
            if part == topics.GNSS_FIX_TYPE:
                self.fix_type = FixType(int(msg.data))
            elif part in self.parts:
                self.parts[part][1](self.epochs, msg)
            elif part == topics.GNSS_FIX:
                self.pending.append((log_ns, msgs.fix_part(msg, self.fix_type)))
        return self._release(log_ns)

    def finish(self) -> list:
        return self._release(None)

    def _release(self, now_ns: int | None) -> list:
        fixes = []
        while self.pending:
            logged, fix = self.pending[0]
            key = msgs.stamp_to_ns(fix.stamp)
            complete = all(self.epochs.has(part, key) for part in self.expected)
            if not (complete or now_ns is None or now_ns - logged >= self.HOLD_NS):
                break
            self.pending.pop(0)
            fixes.append(self.epochs.complete(key, fix))
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


def resolved_remap(remap: dict | None, namespace: str = "") -> dict[str, str]:
    """parse_remap's rules with their targets as full topic names (in the namespace, unless absolute)."""
    return {src: topics.resolve(dst, namespace) if not dst.startswith("/") else dst
            for src, dst in (remap or {}).items()}


END = object()  # _Stream.groups()' last log time


class _Stream:
    """What read_stream and read_blocks share: topic selection, GNSS assembly, decoding errors
    and damage, over the bag's messages grouped by log time."""

    def __init__(self, path, namespace: str, imu_topic: str | None, remap, on_damage, require_inputs: bool = True):
        self.path, self.on_damage = path, on_damage
        self.remap = resolved_remap(remap, namespace)
        self.reader = BagSource(path)
        present = {self.name(c) for c in self.reader.connections}
        if imu_topic is None:
            data = topics.resolve(topics.IMU_DATA, namespace)
            imu_topic = data if data in present else topics.resolve(topics.IMU_RAW, namespace)
        self.imu_topic = imu_topic
        self.gnss = {topics.resolve(t, namespace): t for t in topics.GNSS_TOPICS}
        if require_inputs:
            self._check_inputs(present, topics.resolve(topics.GNSS_FIX, namespace))
        self.assembler = GnssAssembler([self.gnss[t] for t in self.gnss if t in present and self.gnss[t] in
                                        (topics.GNSS_VEL, topics.GNSS_HEADING)])
        self.undecodable: list[str] = []

    def name(self, conn) -> str:
        return self.remap.get(conn.topic, conn.topic)

    def _check_inputs(self, present: set[str], fix_topic: str) -> None:
        """Both sensors must be there under this package's names: else say what the bag has and
        the --remap that would read it."""
        wanted = {self.imu_topic: "sensor_msgs/msg/Imu", fix_topic: "sensor_msgs/msg/NavSatFix"}
        missing = {topic: msgtype for topic, msgtype in wanted.items() if topic not in present}
        if not missing:
            return
        has = sorted((self.name(c), c.msgtype) for c in self.reader.connections)
        ours = {"/" + t.lstrip("/") for t in topics.TYPES} | {self.name(c) for c in self.reader.connections
                                                               if self.name(c).endswith(tuple(topics.TYPES))}
        hints = [f"--remap {topic}:={want.lstrip('/')}" for want, msgtype in missing.items()
                 for topic, kind in has if kind == msgtype and topic not in ours]
        self.reader.close()
        raise BagError(f"{self.path}: no {' and no '.join(missing)} — the bag has "
                       + (", ".join(f"{t} ({k.split('/')[-1]})" for t, k in has) or "no topics")
                       + (f"; to read it as this package's, try: {' '.join(hints)}" if hints else ""))

    def decode(self, conn, log_ns: int, raw):
        try:
            return self.reader.deserialize(raw, conn.msgtype)
        except Exception as err:  # rosbags raises several types for bad CDR
            self.undecodable.append(f"{conn.topic} at log time {log_ns * 1e-9:.6f} s: {err}")
            return None

    def imu_sample(self, conn, log_ns: int, raw):
        msg = self.decode(conn, log_ns, raw)
        return None if msg is None else msgs.imu_sample(msg)

    def groups(self):
        """(log_ns, [(conn, raw)], GNSS fixes completed, [(conn, raw) of the IMU topic]) per log
        time; a group with no messages carries the fixes still waiting at the end, then one with
        log_ns END marks the end. Damage is raised or reported (on_damage) after that."""
        damage: BagError | None = None
        log_ns = None
        try:
            try:
                for log_ns, group in itertools.groupby(self.reader.messages(), key=lambda m: m[1]):
                    items, gnss_items, imu_items = [], [], []
                    for conn, _, raw in group:
                        topic = self.name(conn)
                        if topic == self.imu_topic:
                            imu_items.append((conn, raw))
                        elif topic in self.gnss:
                            msg = self.decode(conn, log_ns, raw)
                            if msg is not None:
                                gnss_items.append((self.gnss[topic], msg))
                        items.append((conn, raw))
                    yield log_ns, items, self.assembler.group(gnss_items, log_ns), imu_items
            except BagError as err:
                damage = err
            except Exception as err:  # a reader failing inside an intact container
                damage = BagError(f"{self.path}: cannot read bag after log time {(log_ns or 0) * 1e-9:.6f} s: {err}")
            last = self.assembler.finish()
            if last:
                yield log_ns, [], last, []
            yield END, [], [], []  # callers finish while the bag is open, before damage is raised
            self.report(damage)
        finally:
            self.reader.close()

    def report(self, damage: BagError | None) -> None:
        """After the last message: the damage met, or else the messages that did not decode, raised
        or handed to on_damage."""
        if damage is None and self.undecodable:
            damage = BagError(f"{self.path}: {len(self.undecodable)} messages do not decode and were skipped; "
                              f"the first: {self.undecodable[0]}")
        if damage is not None:
            if self.on_damage is None:
                raise damage
            self.on_damage(damage)


def read_stream(path: str | Path, namespace: str = "", imu_topic: str | None = None, remap=None,
                on_damage=None, require_inputs: bool = True):
    """Every message of the bag in log-time order as (connection, log_ns, raw, events), where
    events are the ('imu' | 'gnss', sample) it completes (see read_samples); a last item with
    connection None carries fixes still waiting for companions at the end.

    `remap` maps bag topics onto this package's names ({'/fix': 'gnss/fix'}); names without
    a leading '/' are taken under `namespace`.

    Damage: a damaged file is read up to the damage; a message that does not decode is skipped
    (the rest is read). Then on_damage(BagError) is called once, saying where — or, without
    on_damage, that error is raised after the last readable message. A bag without the IMU or the
    GNSS fix topic is refused at once (require_inputs), naming the topics it has.
    """
    stream = _Stream(path, namespace, imu_topic, remap, on_damage, require_inputs)
    for log_ns, items, fixes, imu_items in stream.groups():
        if log_ns is END:
            continue
        imu = [stream.imu_sample(conn, log_ns, raw) for conn, raw in imu_items]
        events = [("gnss", f) for f in fixes] + [("imu", s) for s in imu if s is not None]
        if not items:
            yield None, log_ns, None, events
        for k, (conn, raw) in enumerate(items):
            yield conn, log_ns, raw, events if k == len(items) - 1 else []


def read_calibration(path: str | Path, namespace: str = "", remap=None, limit: int = 6000
                     ) -> tuple[list[GnssFix], ImuBlock | None]:
    """The bag's GNSS fixes (completed with their velocity) and the IMU samples of the spans around
    the first sprint starts they show (sprint_starts.SprintStarts; None without one): what the
    measures of the velocity's lag need, read in one pass that decodes only the IMU messages logged
    in the IMU_KEPT_NS before a start's span is past (the rest stay raw bytes) and stops once
    MAX_STARTS starts were read, or at `limit` fixes (ten minutes at 10 Hz). A damaged bag gives
    what comes before the damage."""
    from ..core.sprint_starts import MAX_STARTS, SprintStarts

    stream = _Stream(path, namespace, None, remap, on_damage=lambda err: None, require_inputs=False)
    fixes: list[GnssFix] = []
    starts = SprintStarts()
    recent: collections.deque = collections.deque()  # (log_ns, conn, raw) of the last IMU_KEPT_NS
    waiting: list[tuple[int, float, float]] = []  # spans found: (log time to decode at, from, to)
    blocks: list[ImuBlock] = []
    for log_ns, _, completed, imu_items in stream.groups():
        if log_ns is END:
            break
        fixes += completed
        for fix in completed:
            span = starts.add(fix)
            if span is not None:  # log time runs beside the stamps: decode once it is past the span
                waiting.append((log_ns + int((span[1] - fix.stamp + SPAN_MARGIN) * 1e9), *span))
        if waiting or len(starts.spans) < MAX_STARTS:
            recent.extend((log_ns, conn, raw) for conn, raw in imu_items)
            while recent and recent[0][0] < log_ns - IMU_KEPT_NS:
                recent.popleft()
        while waiting and log_ns >= waiting[0][0]:
            _, lo, hi = waiting.pop(0)
            blocks.append(_span_samples(stream, recent, lo, hi))
        if len(fixes) >= limit or len(blocks) >= MAX_STARTS:  # the first starts say all the measures can
            stream.reader.close()
            break
    blocks += [_span_samples(stream, recent, lo, hi) for _, lo, hi in waiting]  # the bag ended first
    blocks = [b for b in blocks if len(b)]
    return fixes, ImuBlock.concat(blocks) if blocks else None


SPAN_MARGIN = 0.5  # s of log time after a span's end before its IMU samples are taken
IMU_KEPT_NS = 10_000_000_000  # a span (4 s) and the time its running epoch takes to show it


def _span_samples(stream: _Stream, recent, lo: float, hi: float) -> ImuBlock:
    """The IMU samples stamped in [lo − 1 s, hi + 1 s] among the messages kept."""
    raws = [(conn, log_ns, raw) for log_ns, conn, raw in recent]
    block = decode_imus([raw for _, _, raw in raws]) if stream.reader.cdr else None
    if block is None:
        samples = [stream.imu_sample(conn, log_ns, raw) for conn, log_ns, raw in raws]
        block = ImuBlock.of([s for s in samples if s is not None])
    return block.take(np.flatnonzero((block.stamps >= lo - 1.0) & (block.stamps <= hi + 1.0)))


def bag_params(params, path: str | Path, namespace: str = "", remap=None, calibration=None):
    """params for this bag: with gnss.velocity_latency_estimate, the velocity's lag measured on
    its fixes and sprint starts (core.velocity_lag), and the line saying what was found (None:
    nothing done). What demo, replay, report and batch run with. `calibration`: read_calibration's
    result where it was read elsewhere (replay's read-ahead child reads it while this process
    starts up)."""
    from ..core.velocity_lag import calibrated

    if not measures_lag(params):
        return params, None
    return calibrated(params, *(calibration if calibration is not None else read_calibration(path, namespace, remap)))


def measures_lag(params) -> bool:
    """bag_params measures the velocity's lag on the bag (reads its calibration first)."""
    return bool(params["gnss.velocity_latency_estimate"] and params["gnss.velocity"])


def read_samples(path: str | Path, namespace: str = "", imu_topic: str | None = None, remap=None
                 ) -> Iterator[tuple[str, object, int]]:
    """(kind, sample, log_time_ns) in log-time order: kind 'imu' or 'gnss'.

    The IMU topic defaults to imu/data (with the device orientation) when the bag has it,
    else imu/data_raw. Either sensor may be missing: this reads what there is.
    """
    for _, log_ns, _, events in read_stream(path, namespace, imu_topic, remap, require_inputs=False):
        for kind, sample in events:
            yield kind, sample, log_ns


def read_blocks(path: str | Path, namespace: str = "", imu_topic: str | None = None, remap=None,
                on_damage=None, block_size: int = 4096, with_inputs: bool = False) -> Iterator:
    """read_samples' samples in the same order, as lists of GNSS fixes and ImuBlocks (the IMU
    samples between two fixes, decoded together) of about block_size messages: the offline
    chain's input (SprintFusion.push_block). Damage as read_stream.

    with_inputs: (block, the block's messages as chunk_writer.Groups — runs of one connection and
    one length, raw CDR; none for a ROS 1 bag, whose messages are not CDR) — what replay copies.

    An intact MCAP file whose chunks follow each other in time is read a chunk at a time in numpy
    (column_reader); anything else message by message — the same blocks either way."""
    stream = _Stream(path, namespace, imu_topic, remap, on_damage)
    if stream.reader.sequential:
        from .column_reader import column_blocks

        yield from column_blocks(stream, block_size, with_inputs)
        return
    block: list[ImuBlock | GnssFix] = []
    pending: list[tuple[object, int, bytes]] = []  # IMU messages not decoded yet
    inputs: list[tuple[object, int, bytes]] = []
    count = 0

    def decoded() -> list[ImuBlock]:
        columns = decode_imus([raw for _, _, raw in pending]) if stream.reader.cdr else None
        if columns is None:  # not one layout: one by one, as read_samples does
            samples = [stream.imu_sample(conn, log_ns, raw) for conn, log_ns, raw in pending]
            samples = [s for s in samples if s is not None]
            columns = ImuBlock.of(samples) if samples else None
        pending.clear()
        return [columns] if columns is not None else []

    def out(items):
        nonlocal inputs
        if not with_inputs:
            return items
        done, inputs = inputs, []
        return items, input_runs(done)

    for log_ns, items, fixes, imu_items in stream.groups():
        if log_ns is END:
            if block or pending or inputs:
                yield out(block + decoded())
            continue
        if fixes:
            block += decoded() + fixes
        pending += [(conn, log_ns, raw) for conn, raw in imu_items]
        if with_inputs and stream.reader.cdr:
            inputs += [(conn, log_ns, raw) for conn, raw in items]
        count += len(items)
        if count >= block_size:
            yield out(block + decoded())
            block, count = [], 0


def input_runs(messages: list[tuple[object, int, bytes]]) -> list:
    """(connection, log_ns, raw) messages as Groups of one connection and one length."""
    from .chunk_writer import Group

    by_conn: dict = {}  # by identity: a rosbag2 sqlite3 connection holds its QoS profiles in a list (unhashable)
    for conn, log_ns, raw in messages:
        by_conn.setdefault(id(conn), (conn, []))[1].append((log_ns, bytes(raw)))
    return [g for conn, items in by_conn.values()
            for g in Group.of_bytes(conn, [n for n, _ in items], [r for _, r in items])]


def read_truth(path: str | Path, namespace: str = "") -> TruthSeries:
    reader = BagSource(path)
    try:
        names = (topics.TRUTH_TRACK, topics.TRUTH_VELOCITY, topics.TRUTH_POSE, topics.TRUTH_ORIGIN)
        want = {topics.resolve(t, namespace): t for t in names}
        conns = [c for c in reader.connections if c.topic in want]
        if not any(want[c.topic] == topics.TRUTH_TRACK for c in conns):
            track = topics.resolve(topics.TRUTH_TRACK, namespace)
            raise BagError(f"{path}: no truth topics (a simulated bag has {track})")
        rows: dict[str, list] = {k: [] for k in want.values()}
        try:
            for conn, _, raw in reader.messages(connections=conns):
                rows[want[conn.topic]].append(reader.deserialize(raw, conn.msgtype))
        except BagDamageError:
            pass  # the truth up to the damage; read_stream reports the damage itself
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


def read_beforehand(path: str | Path, namespace: str = "", remap=None, lag: bool = True) -> tuple:
    """What replay reads of a bag before its blocks, for the replay command's read-ahead child to
    read while the command starts up: (read_calibration's result, or None without `lag`;
    read_start_signals). Loads no compiled steps."""
    return (read_calibration(path, namespace, remap) if lag else None), read_start_signals(path, namespace)


def read_start_signals(path: str | Path, namespace: str = "") -> list[float]:
    """Stamps of the bag's external start signals (sprint/start, std_msgs/Header), if any."""
    topic = topics.resolve(topics.SPRINT_START, namespace)
    with BagSource(path) as reader:
        conns = [c for c in reader.connections if c.topic == topic]
        if not conns:
            return []
        stamps = []
        try:
            for c, _, raw in reader.messages(conns):
                header = reader.deserialize(raw, c.msgtype)
                stamps.append(header.stamp.sec + header.stamp.nanosec * 1e-9)
        except BagDamageError:
            pass  # those before the damage; read_stream reports the damage
        return stamps
