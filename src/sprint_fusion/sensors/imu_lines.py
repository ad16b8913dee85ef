"""Line-based IMU data — CSV logs and serial line protocols — described by a format.

One parser for both: a line of delimited numbers whose columns are named by the format
(ax ay az gx gy gz, plus `time` in seconds or `tick` in device ticks, `skip` for others, and
qw qx qy qz when the device reports its orientation, device→ENU), in the device's units.
Time from device ticks is put on the GNSS clock by an RTKLIB time-tag file (logs) or by the
arrival time (live).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from transforms3d.quaternions import mat2quat, quat2mat

from ..core.samples import ImuSample
from .rtklib import TimeTag
from .ubx_esf import parse_axes

G = 9.80665
ACCEL_UNITS = {"m/s2": 1.0, "g": G}
GYRO_UNITS = {"rad/s": 1.0, "deg/s": math.pi / 180.0}
COLUMN_NAMES = {"ax", "ay", "az", "gx", "gy", "gz", "time", "tick", "skip", "qw", "qx", "qy", "qz"}
QUATERNION = ("qw", "qx", "qy", "qz")


class LineFormatError(ValueError):
    pass


@dataclass(frozen=True)
class LineFormat:
    columns: tuple[str, ...] = ("ax", "ay", "az", "gx", "gy", "gz", "tick")
    delimiter: str = ","
    accel_unit: str = "g"
    gyro_unit: str = "deg/s"
    tick_period: float = 1e-3  # s per tick when a `tick` column is used
    axes: str = "x,y,z"  # device axes → REP-103 body axes

    def __post_init__(self):
        unknown = set(self.columns) - COLUMN_NAMES
        if unknown:
            raise LineFormatError(f"IMU columns {sorted(unknown)}: allowed are {sorted(COLUMN_NAMES)}")
        missing = {"ax", "ay", "az", "gx", "gy", "gz"} - set(self.columns)
        if missing:
            raise LineFormatError(f"IMU columns lack {sorted(missing)}")
        if ("time" in self.columns) == ("tick" in self.columns):
            raise LineFormatError("IMU columns need exactly one of 'time' (s) or 'tick'")
        if self.accel_unit not in ACCEL_UNITS:
            raise LineFormatError(f"accel_unit '{self.accel_unit}': one of {', '.join(ACCEL_UNITS)}")
        if self.gyro_unit not in GYRO_UNITS:
            raise LineFormatError(f"gyro_unit '{self.gyro_unit}': one of {', '.join(GYRO_UNITS)}")
        quaternion = [q in self.columns for q in QUATERNION]
        if any(quaternion) and not all(quaternion):
            raise LineFormatError("IMU columns: give all of qw, qx, qy, qz or none")
        M = parse_axes(self.axes)
        if all(quaternion) and np.linalg.det(M) < 0:
            raise LineFormatError(f"axes '{self.axes}' mirror the frame: an orientation cannot be mapped by it")
        object.__setattr__(self, "_M", M)
        object.__setattr__(self, "_index", {name: i for i, name in enumerate(self.columns)})

    @property
    def uses_ticks(self) -> bool:
        return "tick" in self.columns

    @property
    def has_orientation(self) -> bool:
        return "qw" in self.columns

    def orientation(self, values: dict) -> np.ndarray | None:
        """The body→ENU quaternion (w, x, y, z) from the device's: R_body = R_device · Mᵀ."""
        if not self.has_orientation:
            return None
        q = np.array([values[k] for k in QUATERNION])
        n = np.linalg.norm(q)
        if not n > 0.0:
            return None
        return mat2quat(quat2mat(q / n) @ self._M.T)

    def parse(self, line: str) -> tuple[float, np.ndarray, np.ndarray, np.ndarray | None] | None:
        """(time or tick, accel m/s², gyro rad/s, orientation or None) in body axes, or None for
        a line that is not data."""
        fields = line.strip().split(self.delimiter)
        if len(fields) < len(self.columns):
            return None
        try:
            values = {name: float(fields[i]) for name, i in self._index.items() if name != "skip"}
        except ValueError:
            return None
        if not all(math.isfinite(v) for v in values.values()):
            return None
        accel = np.array([values["ax"], values["ay"], values["az"]]) * ACCEL_UNITS[self.accel_unit]
        gyro = np.array([values["gx"], values["gy"], values["gz"]]) * GYRO_UNITS[self.gyro_unit]
        return values["tick" if self.uses_ticks else "time"], self._M @ accel, self._M @ gyro, self.orientation(values)


