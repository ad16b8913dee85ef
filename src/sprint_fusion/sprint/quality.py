"""Can a trial be trusted? A verdict with its reasons, from the GNSS epochs inside the trial.

- RTK fixed share: of the epochs the receiver should have delivered (trial duration / its
  period), how many were RTK fixed; float epochs are counted and named, not rejected.
- Outages: stretches without a usable fix (NO_FIX epochs or silence). Up to `max_bridge` s the
  IMU carries the filters through (measured: docs/sprint.md): the trial is usable with a bridged
  outage; longer, unusable. An outage still going on where the trial ends is judged as at least
  that long — and already when it reaches `max_bridge`: such a trial ended on the IMU's speed
  alone (its decay ends trials inside long outages), so its end and what follows the loss are
  not measured.
- Reported accuracy: the median horizontal σ the receiver reported.
- Innovation outliers: fixes far from where the filter predicted them (normalised by the
  reported σ, floored), e.g. multipath jumps or a wrong RTK fix.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from ..core.samples import FixType

USABLE = "usable"
BRIDGED = "usable with bridged outage"
UNUSABLE = "unusable"


@dataclass(frozen=True)
class QualityParams:
    min_rtk_fixed_share: float = 0.5
    max_bridge: float = 1.5  # s of outage the IMU may bridge (measured: README, "Sprint diagnostics")
    max_median_accuracy: float = 0.10  # m, median reported horizontal σ
    outlier_sigma: float = 3.0  # a fix this many σ from the prediction is an outlier
    sigma_floor: float = 0.05  # m: σ used at least (the prediction is not exact either)
    max_outlier_share: float = 0.1
    settle: float = 1.0  # s after the onset whose fixes are not judged as outliers (see _outlier_share)


@dataclass(frozen=True)
class GnssEpoch:
    t: float
    fix_type: FixType
    sigma_h: float  # m, reported horizontal accuracy (NaN without a fix)
    east: float = math.nan  # m, local frame; NaN when not placed
    north: float = math.nan

    @property
    def usable(self) -> bool:
        return self.fix_type != FixType.NO_FIX and math.isfinite(self.east) and math.isfinite(self.north)


@dataclass
class Quality:
    verdict: str
    reasons: list[str] = field(default_factory=list)
    epochs: int = 0
    rtk_fixed_share: float = math.nan
    rtk_float_share: float = math.nan
    outages: list[tuple[float, float]] = field(default_factory=list)  # (start from onset, length) s
    median_accuracy: float = math.nan
    outlier_share: float = math.nan

    @property
    def longest_outage(self) -> float:
        return max((length for _, length in self.outages), default=0.0)


def judge(epochs: list[GnssEpoch], onset: float, end: float, t: np.ndarray, east: np.ndarray, north: np.ndarray,
          p: QualityParams | None = None) -> Quality:
    """Verdict for the trial [onset, end]; t/east/north: the filter's position track (KF5)."""
    p = p or QualityParams()
    inside = [e for e in epochs if onset <= e.t <= end]
    if not inside:
        return Quality(UNUSABLE, ["no GNSS epochs during the trial"])
    period = _period(epochs)
    expected = max(1.0, (end - onset) / period)
    fixed = sum(e.fix_type == FixType.RTK_FIXED for e in inside) / expected
    floating = sum(e.fix_type == FixType.RTK_FLOAT for e in inside) / expected
    usable = [e for e in inside if e.usable]
    outages = _outages([e.t for e in usable], onset, end, period)
    accuracy = float(np.median([e.sigma_h for e in usable])) if usable else math.nan
    outliers = _outlier_share([e for e in usable if e.t >= onset + p.settle], t, east, north, p)
    q = Quality(USABLE, [], len(inside), min(fixed, 1.0), min(floating, 1.0), outages, accuracy, outliers)
    bad = []
    if fixed < p.min_rtk_fixed_share:
        bad.append(f"RTK fixed in {fixed:.0%} of epochs (needs ≥ {p.min_rtk_fixed_share:.0%}): the position is "
                   "not centimetre-accurate enough")
    ongoing = _ongoing(usable, end, period)
    if q.longest_outage > p.max_bridge:
        bad.append(f"GNSS outage of {q.longest_outage:.2f} s (the IMU bridges ≤ {p.max_bridge:.2f} s)")
    elif ongoing >= p.max_bridge:
        bad.append(f"GNSS lost {ongoing:.2f} s before the trial's end and not back by then: the end is the "
                   f"IMU's alone (it bridges < {p.max_bridge:.2f} s)")
    if not math.isfinite(accuracy) or accuracy > p.max_median_accuracy:
        bad.append(f"median reported accuracy {accuracy:.3f} m (needs ≤ {p.max_median_accuracy:.3f} m): the "
                   "receiver itself says its positions are too coarse")
    if math.isfinite(outliers) and outliers > p.max_outlier_share:
        bad.append(f"{outliers:.0%} of fixes jump away from the track the filter predicted (innovation outliers "
                   f"> {p.outlier_sigma:g} σ; allowed {p.max_outlier_share:.0%}): reflections or a wrong RTK fix")
    notes = []
    if outages and q.longest_outage <= p.max_bridge:
        notes.append(f"{len(outages)} outage(s), longest {q.longest_outage:.2f} s, bridged with the IMU")
    if floating > 0:
        notes.append(f"RTK float (decimetre-level) in {floating:.0%} of epochs")
    if math.isfinite(outliers) and 0 < outliers <= p.max_outlier_share:
        notes.append(f"{outliers:.1%} of fixes jump away from the predicted track (innovation outliers)")
    if bad:
        q.verdict, q.reasons = UNUSABLE, bad + notes
    else:
        q.verdict = BRIDGED if outages else USABLE
        q.reasons = notes or ["RTK fixed throughout, no outage, no position jump"]
    return q


