"""A whole recording through the filters and the sprint analysis, offline: the rows and GNSS
epochs reach the SessionAnalyzer exactly as the live sprint_analyzer node receives them."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..core.fusion import COLUMNS, FusionResult, SprintFusion
from ..core.params import FilterParams
from ..core.samples import FixType
from .analysis import SessionAnalyzer, TrialResult
from .in_situ import InSituProfile, session_profile
from .quality import GnssEpoch

_ROW = {name: COLUMNS.index(name) for name in SessionAnalyzer.ROW_COLUMNS}


class EpochRecorder:
    """SprintFusion observer keeping each placed fix as a GnssEpoch (other stages ignored)."""

    def __init__(self, analyzer: SessionAnalyzer):
        self.analyzer = analyzer

    def gnss_enu(self, fix, enu) -> None:
        self.analyzer.push_gnss(GnssEpoch(fix.stamp, fix.fix_type, fix.sigma_horizontal, float(enu[0]),
                                          float(enu[1])))

    def datum(self, *args) -> None:
        pass

    aligned = axis = speed = kf2 = datum


def row_values(row) -> dict[str, float]:
    return {name: float(row[i]) for name, i in _ROW.items()}


@dataclass
class SessionResult:
    trials: list[TrialResult]
    fused: FusionResult
    in_situ: InSituProfile | None


def analyze_samples(samples: Iterable[tuple[str, object]], params: FilterParams | None = None,
                    analyzer: SessionAnalyzer | None = None, start_signals: Iterable[float] = ()) -> SessionResult:
    """(kind, sample) pairs in arrival order → the session's trials, fused table, in-situ profile."""
    analyzer = analyzer or SessionAnalyzer()
    for t in sorted(start_signals):
        analyzer.start_signal(t)
    fusion = SprintFusion(params, EpochRecorder(analyzer))
    rows: list[list[float]] = []
    trials: list[TrialResult] = []

    def take(new_rows):
        for row in new_rows:
            rows.append(row)
            trials.extend(analyzer.push_row(row[0], **row_values(row)))

    for kind, sample in samples:
        if kind == "gnss" and sample.fix_type == FixType.NO_FIX:
            analyzer.push_gnss(GnssEpoch(sample.stamp, FixType.NO_FIX, math.nan))
        take(fusion.push(kind, sample))
    take(fusion.flush())
    trials.extend(analyzer.finish())
    table = np.array(rows, dtype=float).reshape(-1, len(COLUMNS))
    fused = FusionResult(table, fusion.stats)
    return SessionResult(trials, fused, session_profile(fused["t"], fused["kf2_speed"]))
