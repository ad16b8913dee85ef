"""Velocity-based-training exports (linear position transducers, apps) as CSV, read through a
column-mapping file per vendor (config/vbt/*.yaml). Each field of the store names the export's
header, or a list of the headers it is known under (matched ignoring case and spacing); an export
with a date and a time column, per-row load units, semicolons and decimal commas, or no athlete
column (one athlete per file: `--athlete`) is read as such. Every row is checked; the first bad one
stops the import with its file and line."""

from __future__ import annotations

import csv
import datetime as dt
import math
from array import array
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import yaml

FIELDS = ("athlete", "recorded", "date", "time", "exercise", "load", "load_unit", "set", "rep", "mean_velocity",
          "peak_velocity", "mean_power", "peak_power")
REQUIRED = ("exercise", "load", "rep", "mean_velocity")  # and a time: recorded, or date (with time)
LB = 0.45359237  # kg
UNITS = {"kg": 1.0, "kgs": 1.0, "lb": LB, "lbs": LB}


class ImportRowError(ValueError):
    """A row that cannot be imported: names the file and the line."""

    def __init__(self, path, line: int, message: str):
        super().__init__(f"{path}, line {line}: {message}")
        self.path, self.line = path, line


def _key(header: str) -> str:
    return " ".join(header.lower().split())


@dataclass(frozen=True)
class VbtMapping:
    vendor: str
    columns: dict[str, tuple[str, ...]]  # field → the headers it is known under, in order of preference
    time_formats: tuple[str, ...] = ("iso",)  # tried in order: "iso" (ISO 8601) or strptime formats
    timezone: str = "UTC"
    load_unit: str = "kg"  # of every row, unless a load_unit column says
    delimiter: str = "auto"  # ",", ";", "\t", or "auto": from the header line
    note: str = ""

    @classmethod
    def load(cls, path: str | Path) -> VbtMapping:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
        columns = {f: tuple([c] if isinstance(c, str) else c) for f, c in (doc.get("columns") or {}).items() if c}
        unknown = set(doc.get("columns") or {}) - set(FIELDS)
        missing = [f for f in REQUIRED if f not in columns]
        if not ("recorded" in columns or "date" in columns):
            missing.append("recorded (or date)")
        if unknown or missing:
            raise ValueError(f"{path}: columns: unknown {sorted(unknown)}, missing {missing}")
        if not all(isinstance(c, str) and c.strip() for cs in columns.values() for c in cs):
            raise ValueError(f"{path}: a column is named by a header or a list of headers")
        if doc.get("load_unit", "kg") not in UNITS:
            raise ValueError(f"{path}: load_unit must be kg or lb")
        if doc.get("delimiter", "auto") not in ("auto", ",", ";", "\t"):
            raise ValueError(f"{path}: delimiter must be auto, ',', ';' or a tab")
        try:
            ZoneInfo(doc.get("timezone", "UTC"))
        except ZoneInfoNotFoundError:
            raise ValueError(f"{path}: unknown timezone {doc.get('timezone')!r}") from None
        formats = doc.get("time_format", "iso")
        formats = tuple([formats] if isinstance(formats, str) else formats)
        return cls(doc.get("vendor", Path(path).stem), columns, formats,
                   doc.get("timezone", "UTC"), doc.get("load_unit", "kg"), doc.get("delimiter", "auto"),
                   doc.get("note", ""))

    def resolve(self, headers) -> tuple[dict[str, str], list[str]]:
        """(field → this file's header, the fields it lacks that the import needs)."""
        found = {field: header for field, (header, _) in self._matches(headers).items()}
        lacking = [f for f in REQUIRED if f not in found]
        if "recorded" not in found and "date" not in found:
            lacking.append("recorded" if "recorded" in self.columns else "date")
        return found, lacking

    def fit(self, headers) -> tuple[int, int]:
        """How well a header fits: (fields found under their first-listed name, fields found)."""
        matches = self._matches(headers)
        return sum(rank == 0 for _, rank in matches.values()), len(matches)

    def _matches(self, headers) -> dict[str, tuple[str, int]]:
        have = {_key(h): h for h in headers if h}
        found = {}
        for field, names in self.columns.items():
            hit = next(((have[_key(n)], k) for k, n in enumerate(names) if _key(n) in have), None)
            if hit is not None:
                found[field] = hit
        return found


