"""read_blocks in a forked child process, a bounded number of blocks ahead: reading and decoding a
bag is a third of what replay's own thread did, and on a second core it runs beside the chain —
also while the velocity lag's pre-pass reads the bag's starts (the blocks do not depend on the
filter parameters). Where fork is not available, in a daemonic process (a Dask worker) or with
process=False, the blocks are read in place: the same blocks either way (test_read_ahead). Fork
before any thread starts: `sprint-fusion replay` enters it first thing.

Blocks cross as pickles through a multiprocessing queue; an input Group is sent as its topic, type,
log times and record bytes (its connection belongs to the child's reader, and its data is a view
into its records). Damage reports arrive in their place in the stream; an error in the child is
raised in the parent with the child's traceback."""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import queue
import traceback
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from ..core.samples import FixType, GnssFix, ImuBlock
from .chunk_writer import Group
from .heap import PausedCollector
from .reader import read_blocks

DEPTH = 16  # blocks in flight: about 2 MB each, so memory stays flat with the bag's length
_BLOCK, _DAMAGE, _ERROR, _END, _PREPARED = range(5)


def _packed(group: Group) -> tuple:
    conn = group.connection
    whole = group.records if group.records is not None else group.data
    return conn.topic, conn.msgtype, group.log_ns, whole, group.records is not None


def _unpacked(packed: tuple) -> Group:
    topic, msgtype, log_ns, whole, with_room = packed
    conn = SimpleNamespace(topic=topic, msgtype=msgtype)
    return Group.with_room(conn, log_ns, whole) if with_room else Group(conn, log_ns, whole)


def _packed_block(block: list) -> tuple:
    """A block's ImuBlocks (one per run between fixes: thousands of small arrays a block) as one set
    of columns and their lengths, the fixes as columns too (_packed_fixes), and the order of the two."""
    imu = [item for item in block if isinstance(item, ImuBlock)]
    order = bytes(isinstance(item, ImuBlock) for item in block)
    return (order, ImuBlock.concat(imu) if imu else None, [len(b) for b in imu],
            _packed_fixes([item for item in block if not isinstance(item, ImuBlock)]))


def _unpacked_block(packed: tuple) -> list:
    order, columns, lengths, fixes = packed
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]] if ends else []  # no IMU run: a GNSS-only block
    imu = iter([columns.take(slice(a, b)) for a, b in zip(starts, ends, strict=True)])
    fix = iter(_unpacked_fixes(fixes))
    return [next(imu) if is_imu else next(fix) for is_imu in order]


def _arrays(values: list, shape: tuple) -> tuple[np.ndarray, list[bool]] | None:
    """Optional float64 arrays of one shape, stacked (zeros where None), and which are there; None
    where one is of another kind."""
    there = [v is not None for v in values]
    if not all(type(v) is np.ndarray and v.dtype == np.float64 and v.shape == shape for v in values if v is not None):
        return None
    stacked = np.zeros((len(values), *shape))
    for k, v in enumerate(values):
        if v is not None:
            stacked[k] = v
    return stacked, there


def _packed_fixes(fixes: list) -> tuple:
    """A block's GnssFixes as columns: pickled one by one, their ~40 k small arrays took a quarter
    of the child's time and as much again to unpickle here. ("objects", fixes) where a fix is not of
    the reader's usual kinds (float fields, 3×3 and 3-vector float64 arrays or None)."""
    usual = all(type(f) is GnssFix and type(f.fix_type) is FixType and all(
        type(getattr(f, name)) is float for name in ("stamp", "latitude", "longitude", "altitude"))
        and all(type(getattr(f, name)) in (float, type(None)) for name in ("heading", "heading_accuracy"))
        for f in fixes)
    columns = usual and [_arrays([f.position_covariance for f in fixes], (3, 3)),
                         _arrays([f.velocity for f in fixes], (3,)),
                         _arrays([f.velocity_covariance for f in fixes], (3, 3))]
    if not usual or None in columns or not all(columns[0][1]):
        return "objects", fixes
    scalars = [(f.stamp, f.latitude, f.longitude, f.altitude, int(f.fix_type), f.heading, f.heading_accuracy,
                bool(f.velocity_differenced)) for f in fixes]
    return "columns", scalars, columns[0][0], *columns[1], *columns[2]


