"""How well a fused run matches a reference: velocity RMSE, split-time error, distance error.

References (all times in seconds on the bag's clock, the clock of the header stamps; a timing
system that counts from its start signal is put on it with a time offset):
- the truth topics of a simulated bag (speed and distance along the path);
- a timing-gate CSV with columns distance and time: the moments the athlete crossed gates at
  known distances from the start position (where the athlete stood when the filters started);
- a laser/radar CSV with columns time and velocity (or speed).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .core.fusion import FusionResult
from .summary import integrate

SPLIT_STEP = 10.0  # m: the split distances taken from a continuous reference


@dataclass
class Reference:
    name: str
    t: np.ndarray | None = None  # speed reference
    speed: np.ndarray | None = None
    distance: np.ndarray | None = None  # along t, from its start
    gate_distance: np.ndarray | None = None  # timing gates, from the start position
    gate_time: np.ndarray | None = None

    @property
    def metrics(self) -> tuple[str, ...]:
        if self.t is not None:
            return ("velocity", "split", "distance")
        return ("split", "distance")


@dataclass(frozen=True)
class Scores:
    velocity: float  # m/s RMSE
    split: float  # s RMS error of the split times
    distance: float  # m |error| at the end of the reference

    def __getitem__(self, metric: str) -> float:
        return getattr(self, metric)


def from_truth(t: np.ndarray, distance: np.ndarray, speed: np.ndarray) -> Reference:
    return Reference("truth", t, speed, distance - distance[0])


def read_reference_csv(path: str | Path, time_offset: float = 0.0) -> Reference:
    """A timing-gate (distance, time) or radar (time, velocity|speed) CSV, told apart by its header."""
    path = Path(path)
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = {name.strip().lower(): name for name in reader.fieldnames or ()}
        rows = list(reader)
    speed_col = columns.get("velocity") or columns.get("speed")
    if "time" not in columns or not ("distance" in columns or speed_col):
        raise ValueError(f"{path}: expected a header with 'distance,time' (timing gates) or 'time,velocity' "
                         f"(radar/laser), found {', '.join(columns) or 'none'}")
    values = speed_col or columns["distance"]
    table = []
    for line, row in enumerate(rows, start=2):
        try:
            pair = (float(row[columns["time"]]), float(row[values]))
        except (TypeError, ValueError):
            raise ValueError(f"{path}, line {line}: not a number: {row}") from None
        if not all(map(math.isfinite, pair)):
            raise ValueError(f"{path}, line {line}: not a finite number: {row}")
        table.append(pair)
    data = np.array(table).reshape(-1, 2)
    t = data[:, 0] + time_offset
    if len(t) < 2 or np.any(np.diff(t) <= 0):
        raise ValueError(f"{path}: needs at least two rows with times strictly increasing")
    if speed_col:
        return Reference(path.name, t, data[:, 1], integrate(t, data[:, 1]))
    return Reference(path.name, gate_distance=data[:, 1], gate_time=t)


def fused_curves(result: FusionResult, estimator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, speed, distance) of 'kf5' (distance: integrated speed) or 'kf2', finite rows only."""
    t = result["t"]
    speed = result[f"{estimator}_speed"]
    distance = result["kf2_distance"] if estimator == "kf2" else integrate(t, speed)
    ok = np.isfinite(speed) & np.isfinite(distance)
    return t[ok], speed[ok], distance[ok]


def crossing_times(t: np.ndarray, distance: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """When a non-decreasing distance curve first reaches each mark (NaN if never)."""
    reach = np.maximum.accumulate(distance)
    i = np.searchsorted(reach, marks, side="left")
    out = np.full(len(marks), np.nan)
    inside = (i > 0) & (i < len(reach))
    j = i[inside]
    span = reach[j] - reach[j - 1]
    frac = np.where(span > 0, (marks[inside] - reach[j - 1]) / np.where(span > 0, span, 1.0), 0.0)
    out[inside] = t[j - 1] + frac * (t[j] - t[j - 1])
    out[i == 0] = t[0] if len(t) else np.nan
    return out


def score(result: FusionResult, ref: Reference, estimator: str = "kf5") -> Scores:
    t, speed, distance = fused_curves(result, estimator)
    if len(t) < 2:
        return Scores(math.inf, math.inf, math.inf)
    if ref.t is None:  # timing gates: distances from the start position, as the fused distance is
        gates_d, gates_t = ref.gate_distance, ref.gate_time
        fused_d, fused_t = distance, t
        end_error = abs(np.interp(gates_t[-1], t, distance) - gates_d[-1])
        velocity = math.nan
    else:
        common = (ref.t >= t[0]) & (ref.t <= t[-1])
        if common.sum() < 2:
            return Scores(math.inf, math.inf, math.inf)
        rt, rs = ref.t[common], ref.speed[common]
        rd = ref.distance[common] - ref.distance[common][0]
        velocity = float(np.sqrt(np.mean((np.interp(rt, t, speed) - rs) ** 2)))
        fused_t, fused_d = t, distance - np.interp(rt[0], t, distance)
        gates_d = np.arange(SPLIT_STEP, rd[-1], SPLIT_STEP)
        gates_t = crossing_times(rt, rd, gates_d)
        end_error = abs(np.interp(rt[-1], t, fused_d) - rd[-1])
    fused = crossing_times(fused_t, fused_d, gates_d)
    split = float(np.sqrt(np.mean((fused - gates_t) ** 2))) if len(gates_d) else math.nan
    return Scores(velocity, split if math.isfinite(split) else math.inf, float(end_error))
