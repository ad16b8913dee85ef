"""read_blocks over an intact MCAP file read chunk by chunk in numpy: the IMU messages of a chunk
decoded together straight from the chunk's bytes, only the GNSS messages (a few per second) one
by one through rosbags, the inputs handed on as runs of equal-length messages — and the same
blocks, in the same order, as read_blocks makes message by message: GNSS epochs are assembled by
the same GnssAssembler, called at the same log times (at each GNSS message's, and at the first
log time of any message once a waiting fix has waited its HOLD_NS)."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import numpy as np

from ..core.samples import ImuBlock
from .cdr_pack import COV3, Packer
from .chunk_writer import Group
from .imu_columns import decode_imu_rows
from .salvage import ChunkMessages, chunk_columns
from .writer import BagError


def column_blocks(stream, block_size: int, with_inputs: bool):
    """read_blocks' blocks (and with_inputs, each block's input Groups) of a sequential MCAP file."""
    assembler = stream.assembler
    block: list = []
    inputs: list[Group] = []
    count = 0
    damage = None
    packers: dict = {}  # GNSS layouts met so far: built once, not per chunk

    def out(items):
        nonlocal inputs
        if not with_inputs:
            return items
        done, inputs = inputs, []
        return items, done

    try:
        for channels, chunk in chunk_columns(stream.path):
            kind = _kinds(stream, channels, chunk)
            if with_inputs:
                inputs += _runs(channels, chunk)
            events = _releases(stream, assembler, channels, chunk, kind, packers)
            imu = np.flatnonzero(kind == 1)
            imu_log = chunk.log_ns[imu]
            imu_blocks = functools.partial(_imu_span, stream, channels, chunk, imu, _chunk_imu(chunk, imu))
            done = 0
            for at, fixes in events:  # the IMU logged before the release, then the fixes
                upto = int(np.searchsorted(imu_log, at, side="left"))
                block += imu_blocks(done, upto)
                block += fixes
                done = upto
            count += len(chunk.log_ns)
            # the chunk's last IMU messages in runs of about block_size, cut between log times
            while len(imu) - done > block_size:
                cut = done + _cut(imu_log[done:], block_size)
                block += imu_blocks(done, cut)
                done = cut
                yield out(block)
                block, count = [], len(imu) - done
            block += imu_blocks(done, len(imu))
            if count >= block_size:
                yield out(block)
                block, count = [], 0
    except BagError as err:
        damage = err
    last = assembler.finish()
    if block or last or inputs:
        yield out(block + last)
    stream.report(damage)


def _kinds(stream, channels: dict, chunk: ChunkMessages) -> np.ndarray:
    """Per message: 1 the IMU topic, 2 a GNSS topic, 0 anything else."""
    by_channel = {}
    for cid in np.unique(chunk.channel).tolist():
        name = stream.name(channels[cid])
        by_channel[cid] = 1 if name == stream.imu_topic else 2 if name in stream.gnss else 0
    lookup = np.zeros(max(by_channel) + 1 if by_channel else 1, dtype=np.int8)
    for cid, k in by_channel.items():
        lookup[cid] = k
    return lookup[chunk.channel]


def _releases(stream, assembler, channels: dict, chunk: ChunkMessages, kind: np.ndarray, packers: dict) -> list:
    """(log time, fixes released then) in order: at each log time with GNSS messages, and at the
    first log time of the chunk at which a waiting fix has waited HOLD_NS."""
    times = np.unique(chunk.log_ns)  # every log time a message-by-message reader groups on
    gnss = np.flatnonzero(kind == 2)
    decoded = _gnss_messages(stream, channels, chunk, gnss, packers)
    groups: dict[int, list] = {}
    for k in gnss.tolist():
        conn = channels[int(chunk.channel[k])]
        msg = decoded[k]
        items = groups.setdefault(int(chunk.log_ns[k]), [])
        if msg is not None:
            items.append((stream.gnss[stream.name(conn)], msg))
    events = []

    def timeouts(before: float) -> None:
        while assembler.pending:
            due = assembler.pending[0][0] + assembler.HOLD_NS
            k = int(np.searchsorted(times, due, side="left"))
            if k == len(times) or times[k] >= before:
                return
            fixes = assembler.group([], int(times[k]))
            if not fixes:
                return
            events.append((int(times[k]), fixes))

    for at, items in groups.items():  # dicts keep insertion order: log-time order
        timeouts(at)
        fixes = assembler.group(items, at)
        if fixes:
            events.append((at, fixes))
    timeouts(np.inf)
    return events


# What the GNSS assembler reads of each message (msgs.fix_part, add_velocity_part, add_heading_part)
_STAMP = {"sec": ("header.stamp.sec", "<i4"), "nanosec": ("header.stamp.nanosec", "<u4")}
_GNSS_FIELDS = {
    "sensor_msgs/msg/NavSatFix": {**_STAMP, "status": ("status.status", "<i1"), "latitude": ("latitude", "<f8"),
                                  "longitude": ("longitude", "<f8"), "altitude": ("altitude", "<f8"),
                                  **{f"c{k}": (f"position_covariance[{k}]", "<f8") for k in range(9)}},
    "geometry_msgs/msg/TwistWithCovarianceStamped": {**_STAMP, **{a: (f"twist.twist.linear.{a}", "<f8") for a in "xyz"},
                                                     **{f"c{k}": (f"twist.covariance[{k}]", "<f8") for k in COV3}},
    "sensor_msgs/msg/Imu": {**_STAMP, **{a: (f"orientation.{a}", "<f8") for a in "xyzw"},
                            "c8": ("orientation_covariance[8]", "<f8")},
    "std_msgs/msg/UInt8": {"data": ("data", "<u1")},
}


def _gnss_messages(stream, channels: dict, chunk: ChunkMessages, index: np.ndarray, packers: dict) -> dict:
    """Message index → the GNSS message (None: does not decode). Runs of one connection and one
    length are read in numpy through a Packer built on the run's first message (decoded by rosbags),
    as light objects with the fields the assembler reads; anything else goes through rosbags."""
    out = {}
    for cid in np.unique(chunk.channel[index]).tolist():
        conn = channels[cid]
        mine = index[chunk.channel[index] == cid]
        for size in np.unique(chunk.size[mine]).tolist():
            run = mine[chunk.size[mine] == size]
            first = stream.decode(conn, int(chunk.log_ns[run[0]]), chunk.raw(run[0]))
            fields = _GNSS_FIELDS.get(conn.msgtype)
            rows = chunk.rows(run)
            same = rows is not None and len(rows) > 1 and (rows[:, :4] == rows[0, :4]).all() and (
                conn.msgtype == "std_msgs/msg/UInt8" or (rows[:, 12:16] == rows[0, 12:16]).all())  # one frame_id length
            if first is None or fields is None or not same:
                out.update({k: stream.decode(conn, int(chunk.log_ns[k]), chunk.raw(k)) for k in run.tolist()})
                continue
            layout = (conn.msgtype, size, rows[0, :4].tobytes() + rows[0, 12:16].tobytes())  # encoding, frame_id length
            if layout not in packers:
                try:
                    packers[layout] = Packer(stream.reader.store, conn.msgtype, first, fields)
                except (ValueError, KeyError, AttributeError):  # not the layout the fields were named for
                    packers[layout] = None
            if packers[layout] is None:
                out.update({k: stream.decode(conn, int(chunk.log_ns[k]), chunk.raw(k)) for k in run.tolist()})
                continue
            out.update(zip(run.tolist(), _light(conn.msgtype, packers[layout].unpack(rows)), strict=True))
    return out


def _light(msgtype: str, v: np.ndarray) -> list:
    """The decoded fields as objects shaped like the messages (only what the assembler reads). Each
    field is taken out of the structured array once, as a list or a block of covariance rows, and
    the objects made from those (a field of one row read at a time cost 0.3 µs, 20 per message)."""
    col = {name: v[name].tolist() for name in v.dtype.names if not (name[0] == "c" and name[1:].isdigit())}

    def covariances(size: int, at) -> np.ndarray:  # each message's covariance, the unread entries zero
        block = np.zeros((len(v), size))
        for j in at:
            block[:, j] = v[f"c{j}"]
        return block

    def header(k):
        return SimpleNamespace(stamp=SimpleNamespace(sec=col["sec"][k], nanosec=col["nanosec"][k]))

    n = len(v)
    if msgtype == "std_msgs/msg/UInt8":
        return [SimpleNamespace(data=d) for d in col["data"]]
    if msgtype == "sensor_msgs/msg/NavSatFix":
        cov = covariances(9, range(9))
        return [SimpleNamespace(header=header(k), status=SimpleNamespace(status=col["status"][k]),
                                latitude=col["latitude"][k], longitude=col["longitude"][k],
                                altitude=col["altitude"][k], position_covariance=cov[k]) for k in range(n)]
    if msgtype == "sensor_msgs/msg/Imu":
        cov = covariances(9, (8,))
        return [SimpleNamespace(header=header(k), orientation=SimpleNamespace(
            x=col["x"][k], y=col["y"][k], z=col["z"][k], w=col["w"][k]), orientation_covariance=cov[k])
            for k in range(n)]
    cov = covariances(36, COV3)
    return [SimpleNamespace(header=header(k), twist=SimpleNamespace(twist=SimpleNamespace(
        linear=SimpleNamespace(x=col["x"][k], y=col["y"][k], z=col["z"][k])), covariance=cov[k])) for k in range(n)]


def _imu_span(stream, channels: dict, chunk: ChunkMessages, imu: np.ndarray, decoded: ImuBlock | None,
              lo: int, hi: int) -> list[ImuBlock]:
    """The chunk's IMU messages imu[lo:hi]: a slice of the chunk's decoded columns (one decode a
    chunk, not one a run between two fixes), else decoded run by run."""
    if decoded is not None:
        return [decoded.take(slice(lo, hi))] if hi > lo else []
    return _imu_blocks(stream, channels, chunk, imu[lo:hi])


def _chunk_imu(chunk: ChunkMessages, index: np.ndarray) -> ImuBlock | None:
    """A chunk's IMU messages decoded at once, when they share one layout (else None: run by run)."""
    rows = chunk.rows(index) if len(index) else None
    return decode_imu_rows(rows) if rows is not None else None