def _unpacked_fixes(packed: tuple) -> list:
    if packed[0] == "objects":
        return packed[1]
    _, scalars, cov, velocity, has_velocity, velocity_cov, has_velocity_cov = packed
    kinds = {int(kind): kind for kind in FixType}
    return [GnssFix(t, lat, lon, alt, cov[k], kinds[kind], velocity[k] if has_velocity[k] else None,
                    velocity_cov[k] if has_velocity_cov[k] else None, heading, accuracy, differenced)
            for k, (t, lat, lon, alt, kind, heading, accuracy, differenced) in enumerate(scalars)]


def _child(out, prepare, path, namespace, remap, block_size) -> None:
    def put(item) -> None:  # pickled here: an item the queue's feeder thread failed on would be lost
        out.put(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))

    try:
        if prepare is not None:
            put((_PREPARED, prepare()))
        with PausedCollector() as gc_pause:
            for block, inputs in read_blocks(path, namespace, remap=remap, on_damage=lambda e: put((_DAMAGE, e)),
                                             block_size=block_size, with_inputs=True):
                gc_pause.tick()
                put((_BLOCK, _packed_block(block), [_packed(g) for g in inputs]))
        put((_END,))
    except BaseException as error:  # handed to the parent, which raises it
        try:
            put((_ERROR, error, traceback.format_exc()))
        except Exception:  # an error that does not pickle: its text
            put((_ERROR, RuntimeError(repr(error)), traceback.format_exc()))
    finally:
        out.close()
        out.join_thread()


class ReadAhead:
    """`with ReadAhead(bag) as source:` starts reading; `source.blocks(on_damage)` then gives
    read_blocks(..., with_inputs=True)'s (block, inputs) in order. Leaving the block stops the
    child, wherever it was. `prepare`: a call the child makes first (the lag's pre-pass, which reads
    the bag's starts), its result `source.prepared()` — while the caller does its own start-up."""

    def __init__(self, path: str | Path, namespace: str = "", remap=None, process: bool = True,
                 block_size: int = 4096, depth: int = DEPTH, prepare=None):
        self.args = (str(path), namespace, remap, block_size)
        self.depth = depth
        self.prepare = prepare
        # a daemonic process (a Dask worker's) may not have children: it reads in place
        self.process = (process and "fork" in multiprocessing.get_all_start_methods()
                        and not multiprocessing.current_process().daemon)
        self.child = None
        self.queue = None

    def __enter__(self) -> ReadAhead:
        if self.process:
            context = multiprocessing.get_context("fork")
            self.queue = context.Queue(self.depth)
            self.child = context.Process(target=_child, args=(self.queue, self.prepare, *self.args), daemon=True,
                                         name="sprint-fusion-read-ahead")
            self.child.start()
        return self

    def prepared(self):
        """What `prepare` returned (called once, before blocks())."""
        if self.child is None:
            return self.prepare()
        item = self._next()
        if item[0] == _ERROR:
            raise item[1] from RuntimeError(f"in the read-ahead process:\n{item[2]}")
        return item[1]

    def blocks(self, on_damage=None):
        path, namespace, remap, block_size = self.args
        if self.child is None:
            yield from read_blocks(path, namespace, remap=remap, on_damage=on_damage, block_size=block_size,
                                   with_inputs=True)
            return
        while True:
            item = self._next()
            if item[0] == _BLOCK:
                yield _unpacked_block(item[1]), [_unpacked(g) for g in item[2]]
            elif item[0] == _DAMAGE:
                if on_damage is None:
                    raise item[1]
                on_damage(item[1])
            elif item[0] == _ERROR:
                raise item[1] from RuntimeError(f"reading {path} (in the read-ahead process):\n{item[2]}")
            else:
                return

    def _next(self) -> tuple:
        while True:
            try:
                return pickle.loads(self.queue.get(timeout=1.0))
            except queue.Empty:
                if not self.child.is_alive():  # killed (OOM, signal) without a word
                    raise RuntimeError(f"the read-ahead process reading {self.args[0]} died "
                                       f"(exit code {self.child.exitcode})") from None

    def __exit__(self, *exc) -> None:
        if self.child is None:
            return
        if self.child.is_alive():
            self.child.terminate()
        self.child.join()
        with contextlib.suppress(Exception):
            self.queue.close()
            self.queue.cancel_join_thread()
