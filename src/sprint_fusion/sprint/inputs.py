"""The CSV files coaches have: timing gates (distance, time) and radar / laser / GNSS speed exports
(time, velocity), one or several athletes and trials per file (`athlete`, `trial` columns).

A column's unit comes from its name — `time`, `time_s`, `time [ms]`, `speed_kmh`, `velocity (m/s)`,
`distance_yd` — and is converted to SI; a unit not known is refused, and so is a speed column
without a unit whose values are too fast for m/s (a km/h export read as m/s gave MSS 28.8)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .model import MAX_MSS, ProfileError

UNITS = {
    "distance": {"": 1.0, "m": 1.0, "yd": 0.9144, "ft": 0.3048},
    "time": {"": 1.0, "s": 1.0, "sec": 1.0, "ms": 0.001},
    "velocity": {"": 1.0, "m/s": 1.0, "m_s": 1.0, "ms-1": 1.0, "mps": 1.0, "km/h": 1 / 3.6, "kmh": 1 / 3.6,
                 "km_h": 1 / 3.6, "kph": 1 / 3.6, "mph": 0.44704},
    "bodymass": {"": 1.0, "kg": 1.0},
}
ALIASES = {"distance": "distance", "dist": "distance", "time": "time", "t": "time", "velocity": "velocity",
           "speed": "velocity", "v": "velocity", "bodymass": "bodymass", "bodyweight": "bodymass", "mass": "bodymass"}


@dataclass
class Trial:
    athlete: str
    trial: str
    x: np.ndarray  # distance (gates) or time (trace), SI
    y: np.ndarray  # time (gates) or velocity (trace), SI
    bodymass: float | None = None  # kg, when the file has it

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.athlete, f"trial {self.trial}" if self.trial else "") if p) or "trial"


def column(header: str) -> tuple[str, str] | None:
    """(quantity, unit) a header names, or None for a column we do not read."""
    h = header.strip().lower()
    m = re.fullmatch(r"(.+?)\s*[\[(]\s*(.*?)\s*[\])]", h)
    base, unit = (m.group(1), m.group(2)) if m else (h, "")
    if not m:
        for name in sorted(ALIASES, key=len, reverse=True):
            suffix = base[len(name) + 1:]
            if base.startswith(name + "_") and suffix in UNITS[ALIASES[name]]:
                base, unit = name, suffix  # time_s, speed_kmh; time_correction is not a time
                break
    quantity = ALIASES.get(base.strip())
    if quantity is None:
        return None
    if unit not in UNITS[quantity]:
        raise ProfileError(f"column '{header}': unit '{unit}' is not one we know for {quantity} "
                           f"({', '.join(u for u in UNITS[quantity] if u)})")
    return quantity, unit


def read_trials(path: str | Path, x: str, y: str, athlete: str | None = None) -> list[Trial]:
    """Rows grouped into trials by the `athlete` and `trial` columns, in file order; x and y the
    quantities to read ("distance", "time" for gates; "time", "velocity" for traces)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = reader.fieldnames or []
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise ProfileError(f"{path}: cannot read it as a CSV file ({e})") from e
    found = {}
    for name in fields:
        parsed = column(name)
        if parsed and parsed[0] not in found:
            found[parsed[0]] = (name, parsed[1])
    missing = [q for q in (x, y) if q not in found]
    if missing:
        raise ProfileError(f"{path}: no {' or '.join(missing)} column (found: {', '.join(fields)}); expected "
                           f"{x},{y} with units in the names where they are not SI (e.g. speed_kmh, time_ms)")
    keys = {k.strip().lower(): k for k in fields}
    groups: dict[tuple[str, str], list] = {}
    for lineno, row in enumerate(rows, start=2):
        who = (row.get(keys.get("athlete", ""), "") or "").strip()
        if athlete is not None and who != athlete:
            continue
        trial = (row.get(keys.get("trial", ""), "") or "").strip()
        values = [_number(row, found[q], q, path, lineno) for q in (x, y)]
        mass = _number(row, found["bodymass"], "bodymass", path, lineno) if "bodymass" in found else None
        groups.setdefault((who, trial), []).append((*values, mass))
    if not groups:
        who = sorted({(r.get(keys.get("athlete", ""), "") or "").strip() for r in rows})
        raise ProfileError(f"{path}: no rows" + (f" for athlete '{athlete}' (the file has: {', '.join(who)})"
                                                 if athlete is not None else ""))
    trials = []
    for (who, trial), values in groups.items():
        a = np.array([v[:2] for v in values], dtype=float)
        masses = {v[2] for v in values if v[2] is not None}
        trials.append(Trial(who, trial, a[:, 0], a[:, 1], masses.pop() if len(masses) == 1 else None))
    if y == "velocity" and found[y][1] == "":
        fastest = max(float(np.nanmax(t.y)) for t in trials)
        if fastest > MAX_MSS:
            raise ProfileError(f"{path}: column '{found[y][0]}' reaches {fastest:.1f} — too fast for m/s (a "
                               f"sprinter stays under {MAX_MSS:g}); if it is km/h, name the column speed_kmh")
    return trials


def _number(row, spec, quantity, path, lineno) -> float:
    name, unit = spec
    text = (row.get(name) or "").strip()
    try:
        return float(text) * UNITS[quantity][unit]
    except ValueError:
        raise ProfileError(f"{path}, row {lineno}: {name} '{text}' is not a number") from None
