"""A whole recording through the filters and the sprint analysis, offline: the rows and GNSS
epochs reach the SessionAnalyzer exactly as the live sprint_analyzer node receives them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..core.fusion import COLUMNS, FusionResult, SprintFusion
from ..core.params import FilterParams
from .analysis import SessionAnalyzer, TrialResult
from .in_situ import InSituProfile, session_profile


class EpochRecorder:
    """SprintFusion observer handing each placed fix to the analyzer (other stages ignored)."""

    def __init__(self, analyzer: SessionAnalyzer):
        self.gnss_enu = analyzer.push_fix

    def datum(self, *args) -> None:
        pass

    aligned = axis = speed = kf2 = datum


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
        rows.extend(new_rows)
        trials.extend(analyzer.push_rows(new_rows))

    for kind, sample in samples:
        analyzer.push_sample(kind, sample)
        take(fusion.push(kind, sample))
    take(fusion.flush())
    trials.extend(analyzer.finish())
    table = np.array(rows, dtype=float).reshape(-1, len(COLUMNS))
    fused = FusionResult(table, fusion.stats)
    return SessionResult(trials, fused, session_profile(fused["t"], fused["kf2_speed"]))
