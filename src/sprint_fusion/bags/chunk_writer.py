"""A rosbag2 (MCAP) writer for messages that come in columns: blocks of equal-length CDR
messages are turned into MCAP message records by numpy, merged in log-time order, cut into
chunks and compressed (zstd or lz4) on a thread while the next block is computed.

rosbags' Writer still does everything else — connections, schemas, the summary, metadata.yaml —
so the file is the one rosbags would write, message for message; only the per-message Python of
its `write` (≈ 2 µs a message, ~15 messages per IMU sample) is gone.
"""

from __future__ import annotations

import struct
from collections import defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO

import numpy as np
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.rosbag2.storage_mcap import McapWriter, PendingChunk

try:  # the chunks' CRC-32 was a pass over every byte as costly as compressing them (~2.5 GB/s, measured)
    from isal.isal_zlib import crc32
except ImportError:  # a ROS install without python-isal: the same CRC, slower
    from zlib import crc32

HEAD = 31  # bytes of an MCAP message record before the message: opcode, length, channel, sequence, times
OP_MESSAGE = 0x05
CHUNK_BYTES = 4 << 20  # uncompressed records per chunk (rosbags and ros2 bag: about 1 MB)
# One of zstd's fast levels: the 10-minute replay's 2.2 GB of records compress in 0.9 s of CPU
# against 1.6 s at level 1, into a file 6 % larger (measured); any zstd decoder reads them
ZSTD_LEVEL = -3
_HEAD = np.dtype({"names": ["op", "length", "channel", "sequence", "log", "publish"],
                  "formats": ["u1", "<u8", "<u2", "<u4", "<u8", "<u8"], "offsets": [0, 1, 9, 11, 15, 23],
                  "itemsize": 31})
_INDEX = np.dtype([("log", "<u8"), ("offset", "<u8")])


@dataclass
class Group:
    """n messages of one connection, all `size` bytes: data[k] is message k's CDR at log_ns[k].
    With `records`, data is records[:, HEAD:] and the records' headers are written in place.
    Deferred (`packer`, `fields`; data None): messages of one fixed layout, written by
    record_pack.fill_records straight into a chunk (record_array() where they are wanted as arrays)."""

    connection: object
    log_ns: np.ndarray  # int64
    data: np.ndarray | None  # (n, size) uint8
    records: np.ndarray | None = None  # (n, HEAD + size) uint8
    packer: object = None  # cdr_pack.Packer of a deferred group
    fields: np.ndarray | None = None  # (n, field bytes) uint8: Packer.fields

    @classmethod
    def with_room(cls, connection, log_ns: np.ndarray, records: np.ndarray) -> Group:
        return cls(connection, log_ns, records[:, HEAD:], records)

    @classmethod
    def deferred(cls, connection, log_ns: np.ndarray, packer, fields: np.ndarray) -> Group:
        return cls(connection, log_ns, None, None, packer, fields)

    @classmethod
    def of_bytes(cls, connection, log_ns: list[int], raws: list[bytes]) -> list[Group]:
        """Messages of any lengths: one group per length."""
        by_size: dict[int, list[int]] = {}
        for k, raw in enumerate(raws):
            by_size.setdefault(len(raw), []).append(k)
        return [cls(connection, np.array([log_ns[k] for k in ks], dtype=np.int64),
                    np.frombuffer(b"".join(raws[k] for k in ks), dtype=np.uint8).reshape(len(ks), size))
                for size, ks in by_size.items()]

    @property
    def size(self) -> int:
        return self.packer.size if self.packer is not None else self.data.shape[1]

    def fill(self, out: np.ndarray, start: int, rows) -> int:
        """The records of messages `rows` (a slice, or indices where not deferred) into out (uint8)
        from byte `start`; returns the byte after. Not deferred: after record_array()."""
        log_ns = self.log_ns[rows]
        if self.packer is not None:
            from .record_pack import fill_records  # compiled: not imported where nothing is deferred (the reader)

            p = self.packer
            return fill_records(out, start, log_ns, int(self.connection.id), p.base, self.fields[rows], p.src, p.dst,
                                p.width)
        end = start + len(log_ns) * (HEAD + self.size)
        out[start:end] = self.records[rows].ravel()  # record_array() wrote their headers
        return end

    def record_array(self) -> np.ndarray:
        """(n, HEAD + size) uint8: the MCAP message records (headers written, once)."""
        n, size = len(self.log_ns), self.size
        if self.packer is not None:
            records = np.empty((n, HEAD + size), dtype=np.uint8)
            self.fill(records.reshape(-1), 0, slice(None))
            self.data, self.records, self.packer, self.fields = records[:, HEAD:], records, None, None
            return records
        records = self.records
        if records is None:
            records = np.empty((n, HEAD + size), dtype=np.uint8)
            records[:, HEAD:] = self.data
            self.records, self.data = records, records[:, HEAD:]
        head = np.ndarray(n, _HEAD, records, 0, (HEAD + size,))
        head["op"], head["length"], head["sequence"] = OP_MESSAGE, HEAD - 9 + size, 0
        head["channel"] = self.connection.id
        head["log"] = head["publish"] = self.log_ns
        return records