def _imu_blocks(stream, channels: dict, chunk: ChunkMessages, index: np.ndarray) -> list[ImuBlock]:
    if not len(index):
        return []
    rows = chunk.rows(index)
    columns = decode_imu_rows(rows) if rows is not None else None
    if columns is None:  # not one layout: one by one, as the message-by-message reader does
        samples = [stream.imu_sample(channels[int(chunk.channel[k])], int(chunk.log_ns[k]), chunk.raw(k))
                   for k in index.tolist()]
        samples = [s for s in samples if s is not None]
        return [ImuBlock.of(samples)] if samples else []
    return [columns]


def _runs(channels: dict, chunk: ChunkMessages) -> list[Group]:
    """The chunk's messages as Groups of one connection and one length, in log-time order within
    each, with their MCAP record headers in front (a writer rewrites them in place)."""
    runs = []
    for cid in np.unique(chunk.channel).tolist():
        mine = np.flatnonzero(chunk.channel == cid)
        for size in np.unique(chunk.size[mine]).tolist():
            index = mine[chunk.size[mine] == size]
            records = chunk.rows(index, record=True)
            runs.append(Group.with_room(channels[cid], chunk.log_ns[index], records))
    return runs


def _cut(log_ns: np.ndarray, size: int) -> int:
    """An index near `size` where the log time changes (a block never splits one log time)."""
    changes = np.flatnonzero(np.diff(log_ns)) + 1
    k = int(np.searchsorted(changes, size))
    return int(changes[k]) if k < len(changes) else len(log_ns)
