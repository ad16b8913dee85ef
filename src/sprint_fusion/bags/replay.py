"""Offline replay: a bag through the very same core the live graph runs, as fast as the CPU
allows, deterministic. Writes a rosbag2 (MCAP) with the input topics and every topic the graph
would publish (the messages outputs.py builds and the nodes publish, packed in columns by
column_outputs.py), a CSV of the fused state, and returns a summary. Streams: memory does not grow
with the bag's length. A damaged input is replayed up to the damage, and the result says where it
was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import functools
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import msgs, outputs
from ..core.fusion import COLUMNS, ChainObserver, FusionResult, SprintFusion, warm_up
from ..core.params import FilterParams
from ..core.samples import GnssFix
from ..core.smoother import SMOOTHED
from ..files import claim, staged
from ..sensors.fix_latency import FixLatency
from ..sprint.analysis import SessionAnalyzer
from ..sprint.session import SessionResult, smoothed_session
from ..summary import StreamingSummary
from ..topics import GNSS_FIX, resolve
from . import record_pack
from .chunk_writer import ColumnWriter, Group
from .column_outputs import ColumnOutputs
from .csv_writer import CsvWriter
from .heap import PausedCollector, keep_freed_memory
from .imu_columns import header_stamps
from .read_ahead import ReadAhead
from .reader import read_start_signals, resolved_remap
from .writer import BagError, staged_bag, typestore

SMOOTHED_SLICE = 20_000  # smoothed samples packed and written at a time


class BlockRecorder(ChainObserver):
    """The SprintFusion observer replay runs with: it keeps each block's chain rows and placed
    fixes for ColumnOutputs (and the sprint analysis, which takes them with the block's rows);
    the datum, once, is built as outputs.py builds it."""

    def __init__(self, columns: ColumnOutputs | None, types):
        self.columns, self.types = columns, types  # columns: set on the writing thread (replay)
        self.tables: list[np.ndarray] = []
        self.placed: list = []
        self.single: list = []  # (topic, message) built one by one

    def datum(self, fix, datum):
        self.single += outputs.datum_output(self.types, fix, datum)

    def gnss_enu(self, fix, enu):
        self.placed.append((fix, enu))

    def rows(self, table):
        self.tables.append(table)

    def take(self) -> tuple[list, list, list]:
        """What was observed since the last take: (messages built one by one, placed fixes, row tables)."""
        taken = self.single, self.placed, self.tables
        self.single, self.placed, self.tables = [], [], []
        return taken

    def groups(self, taken: tuple[list, list, list]) -> list[Group]:
        """The messages of what take() gave, in the order the stages ran."""
        single, placed, tables = taken
        groups = self.columns.singles(single) + self.columns.fixes(placed)
        return groups + (self.columns.rows(np.concatenate(tables)) if tables else [])


class _Writing:
    """Packing and writing a block on one worker thread while the next block is read and fused
    (numpy's copies, the compressor and the record kernel let go of the GIL): jobs run in order, at most
    two wait, an error comes back to the caller."""

    def __init__(self, threaded: bool = True):
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="replay-out") if threaded else None
        self.jobs: deque = deque()
        self.count = 0

    def submit(self, job) -> None:
        if self.pool is None:  # sqlite3: its connection belongs to the thread that opened it
            self.count += job()
            return
        self.jobs.append(self.pool.submit(job))
        while len(self.jobs) > 2:
            self.count += self.jobs.popleft().result()

    def finish(self) -> int:
        while self.jobs:
            self.count += self.jobs.popleft().result()
        return self.count

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class ReplayResult:
    messages: int
    result: FusionResult  # the fused rows (also written as CSV); an empty table when not kept
    summary: dict = field(default_factory=dict)  # "KF2"/"KF5" → RunSummary, computed while streaming
    first_stamp: float = 0.0  # of the first fused row
    damage: BagError | None = None  # the input was damaged here; everything before it was replayed
    trials: list = field(default_factory=list)  # the sprint trials found (sprint_analyzer's results)
    unmatched: list = field(default_factory=list)  # --topics patterns that matched no topic there was
    session: SessionResult | None = None  # with replay(report=…): the report's analysis of the bag
    fix_latency: FixLatency | None = None  # how late the bag's fixes were logged after their stamp


def start_up(params: FilterParams | None = None) -> None:
    """What a replay loads before its first block, for a caller that has the time while something
    else runs (the replay command, while its child measures the lag): the compiled steps from
    numba's cache (compiled where it is cold) and the record writer's. (The trial fit's
    scipy.optimize, 0.2 s, is loaded on the writing thread when the first trial ends.)"""
    warm_up(params)
    record_pack.warm_up()


def replay(bag: str | Path, out: str | Path, params: FilterParams | None = None, namespace: str = "",
           remap: dict | None = None, storage: str = "mcap", csv_path: str | Path | None = None,
           progress=None, analyzer: SessionAnalyzer | None = None, keep_table: bool = True,
           force: bool = False, compression: str = "zstd", topics: list[str] | None = None,
           helpers: bool = True, source: ReadAhead | None = None,
           report: SessionAnalyzer | None = None, start_signals: list[float] | None = None) -> ReplayResult:
    """keep_table=False keeps nothing per row in memory (the CSV has them): for bags of any length.
    An existing output (bag or CSV) is refused before anything is written, unless force; each is
    moved into place only once complete. The bag is read and written in blocks of a few thousand
    messages: the chain runs over each block, its messages are packed in columns (ColumnOutputs)
    and written as compressed MCAP chunks (`compression`: zstd, lz4 or none; sqlite3 storage:
    message by message). `topics`: write only the topics matching one of these patterns (fnmatch,
    with or without the leading '/', e.g. 'fusion/speed' 'fusion/kf2/*'); default every topic.
    `source`: the bag's blocks as a ReadAhead entered for this bag, namespace and remap (the
    replay command's: read in a child process, beside the chain); default: read here, in turn.
    `helpers`: the CSV formatted by a helper process, blocks packed and chunks compressed on threads
    of their own, beside the chain (~1.4 cores); False: all of it on the calling thread, one core —
    for a batch whose workers are the parallelism (two single-core replays on two cores beat two
    that each want 1.4).
    `report`: a second analyzer, fresh, for the sprint report's analysis from this same pass — the
    trials on the track smoothed over the whole bag, as `report` finds them (sprint/session.py)
    — in ReplayResult.session; the fused rows are then kept in memory (keep_table).
    `start_signals`: the bag's read_start_signals where they were read already (the replay
    command's read-ahead child reads them first); default: read here."""
    claim([out, csv_path], force)
    keep_freed_memory()
    wanted = _topic_filter(topics)
    params = params or FilterParams()
    store = typestore()
    analyzer = analyzer or SessionAnalyzer()
    analyzers = [analyzer] + ([report] if report is not None else [])
    keep_table = keep_table or report is not None
    for t in sorted(read_start_signals(bag, namespace) if start_signals is None else start_signals):
        for each in analyzers:
            each.start_signal(t)
    rows: list[np.ndarray] = []
    outputs_done = contextlib.ExitStack()  # closes the CSV, then moves it into place (or removes it)
    csv_file = None
    if csv_path:
        Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
        tmp = outputs_done.enter_context(staged(csv_path))
        csv_file = CsvWriter(tmp, COLUMNS, process=helpers)
        outputs_done.callback(csv_file.abort)  # after close() a no-op; on an error, the helper goes
    found = []
    running = StreamingSummary()
    cols = [COLUMNS.index(c) for c in ("t", "kf5_speed", "kf2_speed", "kf2_distance")]
    damage: list[BagError] = []
    fix_topic = resolve(GNSS_FIX, namespace)  # (`topics` here: the --topics patterns)
    ours = resolved_remap(remap, namespace)
    latency = FixLatency(latest=None)
    if source is None:
        source = outputs_done.enter_context(ReadAhead(bag, namespace, remap, process=False))
    with outputs_done, staged_bag(out, force) as target:
        writer = ColumnWriter(target, storage, compression, threaded=helpers)
        writer.open()
        connections: dict[str, object] = {}

        def connection(topic: str, msgtype: str):
            if topic not in connections:
                connections[topic] = writer.add_connection(topic, msgtype, typestore=store) if wanted(topic) else None
            return connections[topic]

        recorder = BlockRecorder(None, msgs.bag_types(store))
        fusion = SprintFusion(params, recorder, smooth=True, spill=True)

        def keep(fixes: list, taken: tuple, new_rows: np.ndarray, last: bool = False) -> list:
            """A block's rows kept, summarised, written to the CSV and through the sprint analysis —
            which takes the block's fixes as they came, then those placed in the local frame, then
            its rows, as the live analyzer receives them. The trials finished."""
            for each in analyzers:
                for fix in fixes:
                    each.push_sample("gnss", fix)
                for fix, enu in taken[1]:
                    each.push_fix(fix, enu)
            if keep_table:
                rows.append(new_rows)
            running.add_block(*(new_rows[:, i] for i in cols))
            if csv_file:
                csv_file.write(new_rows)
            results = analyzer.push_rows(new_rows) + (analyzer.finish() if last else [])
            found.extend(results)
            return results

        def write(inputs, fixes, taken, new_rows, last=False) -> int:
            """On the writing thread, block after block: the analysis (off the chain's thread), the
            writer and the packers are its own."""
            results = keep(fixes, taken, new_rows, last)
            return writer.write_groups(_input_groups(inputs, connection) + recorder.groups(taken)
                                       + recorder.columns.trials(results))

        writing = _Writing(threaded=helpers and storage == "mcap")

        def set_up() -> int:  # the first job: the packers serialise their probes (~0.15 s) beside the chain
            recorder.columns = ColumnOutputs(store, params, namespace, connection)
            return 0

        try:
            writing.submit(set_up)
            gc_pause = outputs_done.enter_context(PausedCollector())
            for block, inputs in source.blocks(on_damage=damage.append):
                gc_pause.tick()
                for run in inputs:
                    if ours.get(run.connection.topic, run.connection.topic) == fix_topic:
                        sec, nanosec = header_stamps(run.data)
                        latency.logged(run.log_ns, sec.astype(np.int64) * 1_000_000_000 + nanosec)
                fixes = [item for item in block if isinstance(item, GnssFix)]
                new_rows = fusion.push_block(block)
                writing.submit(functools.partial(write, inputs, fixes, recorder.take(), new_rows))
                if progress:
                    progress(sum(len(run.log_ns) for run in inputs))
            new_rows = fusion.flush()
            writing.submit(functools.partial(write, [], [], recorder.take(), new_rows, last=True))
            # the smoothed track, once the whole bag went through the filters: after everything
            # else in the file, at the log times of the samples it describes; smoothed here while
            # the writer catches up, packed and written there
            smoothed = []
            for states in fusion.smoothed_blocks(SMOOTHED_SLICE):  # the messages of a whole session are GBs
                writing.submit(functools.partial(lambda s: writer.write_groups(recorder.columns.smoothed(s)), states))
                if report is not None:
                    smoothed.append(states)
            count = writing.finish()
            table = np.concatenate(rows) if rows else np.empty((0, len(COLUMNS)))
            session = None
            if report is not None:
                at_rows = {name: np.concatenate([s[name] for s in smoothed]) if smoothed else np.empty(0)
                           for name in SMOOTHED}  # the smoothed track at the rows KF2 updated
                session = smoothed_session(report, table, fusion.smoother.per_row(at_rows, len(table)), fusion.stats)
        finally:
            writing.close()
            writer.close()
            fusion.close()
        if csv_file:
            csv_file.close()  # the helper has written every row
    unmatched = [p for p in topics or [] if not any(_topic_filter([p])(t) for t in connections)]
    return ReplayResult(count, FusionResult(table, fusion.stats), running.result(), running.t0,
                        damage[0] if damage else None, found, unmatched, session,
                        latency if latency.recent else None)


def _input_groups(runs: list[Group], connection) -> list[Group]:
    """The input messages (read_blocks' Groups, on the input's connections), copied as they are
    (raw CDR) onto the output's connections."""
    groups = []
    for run in runs:
        target = connection(run.connection.topic, run.connection.msgtype)
        if target is not None:
            groups.append(dataclasses.replace(run, connection=target))
    return groups


def _topic_filter(patterns: list[str] | None):
    if not patterns:
        return lambda topic: True
    wanted = ["/" + p.lstrip("/") for p in patterns]
    return lambda topic: any(fnmatch.fnmatchcase(topic, p) for p in wanted)