def bridged(t: float, outages) -> bool:
    """Whether a moment of a trial (s from onset) fell in a GNSS outage: measured by the IMU alone."""
    return any(start <= t <= start + length for start, length in outages)


def _ongoing(usable: list[GnssEpoch], end: float, period: float) -> float:
    """How long the GNSS has been lost at the trial's end (0 if a fix came within 1.5 periods)."""
    last = max((e.t for e in usable), default=-math.inf)
    return end - last if end - last > 1.5 * period else 0.0


def _period(epochs: list[GnssEpoch]) -> float:
    times = np.array(sorted(e.t for e in epochs))
    steps = np.diff(times)
    steps = steps[steps > 0]
    return float(np.median(steps)) if len(steps) else 1.0


def _outages(times: list[float], onset: float, end: float, period: float) -> list[tuple[float, float]]:
    """Gaps between usable fixes longer than 1.5 periods, as (start from onset, length)."""
    edges = [onset - period / 2, *sorted(times), end + period / 2]  # a fix covers ± half a period
    out = []
    for a, b in itertools.pairwise(edges):
        gap = b - a - period
        if b - a > 1.5 * period:
            out.append((max(a, onset) - onset, gap))
    return out


def _outlier_share(usable: list[GnssEpoch], t, east, north, p: QualityParams) -> float:
    """Share of fixes whose distance from the filter's position just before them (its
    prediction) exceeds outlier_sigma reported σ."""
    ok = np.isfinite(east) & np.isfinite(north)
    t, east, north = t[ok], east[ok], north[ok]
    if len(t) < 2:
        return math.nan
    count = total = 0
    for e in usable:
        i = np.searchsorted(t, e.t) - 1  # the row before the fix: not yet corrected by it
        if i < 0 or i >= len(t) - 1:
            continue
        miss = math.hypot(e.east - east[i], e.north - north[i])
        total += 1
        count += miss > p.outlier_sigma * max(e.sigma_h, p.sigma_floor)
    return count / total if total else math.nan
