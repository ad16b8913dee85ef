"""read_blocks over an intact MCAP file read chunk by chunk in numpy: the IMU messages of a chunk
decoded together straight from the chunk's bytes, only the GNSS messages (a few per second) one
by one through rosbags, the inputs handed on as runs of equal-length messages — and the same
blocks, in the same order, as read_blocks makes message by message: GNSS epochs are assembled by
the same GnssAssembler, called at the same log times (at each GNSS message's, and at the first
log time of any message once a waiting fix has waited its HOLD_NS)."""

from __future__ import annotations

import numpy as np

from ..core.samples import ImuBlock
from .imu_columns import decode_imu_rows
from .salvage import ChunkMessages, chunk_columns
from .writer import BagError


class InputRun:
    """Messages of one connection, all one length: data[k] is message k's CDR, logged at log_ns[k];
    `records`, when there, holds each message with the MCAP record header before it (data is
    records[:, 31:]): a writer rewrites the header in place."""

    __slots__ = ("connection", "data", "log_ns", "records")

    def __init__(self, connection, log_ns: np.ndarray, data: np.ndarray, records: np.ndarray | None = None):
        self.connection, self.log_ns, self.data, self.records = connection, log_ns, data, records


def column_blocks(stream, block_size: int, with_inputs: bool):
    """read_blocks' blocks (and with_inputs, each block's InputRuns) of a sequential MCAP file."""
    assembler = stream.assembler
    block: list = []
    inputs: list[InputRun] = []
    count = 0
    damage = None

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
            events = _releases(stream, assembler, channels, chunk, kind)
            imu = np.flatnonzero(kind == 1)
            imu_log = chunk.log_ns[imu]
            done = 0
            for at, fixes in events:  # the IMU logged before the release, then the fixes
                upto = int(np.searchsorted(imu_log, at, side="left"))
                block += _imu_blocks(stream, channels, chunk, imu[done:upto])
                block += fixes
                done = upto
            rest = imu[done:]
            count += len(chunk.log_ns)
            # the chunk's last IMU messages in runs of about block_size, cut between log times
            while len(rest) > block_size:
                cut = _cut(chunk.log_ns[rest], block_size)
                block += _imu_blocks(stream, channels, chunk, rest[:cut])
                rest = rest[cut:]
                yield out(block)
                block, count = [], len(rest)
            block += _imu_blocks(stream, channels, chunk, rest)
            if count >= block_size:
                yield out(block)
                block, count = [], 0
    except BagError as err:
        damage = err
    last = assembler.finish()
    if block or last or inputs:
        yield out(block + last)
    if damage is None and stream.undecodable:
        damage = BagError(f"{stream.path}: {len(stream.undecodable)} messages do not decode and were skipped; "
                          f"the first: {stream.undecodable[0]}")
    if damage is not None:
        if stream.on_damage is None:
            raise damage
        stream.on_damage(damage)


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


def _releases(stream, assembler, channels: dict, chunk: ChunkMessages, kind: np.ndarray) -> list:
    """(log time, fixes released then) in order: at each log time with GNSS messages, and at the
    first log time of the chunk at which a waiting fix has waited HOLD_NS."""
    times = np.unique(chunk.log_ns)  # every log time a message-by-message reader groups on
    gnss = np.flatnonzero(kind == 2)
    groups: dict[int, list] = {}
    for k in gnss.tolist():
        conn = channels[int(chunk.channel[k])]
        at = int(chunk.log_ns[k])
        msg = stream.decode(conn, at, chunk.raw(k))
        items = groups.setdefault(at, [])
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


def _runs(channels: dict, chunk: ChunkMessages) -> list[InputRun]:
    """The chunk's messages as runs of one connection and one length, in log-time order within each."""
    runs = []
    for cid in np.unique(chunk.channel).tolist():
        mine = np.flatnonzero(chunk.channel == cid)
        for size in np.unique(chunk.size[mine]).tolist():
            index = mine[chunk.size[mine] == size]
            records = chunk.rows(index, record=True)
            runs.append(InputRun(channels[cid], chunk.log_ns[index], records[:, -size:] if size else records[:, :0],
                                 records))
    return runs


def _cut(log_ns: np.ndarray, size: int) -> int:
    """An index near `size` where the log time changes (a block never splits one log time)."""
    changes = np.flatnonzero(np.diff(log_ns)) + 1
    k = int(np.searchsorted(changes, size))
    return int(changes[k]) if k < len(changes) else len(log_ns)