@dataclass
class CsvResult:
    samples: list[ImuSample]
    bad_lines: list[int]  # line numbers that were not data
    clock_rate: float | None = None  # fitted device-clock rate (s per tick ÷ nominal), 1 = exact
    latency: float | None = None  # median transport delay removed by the tag fit, s


def read_imu_csv(path: str | Path, fmt: LineFormat, tag: TimeTag | None = None,
                 start_time: float | None = None) -> CsvResult:
    """All samples of a log. Tick-stamped logs need a time tag (preferred) or a start time."""
    try:
        return samples_from_log(Path(path).read_bytes(), fmt, tag, start_time)
    except LineFormatError as err:
        raise LineFormatError(f"{path}: {err}") from None


def samples_from_log(raw: bytes, fmt: LineFormat, tag: TimeTag | None = None,
                     start_time: float | None = None) -> CsvResult:
    lines = raw.split(b"\n")
    ends = np.cumsum([len(x) + 1 for x in lines])  # byte offset after each line's newline
    rows, bad, line_ends = [], [], []
    for n, (text, end) in enumerate(zip(lines, ends, strict=True), 1):
        if not text.strip():
            continue
        parsed = fmt.parse(text.decode("ascii", errors="replace"))
        if parsed is None:
            bad.append(n)
            continue
        rows.append(parsed)
        line_ends.append(end)
    if not rows:
        return CsvResult([], bad)
    clock = np.array([r[0] for r in rows])
    if not fmt.uses_ticks:
        return CsvResult([ImuSample(t, a, g, q) for t, a, g, q in rows], bad)
    ticks = _unwrap(clock)
    if tag is not None:
        stamps, rate, latency = _fit_to_tag(ticks * fmt.tick_period, np.array(line_ends, dtype=float), tag,
                                            crlf_stripped=b"\r\n" not in raw[:4096])
    elif start_time is not None:
        stamps, rate, latency = start_time + (ticks - ticks[0]) * fmt.tick_period, None, None
    else:
        raise LineFormatError("a tick-stamped IMU log needs a time-tag file or a start time")
    return CsvResult([ImuSample(float(t), a, g, q) for t, (_, a, g, q) in zip(stamps, rows, strict=True)], bad,
                     rate, latency)


def _unwrap(ticks: np.ndarray) -> np.ndarray:
    """Device counters wrap; a step back by more than half the range is a wrap."""
    steps = np.diff(ticks)
    span = float(np.max(ticks)) + 1.0
    steps = np.where(steps < -span / 2, steps + span, steps)
    return np.concatenate([[ticks[0]], ticks[0] + np.cumsum(steps)])


def _fit_to_tag(device_s: np.ndarray, line_ends: np.ndarray, tag: TimeTag, crlf_stripped: bool):
    """Host receive time of each line from the tag, then device clock → GNSS time.

    A line was received by the first chunk whose end position covers its last byte. The
    device clock maps linearly onto those receive times (rate by least squares); the offset
    is set at the 5th percentile of the residuals, so transport latency and host jitter (which
    only ever delay a line) do not bias the stamps.
    """
    if crlf_stripped and tag.positions[-1] > line_ends[-1]:
        # recorded with CRLF, stored with LF: the tag counts one more byte per line
        line_ends = line_ends + np.arange(1, len(line_ends) + 1)
    idx = np.searchsorted(tag.positions, line_ends)
    known = idx < len(tag.positions)
    received = tag.start + tag.ticks[np.minimum(idx, len(tag.ticks) - 1)] / 1000.0
    x, y = device_s[known], received[known]
    rate, _ = np.polyfit(x - x[0], y, 1)
    residual = y - rate * (x - x[0])
    offset = np.percentile(residual, 5)
    stamps = offset + rate * (device_s - x[0])
    return stamps, float(rate), float(np.median(residual) - offset)