def detect_vendor(path: str | Path, mappings: dict[str, VbtMapping]) -> str:
    """The mapping whose needed columns this export's header has — of several, the one whose own
    (first-listed) header names it uses most — else an error naming the header and the candidates."""
    headers, _ = _header(Path(path), "auto")
    fits = {name: m.fit(headers) for name, m in mappings.items() if not m.resolve(headers)[1]}
    if not fits:
        raise ImportRowError(path, 1, f"no bundled mapping fits this header {headers}: name one with --vendor "
                                      f"({', '.join(sorted(mappings))}) or write a YAML mapping (config/vbt/)")
    best = max(fits.values())
    top = sorted(n for n, k in fits.items() if k == best)
    if len(top) > 1:
        raise ImportRowError(path, 1, f"the header fits the mappings {top} equally: name one with --vendor")
    return top[0]


def _header(path: Path, delimiter: str) -> tuple[list[str], str]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            first = fh.readline()
    except UnicodeDecodeError as err:
        raise ImportRowError(path, 1, f"not UTF-8 text ({err.reason}): export it as UTF-8 CSV") from None
    if delimiter == "auto":  # the most frequent of the three outside quotes decides
        delimiter = max((",", ";", "\t"), key=first.count)
    return next(csv.reader([first], delimiter=delimiter), []), delimiter


@dataclass(frozen=True, slots=True)
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


class VbtTable:
    """An export's rows in columns — a 50 MB export takes ~50 MB here, where row objects took four
    times that; `rows(indices)` makes the VbtRow objects of the few rows a session needs."""

    FLOATS = ("line", "athlete", "when", "exercise", "load_kg", "set", "rep", "mean_velocity", "peak_velocity",
              "mean_power", "peak_power")  # names are indices into `names`; None is NaN; when: POSIX seconds

    def __init__(self):
        self.names: list[str] = []
        self._number: dict[str, int] = {}
        self._columns = {c: array("d") for c in self.FLOATS}
        self.columns: dict[str, np.ndarray] = {}

    def name_index(self, text: str) -> int:
        k = self._number.get(text)
        if k is None:
            k = self._number[text] = len(self.names)
            self.names.append(text)
        return k

    def append(self, values: tuple) -> None:
        for column, value in zip(self._columns.values(), values, strict=True):
            column.append(math.nan if value is None else value)

    def __len__(self) -> int:
        return len(self.columns["line"]) if self.columns else len(self._columns["line"])

    def freeze(self) -> VbtTable:
        self.columns = {c: np.frombuffer(a, dtype=np.float64) for c, a in self._columns.items()}
        return self

    def rows(self, indices) -> list[VbtRow]:
        c, names, utc = self.columns, self.names, dt.timezone.utc

        def opt(x):
            return None if math.isnan(x) else float(x)

        return [VbtRow(int(c["line"][i]), names[int(c["athlete"][i])],
                       dt.datetime.fromtimestamp(c["when"][i], utc), names[int(c["exercise"][i])],
                       float(c["load_kg"][i]), None if math.isnan(c["set"][i]) else int(c["set"][i]),
                       int(c["rep"][i]), float(c["mean_velocity"][i]), opt(c["peak_velocity"][i]),
                       opt(c["mean_power"][i]), opt(c["peak_power"][i])) for i in indices]


def read_vbt_csv(path: str | Path, mapping: VbtMapping, athlete: str | None = None, progress=None) -> VbtTable:
    """Every row of an export, checked. `athlete`: whose export it is, when it has no athlete
    column. `progress(fraction)` is called as the file is read (a big export takes seconds)."""
    path = Path(path)
    zone = ZoneInfo(mapping.timezone)
    headers, delimiter = _header(path, mapping.delimiter)
    found, lacking = mapping.resolve(headers)
    if lacking:
        wanted = {f: list(mapping.columns.get(f, ())) for f in lacking}
        raise ImportRowError(path, 1, f"the header lacks {wanted} ({mapping.vendor} mapping); it has {headers}"
                                      + (f" — {mapping.note}" if mapping.note else ""))
    if "athlete" in found and athlete:
        raise ImportRowError(path, 1, f"this export names its athletes (column {found['athlete']!r}): --athlete "
                                      "is for exports of one athlete without that column")
    if "athlete" not in found and not athlete:
        raise ImportRowError(path, 1, f"this export has no athlete column ({list(mapping.columns.get('athlete', ()))}"
                                      "): say whose it is with --athlete NAME")
    reader = _RowReader(path, found, mapping, zone, delimiter == ",", athlete)
    size = max(path.stat().st_size, 1)
    rows, line = VbtTable(), 1
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            lines = _CountedLines(fh)
            table = csv.DictReader(lines, delimiter=delimiter)
            for raw in table:
                line = table.line_num
                if not any(v and v.strip() for v in raw.values() if isinstance(v, str)):
                    continue  # a blank line at the end of a spreadsheet's export
                rows.append(reader.row(line, raw, rows))
                if progress is not None and len(rows) % 50_000 == 0:
                    progress(min(lines.read / size, 1.0))
    except UnicodeDecodeError as err:
        raise ImportRowError(path, line + 1, f"not UTF-8 text ({err.reason} at byte {err.start} of a read): "
                             "export it as UTF-8 CSV (a spreadsheet's 'CSV UTF-8'), or it is not a CSV file") from None
    except csv.Error as err:  # a field over the csv module's limit (128 KB), a NUL byte …
        raise ImportRowError(path, line + 1, f"not a readable CSV row: {err}") from None
    if not rows:
        raise ImportRowError(path, 1, "no data rows")
    if progress is not None:
        progress(1.0)
    return rows.freeze()