def _compress(method: str, level: int):
    if method == "zstd":
        import zstandard

        compressor = zstandard.ZstdCompressor(level=level)
        return compressor.compress
    if method == "lz4":
        import lz4.frame

        return lz4.frame.compress
    return bytes


class _ChunkedMcap(McapWriter):
    """rosbags' MCAP storage, given whole chunks of records built elsewhere."""

    compression_method = "zstd"
    compression_level = ZSTD_LEVEL
    threaded = True  # chunks compressed on a thread of their own (False: in write_records)

    def __init__(self, path, compression):
        super().__init__(path, compression)
        self.method = self.compression_method if self.compression_method in ("zstd", "lz4") else ""
        self.squeeze = _compress(self.method, self.compression_level)
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="mcap-chunks") if self.threaded else None
        self.queue: deque = deque()

    def write_records(self, data: np.ndarray, pieces: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
        """One chunk: `data` the message records (uint8), in pieces of one channel each: (channel
        id, the records' log times, their start offsets in `data`). Schema and channel records added
        since the last chunk go first."""
        prefix = self.chunk.bio.getvalue()  # the schemas and channels rosbags wrote into its pending chunk
        self.chunk = PendingChunk(2**63 - 1, 0, BytesIO(), defaultdict(list))
        if self.pool is not None:
            job = self.pool.submit(self._pack, prefix, data)
        else:
            job = Future()
            job.set_result(self._pack(prefix, data))
        by_channel: dict[int, list] = defaultdict(list)
        for cid, log_ns, starts in pieces:
            by_channel[int(cid)].append((log_ns, starts))
        indexes = {}
        for cid in sorted(by_channel):  # a channel's entries in the order its records lie
            parts = by_channel[cid]
            log_ns, starts = parts[0] if len(parts) == 1 else (np.concatenate(p) for p in zip(*parts, strict=True))
            index = np.empty(len(log_ns), _INDEX)
            index["log"], index["offset"] = log_ns, starts + len(prefix)
            indexes[cid] = index
            self.channel_stats[cid] += len(index)
        start = min(int(log_ns.min()) for _, log_ns, _ in pieces)
        end = max(int(log_ns.max()) for _, log_ns, _ in pieces)
        self.message_start_time = min(self.message_start_time, start)
        self.message_end_time = max(self.message_end_time, end)
        self.queue.append((job, start, end, indexes))
        while len(self.queue) > 2:  # two chunks compressing while the caller computes the next block
            self._finish_one()

    def _pack(self, prefix: bytes, data: np.ndarray) -> tuple[bytes, int, int]:
        raw = np.concatenate([np.frombuffer(prefix, np.uint8), data]) if prefix else data  # no copy for the bulk
        return bytes(self.squeeze(raw)), len(raw), crc32(raw)

    def _finish_one(self) -> None:
        job, start, end, indexes = self.queue.popleft()
        compressed, size, crc = job.result()
        name = self.method.encode()
        chunk_start = self.bio.tell()
        self.bio.write(struct.pack("<BQQQQI", 0x06, 8 * 3 + 4 + 4 + len(name) + 8 + len(compressed), start, end,
                                   size, crc))
        self.bio.write(struct.pack("<I", len(name)) + name + struct.pack("<Q", len(compressed)))
        self.bio.write(compressed)
        chunk_end = self.bio.tell()
        offsets = []
        for cid, index in indexes.items():
            offsets.append((cid, self.bio.tell()))
            body = index.tobytes()
            self.bio.write(struct.pack("<BQHI", 0x07, 2 + 4 + len(body), cid, len(body)) + body)
        record = BytesIO()
        record.write(struct.pack("<QQQQI", start, end, chunk_start, chunk_end - chunk_start, 10 * len(offsets)))
        for cid, offset in offsets:
            record.write(struct.pack("<HQ", cid, offset))
        record.write(struct.pack("<QI", self.bio.tell() - chunk_end, len(name)) + name)
        record.write(struct.pack("<QQ", len(compressed), size))
        self.chunks.append(record)

    def close(self, version: int, metadata: str) -> None:
        while self.queue:
            self._finish_one()
        if self.pool is not None:
            self.pool.shutdown()
        super().close(version, metadata)


class ColumnWriter(Writer):
    """rosbags' Writer taking Groups: `write_groups` merges them in log-time order (stable: for
    one log time, in the order given); MCAP: chunks of about CHUNK_BYTES, compressed with
    `compression` (zstd, lz4 or none) on a thread of their own unless not `threaded`; sqlite3:
    message by message through rosbags."""

    def __init__(self, path, storage: str = "mcap", compression: str = "zstd", level: int = ZSTD_LEVEL,
                 threaded: bool = True):
        if compression not in ("zstd", "lz4", "none"):
            raise ValueError(f"compression {compression!r}: zstd, lz4 or none")
        plugin = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}[storage]
        super().__init__(path, version=9, storage_plugin=plugin)
        chunked = type("_Storage", (_ChunkedMcap,), {"compression_method": compression, "compression_level": level,
                                                     "threaded": threaded})
        self.STORAGE_PLUGINS = {**Writer.STORAGE_PLUGINS, StoragePlugin.MCAP: chunked}

    def write_groups(self, groups: list[Group | None]) -> int:
        groups = [g for g in groups if g is not None and len(g.log_ns)]
        if not groups:
            return 0
        log_ns = np.concatenate([g.log_ns for g in groups]).astype(np.int64)
        if not self._chunked():
            for g in groups:
                if g.packer is not None:
                    g.record_array()
            which = np.concatenate([np.full(len(g.log_ns), k) for k, g in enumerate(groups)])
            within = np.concatenate([np.arange(len(g.log_ns)) for g in groups])
            for k in np.argsort(log_ns, kind="stable"):
                g = groups[which[k]]
                self.write(g.connection, int(log_ns[k]), g.data[within[k]].tobytes())
            return len(log_ns)
        # Chunks cover successive spans of log time of about CHUNK_BYTES each; inside a chunk the
        # records go group by group (MCAP readers order a chunk's messages by its message index)
        sizes = np.concatenate([np.full(len(g.log_ns), HEAD + g.size) for g in groups])
        order = np.argsort(log_ns, kind="stable")
        crossing = np.flatnonzero(np.diff(np.cumsum(sizes[order]) // CHUNK_BYTES)) + 1
        bounds = np.unique(log_ns[order][crossing])  # a chunk starts at each of these log times
        spans = [np.searchsorted(bounds, g.log_ns, side="right") for g in groups]
        ordered = [bool((np.diff(span) >= 0).all()) for span in spans]  # in time order: a chunk's part is a slice
        for g, ok in zip(groups, ordered, strict=True):
            if g.packer is None or not ok:  # records as arrays (headers written once), rows picked by index
                g.record_array()
        edges = [np.searchsorted(span, np.arange(len(bounds) + 2)) if ok else None for span, ok in zip(spans, ordered,
                                                                                                       strict=True)]
        for k in range(len(bounds) + 1):
            pieces = []
            for g, span, e in zip(groups, spans, edges, strict=True):
                rows = slice(int(e[k]), int(e[k + 1])) if e is not None else np.flatnonzero(span == k)
                n = rows.stop - rows.start if e is not None else len(rows)
                if n:
                    pieces.append((g, rows, n))
            if not pieces:
                continue
            data = np.empty(sum(n * (HEAD + g.size) for g, _, n in pieces), dtype=np.uint8)
            at, index = 0, []
            for g, rows, n in pieces:
                index.append((g.connection.id, g.log_ns[rows], at + (HEAD + g.size) * np.arange(n)))
                at = g.fill(data, at, rows)
            self.storage.write_records(data, index)
        for g in groups:
            self.counts[g.connection.id] += len(g.log_ns)
        self.min_timestamp = min(self.min_timestamp, int(log_ns.min()))
        self.max_timestamp = max(self.max_timestamp, int(log_ns.max()))
        return len(log_ns)

    def _chunked(self) -> bool:
        """Chunks built here: MCAP, and rosbags' MCAP storage as this was written against (its
        pending chunk, chunk index and counts); else message by message through its public write."""
        storage = self.storage
        return isinstance(storage, _ChunkedMcap) and all(
            hasattr(storage, name) for name in ("bio", "chunk", "chunks", "channel_stats", "message_start_time",
                                                "message_end_time"))
