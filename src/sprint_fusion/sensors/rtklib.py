"""RTKLIB solution files (.pos) and time-tag files (.tag).

.pos: header lines start with '%'; the first column(s) are the time, either a GPST (or UTC)
date and time, or GPS week and time of week; then latitude, longitude, height, Q (1 fix,
2 float, 3 SBAS, 4 DGPS, 5 single, 6 PPP), ns, sdn, sde, sdu, sdne, sdeu, sdun (m; RTKLIB
writes the off-diagonal terms as sign(c)·√|c|), age, ratio, and in some builds vn, ve, vu and
their deviations. Columns are found by the header's names, so both layouts read.

.tag: RTKLIB's stream recorder writes, beside each log, the host time of every chunk: a
60-byte label, the start tick (u4 ms), the start time (u4 s + f8 fraction, GPS time), then
(tick ms, file position) pairs.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.samples import FixType, GnssFix
from .gnss_time import LEAP_SECONDS, gpst_datetime_to_unix, gpst_to_unix

Q_FIX = {1: FixType.RTK_FIXED, 2: FixType.RTK_FLOAT, 3: FixType.DGNSS, 4: FixType.DGNSS, 5: FixType.SINGLE,
         6: FixType.SINGLE}


class PosFormatError(ValueError):
    pass


def _signed_square(s: float) -> float:
    return math.copysign(s * s, s)


class PosParser:
    """Line by line: header lines set the column layout, data lines become fixes."""

    def __init__(self, where: str = "<stream>"):
        self.where = where
        self.columns: list[str] | None = None
        self.utc = False
        self.lineno = 0

    def line(self, line: str) -> GnssFix | None:
        self.lineno += 1
        if line.startswith("%"):
            if "latitude(deg)" in line:
                self.utc = "UTC" in line.split("latitude")[0]
                self.columns = line[1:].split()
            return None
        if not line.strip():
            return None
        if self.columns is None:
            raise PosFormatError(f"{self.where}:{self.lineno}: data before the '% … latitude(deg) …' header")
        try:
            return _fix(line.split(), self.columns, self.utc)
        except (ValueError, IndexError, KeyError) as err:
            raise PosFormatError(f"{self.where}:{self.lineno}: {err}") from None


def read_pos(path: str | Path) -> Iterator[GnssFix]:
    """Fixes of a .pos file, stamped in UTC (Unix seconds); a bad line raises with file and line."""
    parser = PosParser(str(path))
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            fix = parser.line(line)
            if fix is not None:
                yield fix


def _fix(fields: list[str], columns: list[str], utc: bool) -> GnssFix:
    if "/" in fields[0]:  # date and time
        stamp = gpst_datetime_to_unix(f"{fields[0]} {fields[1]}") + (LEAP_SECONDS if utc else 0.0)
    else:  # GPS week and time of week
        stamp = gpst_to_unix(int(fields[0]), float(fields[1]))
    names = columns[columns.index("latitude(deg)"):]
    values = dict(zip(names, fields[2:], strict=False))

    def get(name: str) -> float:
        return float(values[name])

    sn, se, su = get("sdn(m)"), get("sde(m)"), get("sdu(m)")
    cne, ceu, cun = (_signed_square(get(n)) for n in ("sdne(m)", "sdeu(m)", "sdun(m)"))
    cov = np.array([[se * se, cne, ceu], [cne, sn * sn, cun], [ceu, cun, su * su]])
    kind = Q_FIX.get(int(float(values["Q"])), FixType.SINGLE)
    velocity = vcov = heading = heading_acc = None
    if "vn(m/s)" in values:
        vn, ve, vu = get("vn(m/s)"), get("ve(m/s)"), get("vu(m/s)")
        velocity = np.array([ve, vn, vu])
        svn, sve, svu = get("sdvn"), get("sdve"), get("sdvu")
        vne, veu, vun = (_signed_square(get(n)) for n in ("sdvne", "sdveu", "sdvun"))
        vcov = np.array([[sve * sve, vne, veu], [vne, svn * svn, vun], [veu, vun, svu * svu]])
        speed = math.hypot(ve, vn)
        heading = math.degrees(math.atan2(ve, vn)) % 360.0
        sigma = math.sqrt(max(sve * sve + svn * svn, 0.0) / 2.0)
        heading_acc = min(180.0, math.degrees(sigma / speed)) if speed > 4.0 * sigma else 180.0
    return GnssFix(stamp, get("latitude(deg)"), get("longitude(deg)"), get("height(m)"), cov, kind, velocity, vcov,
                   heading, heading_acc)


@dataclass(frozen=True)
class TimeTag:
    start: float  # Unix (UTC) time of tick 0
    ticks: np.ndarray  # ms since the start, per chunk
    positions: np.ndarray  # bytes written to the log after each chunk


def read_tag(path: str | Path) -> TimeTag:
    data = Path(path).read_bytes()
    if not data.startswith(b"TIMETAG") or len(data) < 76 or (len(data) - 76) % 8:
        raise PosFormatError(f"{path}: not an RTKLIB time-tag file")
    seconds, = struct.unpack_from("<I", data, 64)
    fraction, = struct.unpack_from("<d", data, 68)
    pairs = np.frombuffer(data, dtype="<u4", offset=76).reshape(-1, 2)
    # The start time is GPS time (the .pos files of the same sessions agree), hence the leap seconds.
    return TimeTag(seconds + fraction - LEAP_SECONDS, pairs[:, 0].astype(float), pairs[:, 1].astype(float))
