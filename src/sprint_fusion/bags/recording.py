"""A rosbag2 (MCAP) written while messages arrive, for `sprint-fusion record`.

Crash safety comes from the file layout: uncompressed chunks kept small and closed on every
flush(), each topic's schema and channel written into the data before its first message. A
recording killed mid-way (SIGKILL, power cut after the OS wrote the pages) therefore keeps every
chunk flushed before the kill, and the salvage reader (`bags/salvage.py`, used automatically by
every command of this package) reads it; `ros2 bag reindex` mends it for ros2 bag. A clean stop
writes the summary and the final metadata.yaml, so ros2 bag, rosbags and Foxglove open it as is.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from mcap.writer import CompressionType, Writer

from .writer import BagError, typestore


class StreamingBag:
    def __init__(self, path: str | Path, store=None, chunk_size: int = 256 * 1024):
        self.path = Path(path)
        if self.path.exists():
            raise BagError(f"{self.path} exists: remove it or choose another output")
        self.store = store or typestore()
        self.path.mkdir(parents=True)
        self.file = self.path / f"{self.path.name}_0.mcap"
        self._fh = open(self.file, "xb")  # noqa: SIM115 - closed in close()
        self._writer = Writer(self._fh, chunk_size=chunk_size, compression=CompressionType.NONE)
        self._writer.start(profile="ros2", library="sprint_fusion")
        self.topics: dict[str, tuple[int, str]] = {}  # topic → (channel id, type)
        self._schemas: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.start_ns: int | None = None
        self.end_ns: int | None = None
        self._write_metadata()  # so the folder is a bag from the first moment

    def add_topic(self, topic: str, msgtype: str) -> None:
        if topic in self.topics:
            return
        if msgtype not in self.store.types:
            raise BagError(f"{topic}: message type {msgtype} is unknown to the bag type store")
        if msgtype not in self._schemas:
            text, _ = self.store.generate_msgdef(msgtype, ros_version=2)
            self._schemas[msgtype] = self._writer.register_schema(msgtype, "ros2msg", text.encode())
        channel = self._writer.register_channel(topic, "cdr", self._schemas[msgtype],
                                                {"offered_qos_profiles": ""})
        self.topics[topic] = (channel, msgtype)
        self.counts[topic] = 0
        self._write_metadata()

    def write(self, topic: str, log_ns: int, raw: bytes) -> None:
        channel, _ = self.topics[topic]
        self._writer.add_message(channel, log_ns, bytes(raw), log_ns, self.counts[topic])
        self.counts[topic] += 1
        self.start_ns = log_ns if self.start_ns is None else min(self.start_ns, log_ns)
        self.end_ns = log_ns if self.end_ns is None else max(self.end_ns, log_ns)

    def flush(self) -> None:
        """Close the chunk in progress and hand it to the OS: a kill after this loses nothing before."""
        self._writer.flush()

    def close(self) -> None:
        if self._fh.closed:
            return
        self._writer.finish()
        self._fh.close()
        self._write_metadata()

    def _write_metadata(self) -> None:
        start = self.start_ns or 0
        duration = (self.end_ns - self.start_ns) if self.start_ns is not None else 0
        total = sum(self.counts.values())
        info = {
            "version": 9,
            "storage_identifier": "mcap",
            "relative_file_paths": [self.file.name],
            "duration": {"nanoseconds": duration},
            "starting_time": {"nanoseconds_since_epoch": start},
            "message_count": total,
            "topics_with_message_count": [
                {"topic_metadata": {"name": topic, "type": msgtype, "serialization_format": "cdr",
                                    "offered_qos_profiles": [],
                                    "type_description_hash": self.store.hash_rihs01(msgtype)},
                 "message_count": self.counts[topic]}
                for topic, (_, msgtype) in self.topics.items()],
            "compression_format": "",
            "compression_mode": "",
            "files": [{"path": self.file.name, "starting_time": {"nanoseconds_since_epoch": start},
                       "duration": {"nanoseconds": duration}, "message_count": total}],
            "custom_data": None,
            "ros_distro": "sprint_fusion",
        }
        tmp = self.path / ".metadata.yaml.tmp"
        tmp.write_text(yaml.safe_dump({"rosbag2_bagfile_information": info}, sort_keys=False), encoding="utf-8")
        tmp.replace(self.path / "metadata.yaml")  # never a half-written metadata.yaml

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
