"""Velocity-based-training exports (linear position transducers, apps) as CSV, read through a
column-mapping file per vendor (config/vbt/*.yaml). Every row is checked; the first bad one
stops the import with its file and line."""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

FIELDS = ("athlete", "recorded", "exercise", "load", "set", "rep", "mean_velocity", "peak_velocity", "mean_power",
          "peak_power")
REQUIRED = ("athlete", "recorded", "exercise", "load", "rep", "mean_velocity")
LB = 0.45359237  # kg


class ImportRowError(ValueError):
    """A row that cannot be imported: names the file and the line."""

    def __init__(self, path, line: int, message: str):
        super().__init__(f"{path}, line {line}: {message}")
        self.path, self.line = path, line


@dataclass(frozen=True)
class VbtMapping:
    vendor: str
    columns: dict[str, str | None]
    time_format: str = "iso"
    timezone: str = "UTC"
    load_unit: str = "kg"

    @classmethod
    def load(cls, path: str | Path) -> VbtMapping:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
        columns = doc.get("columns") or {}
        unknown = set(columns) - set(FIELDS)
        missing = [f for f in REQUIRED if not columns.get(f)]
        if unknown or missing:
            raise ValueError(f"{path}: columns: unknown {sorted(unknown)}, missing {missing}")
        if doc.get("load_unit", "kg") not in ("kg", "lb"):
            raise ValueError(f"{path}: load_unit must be kg or lb")
        try:
            ZoneInfo(doc.get("timezone", "UTC"))
        except ZoneInfoNotFoundError:
            raise ValueError(f"{path}: unknown timezone {doc.get('timezone')!r}") from None
        return cls(doc.get("vendor", Path(path).stem), dict(columns), doc.get("time_format", "iso"),
                   doc.get("timezone", "UTC"), doc.get("load_unit", "kg"))


@dataclass(frozen=True)
class VbtRow:
    line: int
    athlete: str
    recorded: dt.datetime  # aware
    exercise: str
    load_kg: float
    set_number: int | None
    rep: int
    mean_velocity: float
    peak_velocity: float | None
    mean_power: float | None
    peak_power: float | None


def read_vbt_csv(path: str | Path, mapping: VbtMapping) -> list[VbtRow]:
    path = Path(path)
    zone = ZoneInfo(mapping.timezone)
    rows = []
    line = 1
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            headers = set(reader.fieldnames or ())
            absent = [c for f, c in mapping.columns.items() if c and c not in headers]
            if absent:
                raise ImportRowError(path, 1, f"the header lacks {absent} ({mapping.vendor} mapping)")
            for raw in reader:
                line = reader.line_num
                rows.append(_row(path, reader.line_num, raw, mapping, zone))
    except UnicodeDecodeError as err:
        raise ImportRowError(path, line + 1, f"not UTF-8 text ({err.reason} at byte {err.start} of a read): "
                             "export it as UTF-8 CSV (a spreadsheet's 'CSV UTF-8'), or it is not a CSV file") from None
    except csv.Error as err:  # a field over the csv module's limit (128 KB), a NUL byte …
        raise ImportRowError(path, line + 1, f"not a readable CSV row: {err}") from None
    if not rows:
        raise ImportRowError(path, 1, "no data rows")
    return rows


def _row(path, line: int, raw: dict, m: VbtMapping, zone) -> VbtRow:
    def cell(field):
        column = m.columns.get(field)
        value = raw.get(column) if column else None
        return value.strip() if isinstance(value, str) else value

    def number(field, low, high, required=True):
        text = cell(field)
        if text in (None, ""):
            if required:
                raise ImportRowError(path, line, f"{field} ({m.columns[field]!r}) is empty")
            return None
        try:
            value = float(text)
        except ValueError:
            raise ImportRowError(path, line, f"{field} ({m.columns[field]!r}) = {text!r} is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ImportRowError(path, line, f"{field} = {value} is outside [{low}, {high}]")
        return value

    athlete, exercise = cell("athlete"), cell("exercise")
    if not athlete or not exercise:
        raise ImportRowError(path, line, "athlete and exercise must not be empty")
    when = _time(cell("recorded"), m, zone)
    if when is None:
        raise ImportRowError(path, line, f"recorded ({m.columns['recorded']!r}) = {cell('recorded')!r} is not a "
                                         f"time in the format {m.time_format!r}")
    load = number("load", 0, 2000)
    rep = number("rep", 1, 1000)
    set_number = number("set", 1, 1000, required=False) if m.columns.get("set") else None
    if rep != int(rep) or (set_number is not None and set_number != int(set_number)):
        raise ImportRowError(path, line, "rep and set must be whole numbers")
    return VbtRow(line, athlete, when, exercise, load * (LB if m.load_unit == "lb" else 1.0),
                  int(set_number) if set_number is not None else None, int(rep), number("mean_velocity", 0, 5),
                  number("peak_velocity", 0, 10, False), number("mean_power", 0, 20000, False),
                  number("peak_power", 0, 40000, False))


def _time(text, m: VbtMapping, zone) -> dt.datetime | None:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text) if m.time_format == "iso" else dt.datetime.strptime(text, m.time_format)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=zone)
