"""A whole recording through the filters and the sprint analysis, offline: the rows and GNSS
epochs reach the SessionAnalyzer exactly as the live sprint_analyzer node receives them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.fusion import COLUMNS, ChainObserver, FusionResult, SprintFusion
from ..core.params import FilterParams
from ..core.samples import GnssFix, ImuBlock
from .analysis import SessionAnalyzer, TrialResult
from .in_situ import InSituProfile, session_profile


class EpochRecorder(ChainObserver):
    """SprintFusion observer handing each placed fix to the analyzer (other stages ignored)."""

    def __init__(self, analyzer: SessionAnalyzer):
        self.analyzer = analyzer

    def gnss_enu(self, fix, enu) -> None:
        self.analyzer.push_fix(fix, enu)


def report_bag(bag, params: FilterParams, analyzer: SessionAnalyzer, namespace: str = "", remap=None,
               on_damage=None, timezone: str | None = None):
    """A bag's session through the filters and the sprint analysis, as `report` runs it: the
    SessionResult and its SessionReport (ready for write_report)."""
    from ..bags.reader import read_blocks, read_start_signals

    blocks = read_blocks(bag, namespace, remap=remap, on_damage=on_damage)
    session = analyze_blocks(blocks, params, analyzer, read_start_signals(bag, namespace))
    return session, session_report(Path(bag).name, session, analyzer, timezone)


def session_report(name: str, session: SessionResult, analyzer: SessionAnalyzer, timezone: str | None = None):
    """The SessionReport (ready for write_report) of a session the analyzer went through."""
    from .report import SessionReport

    kf2 = session.fused["kf2_speed"]
    fastest = float(np.nanmax(kf2)) if np.isfinite(kf2).any() else None  # to say why no trial was found
    return SessionReport(name, session.trials, analyzer.conditions, session.in_situ, analyzer.distances, fastest,
                         timezone)


@dataclass
class SessionResult:
    trials: list[TrialResult]
    fused: FusionResult
    in_situ: InSituProfile | None


def analyze_samples(samples: Iterable[tuple[str, object]], params: FilterParams | None = None,
                    analyzer: SessionAnalyzer | None = None, start_signals: Iterable[float] = (),
                    smooth: bool = True) -> SessionResult:
    """(kind, sample) pairs in arrival order → the session's trials, fused table, in-situ profile.
    With smooth, each trial also has the 'smoothed' estimator (KF2 smoothed over the recording)."""
    def feed(fusion, analyzer):
        for kind, sample in samples:
            analyzer.push_sample(kind, sample)
            yield fusion.push(kind, sample)

    return _analyze(feed, params, analyzer, start_signals, smooth)


def analyze_blocks(blocks: Iterable[list[ImuBlock | GnssFix]], params: FilterParams | None = None,
                   analyzer: SessionAnalyzer | None = None, start_signals: Iterable[float] = (),
                   smooth: bool = True) -> SessionResult:
    """analyze_samples() of a bag read as blocks (bags.reader.read_blocks), on the compiled path.
    Within a block the analyzer receives the receiver's NO_FIX epochs before the block's rows
    (sample by sample they interleave); the verdict looks at epochs by their stamps, so the
    trials are the same."""
    def feed(fusion, analyzer):
        for block in blocks:
            for item in block:
                if isinstance(item, GnssFix):
                    analyzer.push_sample("gnss", item)
            yield fusion.push_block(block)

    return _analyze(feed, params, analyzer, start_signals, smooth)


def _analyze(feed, params, analyzer, start_signals, smooth: bool) -> SessionResult:
    """The fused rows feed(fusion, analyzer) yields, then the flush, through the analyzer —
    streaming, or, to smooth, once the whole recording has been through the filters."""
    analyzer = analyzer or SessionAnalyzer()
    for t in sorted(start_signals):
        analyzer.start_signal(t)
    fusion = SprintFusion(params, EpochRecorder(analyzer), smooth=smooth)
    tables: list[np.ndarray] = []
    trials: list[TrialResult] = []

    def take(rows) -> None:
        table = np.asarray(rows, dtype=float).reshape(-1, len(COLUMNS))
        if len(table):
            tables.append(table)
            if not smooth:
                trials.extend(analyzer.push_rows(table))

    for rows in feed(fusion, analyzer):
        take(rows)
    take(fusion.flush())
    table = np.concatenate(tables) if tables else np.empty((0, len(COLUMNS)))
    if smooth:
        return smoothed_session(analyzer, table, fusion.smoothed(table), fusion.stats)
    return _session(trials + analyzer.finish(), FusionResult(table, fusion.stats))


def smoothed_session(analyzer: SessionAnalyzer, table: np.ndarray, smoothed: dict[str, np.ndarray],
                     stats) -> SessionResult:
    """The session once the whole recording went through the filters: the fused rows with their
    smoothed speed and distance through an analyzer that has had the recording's start signals
    and GNSS epochs (and no row yet) — every trial with its 'smoothed' estimator."""
    trials = analyzer.push_rows(table, {k: smoothed[k] for k in ("smoothed_speed", "smoothed_distance")})
    return _session(trials + analyzer.finish(), FusionResult(table, stats, smoothed))


def _session(trials: list[TrialResult], fused: FusionResult) -> SessionResult:
    return SessionResult(trials, fused, session_profile(fused["t"], fused["kf2_speed"]))
