"""Write (topic, log time, message) streams into a rosbag2 (MCAP by default, or sqlite3)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from ..files import claim, staged

STORAGE = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}


def typestore():
    return get_typestore(Stores.ROS2_KILTED)


class BagError(RuntimeError):
    pass


@contextlib.contextmanager
def staged_bag(path: str | Path, force: bool = False):
    """The folder to write a bag into, under the bag's own name inside a hidden staging folder,
    moved into place when the block ends without error — so an interrupted run never leaves a half
    bag under the requested name (and the bag's embedded metadata names its real file); an
    existing bag is refused before anything is written, or with force replaced only once the new
    one is complete."""
    path = Path(path)
    claim([path], force)
    staging = path.with_name(f".{path.name}.writing")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        yield staging / path.name
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with staged(path) as target:
        (staging / path.name).rename(target)
    staging.rmdir()


def write_bag(path: str | Path, records: Iterable[tuple[str, str, int, Any]], store=None, storage: str = "mcap",
              progress=None, force: bool = False) -> int:
    """Write (topic, msgtype, log_time_ns, message) records; returns how many were written (the
    bag staged as staged_bag says)."""
    if storage not in STORAGE:
        raise BagError(f"storage '{storage}': must be one of {', '.join(STORAGE)}")
    store = store or typestore()
    connections: dict[str, Any] = {}
    count = 0
    with staged_bag(path, force) as target, Writer(target, version=9, storage_plugin=STORAGE[storage]) as writer:
        for topic, msgtype, log_ns, msg in records:
            conn = connections.get(topic)
            if conn is None:
                conn = connections[topic] = writer.add_connection(topic, msgtype, typestore=store)
            data = msg if isinstance(msg, bytes) else store.serialize_cdr(msg, msgtype)  # bytes: already CDR
            writer.write(conn, log_ns, data)
            count += 1
            if progress is not None:
                progress(1)
    return count