class _CountedLines:
    """The lines of a text file, counting the characters read (for progress)."""

    def __init__(self, fh):
        self.fh, self.read = fh, 0

    def __iter__(self):
        return self

    def __next__(self):
        text = next(self.fh)
        self.read += len(text)
        return text


class _RowReader:
    def __init__(self, path, found: dict, m: VbtMapping, zone, comma_separated: bool, athlete: str | None):
        self.path, self.found, self.m, self.zone, self.athlete = path, found, m, zone, athlete
        self.decimal_comma = not comma_separated  # "0,82" is a number where ',' does not separate fields

    def cell(self, raw, field):
        column = self.found.get(field)
        value = raw.get(column) if column else None
        return value.strip() if isinstance(value, str) else value

    def number(self, raw, line, field, low, high, required=True):
        text = self.cell(raw, field)
        if text in (None, ""):
            if required:
                raise ImportRowError(self.path, line, f"{field} ({self.found[field]!r}) is empty")
            return None
        try:
            value = float(text.replace(",", ".") if self.decimal_comma else text)
        except ValueError:
            raise ImportRowError(self.path, line, f"{field} ({self.found[field]!r}) = {text!r} is not a "
                                                  "number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ImportRowError(self.path, line, f"{field} = {value} is outside [{low}, {high}]")
        return value

    def row(self, line: int, raw: dict, table: VbtTable) -> tuple:
        """The row's values in VbtTable.FLOATS order, checked."""
        path = self.path
        athlete = self.athlete or self.cell(raw, "athlete")
        exercise = self.cell(raw, "exercise")
        if not athlete or not exercise:
            raise ImportRowError(path, line, "athlete and exercise must not be empty")
        when = self.when(raw)
        if when is None:
            shown = {f: self.cell(raw, f) for f in ("recorded", "date", "time") if f in self.found}
            raise ImportRowError(path, line, f"{shown} is not a time in the format(s) {list(self.m.time_formats)}")
        unit = UNITS.get((self.cell(raw, "load_unit") or self.m.load_unit).lower())
        if unit is None:
            raise ImportRowError(path, line, f"load_unit {self.cell(raw, 'load_unit')!r} is not kg or lb")
        load = self.number(raw, line, "load", 0, 2000)
        rep = self.number(raw, line, "rep", 1, 1000)
        set_number = self.number(raw, line, "set", 1, 1000, required=False) if "set" in self.found else None
        if rep != int(rep) or (set_number is not None and set_number != int(set_number)):
            raise ImportRowError(path, line, "rep and set must be whole numbers")
        number = self.number
        return (line, table.name_index(athlete), when.timestamp(), table.name_index(exercise), load * unit,
                set_number, rep, number(raw, line, "mean_velocity", 0, 5),
                number(raw, line, "peak_velocity", 0, 10, False),
                number(raw, line, "mean_power", 0, 20000, False), number(raw, line, "peak_power", 0, 40000, False))

    def when(self, raw) -> dt.datetime | None:
        if "recorded" in self.found:
            text = self.cell(raw, "recorded")
        else:  # a date column, and a time-of-day column when the export has one
            text = " ".join(t for t in (self.cell(raw, "date"), self.cell(raw, "time")) if t)
        if not text:
            return None
        for fmt in self.m.time_formats:  # one day/month order per mapping: a row is never read two ways
            try:
                when = dt.datetime.fromisoformat(text) if fmt == "iso" else dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
            return when if when.tzinfo else when.replace(tzinfo=self.zone)
        return None
