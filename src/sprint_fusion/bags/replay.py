"""Offline replay: a bag through the very same core the live graph runs, as fast as the CPU
allows, deterministic. Writes a rosbag2 (MCAP) with the input topics and every topic the graph
would publish (built by outputs.py, as the nodes build them), a CSV of the fused state, and
returns a summary. Streams: memory does not grow with the bag's length. A damaged input is
replayed up to the damage, and the result says where it was.
"""

from __future__ import annotations

import contextlib
import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import msgs, outputs, topics
from ..core.fusion import COLUMNS, ChainObserver, FusionResult, SprintFusion
from ..core.params import FilterParams
from ..files import claim, staged
from ..sprint.analysis import SessionAnalyzer
from ..summary import StreamingSummary
from .reader import read_start_signals, read_stream
from .writer import BagError, typestore, write_bag


class OutputRecorder(ChainObserver):
    """The SprintFusion observer that turns each stage's result into the node's messages (and
    hands the placed fixes to the sprint analysis, as sprint_analyzer receives them)."""

    def __init__(self, types, params: FilterParams, namespace: str = "", analyzer: SessionAnalyzer | None = None):
        self.types, self.namespace, self.analyzer = types, namespace, analyzer
        self.accel_cov = np.eye(3) * params["axis.r_imu"]
        self.velocity = bool(params["gnss.velocity"])
        self.pending: list = []

    def _add(self, items) -> None:
        for topic, msg in items:
            self.pending.append((topics.resolve(topic, self.namespace), topics.TYPES[topic],
                                 msgs.stamp_to_ns(msgs.stamp_of(msg)), msg))

    def datum(self, fix, datum):
        self._add(outputs.datum_output(self.types, fix, datum))

    def gnss_enu(self, fix, enu):
        self._add(outputs.gnss_enu_output(self.types, fix, enu, self.velocity))
        if self.analyzer is not None:
            self.analyzer.push_fix(fix, enu)

    def rows(self, table):
        for row in table:
            self._add(outputs.chain_outputs(self.types, row, self.accel_cov))

    def trials(self, results) -> None:
        for tr in results:
            for topic, msg in outputs.trial_outputs(self.types, tr, "/" + self.namespace.strip("/")):
                self.pending.append((topics.resolve(topic, self.namespace), topics.TYPES[topic],
                                     msgs.stamp_to_ns(tr.end), msg))

    def smoothed(self, states: dict):
        """The smoothed track, once the whole bag went through the filters: after everything else
        in the file, at the log times of the samples it describes."""
        for t, v, var, d in zip(states["t"], states["smoothed_speed"], states["smoothed_speed_var"],
                                states["smoothed_distance"], strict=True):
            for topic, msg in outputs.smoothed_outputs(self.types, float(t), float(v), float(var), float(d)):
                yield topics.resolve(topic, self.namespace), topics.TYPES[topic], msgs.stamp_to_ns(float(t)), msg

    def take(self) -> list:
        out, self.pending = self.pending, []
        return out


@dataclass
class ReplayResult:
    messages: int
    result: FusionResult  # the fused rows (also written as CSV); an empty table when not kept
    summary: dict = field(default_factory=dict)  # "KF2"/"KF5" → RunSummary, computed while streaming
    first_stamp: float = 0.0  # of the first fused row
    damage: BagError | None = None  # the input was damaged here; everything before it was replayed
    trials: list = field(default_factory=list)  # the sprint trials found (sprint_analyzer's results)


def replay(bag: str | Path, out: str | Path, params: FilterParams | None = None, namespace: str = "",
           remap: dict | None = None, storage: str = "mcap", csv_path: str | Path | None = None,
           progress=None, analyzer: SessionAnalyzer | None = None, keep_table: bool = True,
           force: bool = False) -> ReplayResult:
    """keep_table=False keeps nothing per row in memory (the CSV has them): for bags of any length.
    An existing output (bag or CSV) is refused before anything is written, unless force; each is
    moved into place only once complete."""
    claim([out, csv_path], force)
    params = params or FilterParams()
    store = typestore()
    analyzer = analyzer or SessionAnalyzer()
    for t in read_start_signals(bag, namespace):
        analyzer.start_signal(t)
    recorder = OutputRecorder(msgs.bag_types(store), params, namespace, analyzer)
    fusion = SprintFusion(params, recorder, smooth=True)
    rows: list[list[float]] = []
    outputs_done = contextlib.ExitStack()  # closes the CSV, then moves it into place (or removes it)
    csv_file = None
    if csv_path:
        Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
        tmp = outputs_done.enter_context(staged(csv_path))
        csv_file = outputs_done.enter_context(open(tmp, "w", newline="", encoding="utf-8"))  # noqa: SIM115 — closed by the stack
    writer = csv.writer(csv_file) if csv_file else None
    if writer:
        writer.writerow(COLUMNS)

    found = []
    running = StreamingSummary()
    cols = [COLUMNS.index(c) for c in ("t", "kf5_speed", "kf2_speed", "kf2_distance")]

    def keep(new_rows):
        if keep_table:
            rows.extend(new_rows)
        for row in new_rows:
            running.add(*(row[i] for i in cols))
        if writer:
            writer.writerows(new_rows)
        results = analyzer.push_rows(new_rows)
        recorder.trials(results)
        found.extend(results)

    damage: list[BagError] = []

    def records():
        copy_inputs = None
        for conn, log_ns, raw, events in read_stream(bag, namespace, remap=remap, on_damage=damage.append):
            if copy_inputs is None:  # ROS 1 messages are not CDR: only rosbag2 inputs are copied
                copy_inputs = Path(bag).suffix != ".bag"
            if copy_inputs and conn is not None:
                yield conn.topic, conn.msgtype, log_ns, bytes(raw)
            for kind, sample in events:
                analyzer.push_sample(kind, sample)
                keep(fusion.push(kind, sample))
            yield from recorder.take()
            if progress:
                progress(1)
        keep(fusion.flush())
        last = analyzer.finish()
        recorder.trials(last)
        found.extend(last)
        yield from recorder.take()
        yield from recorder.smoothed(fusion.smoothed_states())

    with outputs_done:
        count = write_bag(out, records(), store, storage, force=force)
    table = np.array(rows, dtype=float).reshape(-1, len(COLUMNS))
    return ReplayResult(count, FusionResult(table, fusion.stats), running.result(), running.t0,
                        damage[0] if damage else None, found)

