"""u-blox external-sensor-fusion messages (ESF-RAW, ESF-MEAS) → IMU samples.

pyubx2 leaves the payload items raw: each is a little-endian 32-bit word whose bits 24–29 are
the data type and bits 0–23 a signed 24-bit value. Accelerations (types 16/17/18 = x/y/z) are
in 2⁻¹⁰ m/s², angular rates (14/13/5 = x/y/z) in 2⁻¹² °/s. The items of one instant share a
time tag (ESF-RAW: sTtag, in sensor ticks; ESF-MEAS: timeTag, ms); a sample is complete when
all six axes have arrived, across messages if need be.

Axes: the values are taken in the receiver's IMU frame; `axes` maps them onto the REP-103
body frame (x forward, y left, z up), e.g. "x,-y,-z" for a forward-right-down mount.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core.samples import ImuSample

ACCEL = {16: 0, 17: 1, 18: 2}
GYRO = {14: 0, 13: 1, 5: 2}
ACCEL_SCALE = 2.0**-10  # m/s² per LSB
GYRO_SCALE = math.radians(2.0**-12)  # rad/s per LSB
ESF_RAW_TICK = 1.0 / 25600.0  # s per sTtag tick (M8U: 39 µs, 257 ticks per 10 ms); a parameter
ESF_MEAS_TICK = 1e-3  # timeTag is ms


def sign24(value: int) -> int:
    value &= 0xFFFFFF
    return value - (1 << 24) if value & 0x800000 else value


def raw_item(word: bytes | int) -> tuple[int, int]:
    """(data type, signed value) of one ESF payload word."""
    v = int.from_bytes(word, "little") if isinstance(word, (bytes, bytearray)) else int(word)
    return (v >> 24) & 0x3F, sign24(v)


def parse_axes(spec: str) -> np.ndarray:
    """'x,-y,-z' → 3×3 matrix taking sensor-axis values to body axes."""
    names = [s.strip() for s in spec.split(",")]
    if len(names) != 3:
        raise ValueError(f"axes '{spec}': need three comma-separated axes like 'x,-y,-z'")
    M = np.zeros((3, 3))
    for row, name in enumerate(names):
        sign = -1.0 if name.startswith("-") else 1.0
        axis = name.lstrip("+-")
        if axis not in ("x", "y", "z"):
            raise ValueError(f"axes '{spec}': '{name}' is not ±x, ±y or ±z")
        M[row, "xyz".index(axis)] = sign
    if abs(abs(np.linalg.det(M)) - 1.0) > 1e-9:
        raise ValueError(f"axes '{spec}': each sensor axis must be used once")
    return M


class TickClock:
    """Sensor ticks → stamps: unwrap the 32-bit counter, scale, and anchor to a reference time.

    The first sample is anchored to a reference time the caller gives: the arrival time live,
    or the time of a receiver epoch that has just been decoded from a log. Pass a reference
    only when it is fresh (None otherwise); if the tick-derived time strays from a fresh
    reference by more than `resync` seconds, the clock is re-anchored and that is counted.
    Samples before the first reference are timed once it comes (the ticks run on), see
    `EsfDecoder`.
    """

    def __init__(self, tick: float, resync: float = 0.5, bits: int = 32):
        self.tick, self.resync, self.span = tick, resync, 1 << bits
        self.last: int | None = None
        self.unwrapped = 0
        self.anchor: tuple[int, float] | None = None
        self.resyncs = 0

    def unwrap(self, ticks: int) -> int:
        if self.last is not None:
            self.unwrapped += (ticks - self.last) % self.span
        self.last = ticks
        return self.unwrapped

    def time(self, unwrapped: int, reference: float | None) -> float | None:
        """Time of an unwrapped tick count (earlier ones too, once anchored)."""
        if self.anchor is None:
            if reference is None:
                return None
            self.anchor = (unwrapped, reference)
        t = self.anchor[1] + (unwrapped - self.anchor[0]) * self.tick
        if reference is not None and abs(t - reference) > self.resync:
            self.anchor = (unwrapped, reference)
            self.resyncs += 1
            t = reference
        return t

    def stamp(self, ticks: int, reference: float | None) -> float | None:
        return self.time(self.unwrap(ticks), reference)


@dataclass
class EsfStats:
    samples: int = 0
    unpaired: int = 0  # accel or gyro triples that found no partner within the pairing window
    untimed: int = 0  # samples dropped because no time reference came within `hold` samples


class _Stream:
    """One time base (ESF-RAW or ESF-MEAS): axis items → triples → accel+gyro pairs."""

    def __init__(self, tick: float, resync: float, pair_window: float):
        self.clock = TickClock(tick, resync)
        self.window = pair_window / tick  # in ticks
        self.groups: dict[int, dict[int, int]] = {}
        self.accel: list[tuple[int, np.ndarray]] = []
        self.gyro: list[tuple[int, np.ndarray]] = []

    def add(self, tag: int, dtype: int, value: int) -> None:
        group = self.groups.setdefault(tag, {})
        group[dtype] = value
        for table, queue, scale in ((ACCEL, self.accel, ACCEL_SCALE), (GYRO, self.gyro, GYRO_SCALE)):
            if dtype in table and all(t in group for t in table):
                vec = np.zeros(3)
                for t, axis in table.items():
                    vec[axis] = group.pop(t) * scale
                queue.append((tag, vec))
        if not group:
            del self.groups[tag]

    def pairs(self, stats: EsfStats) -> list[tuple[int, np.ndarray, np.ndarray]]:
        out = []
        self.accel.sort(key=lambda e: e[0])
        self.gyro.sort(key=lambda e: e[0])
        while self.accel and self.gyro:
            (ta, a), (tg, g) = self.accel[0], self.gyro[0]
            if abs(ta - tg) <= self.window:
                out.append((ta, a, g))
                self.accel.pop(0)
                self.gyro.pop(0)
            else:  # the older one can no longer find a partner
                (self.accel if ta < tg else self.gyro).pop(0)
                stats.unpaired += 1
        while len(self.groups) > 64:  # items of a lost message never complete a triple
            self.groups.pop(next(iter(self.groups)))
        return out


class EsfDecoder:
    """ESF-RAW / ESF-MEAS → ImuSample. An accel triple and a gyro triple whose time tags lie
    within `pair_window` form one sample, stamped at the accel tag (ESF-RAW tags them alike;
    the M8L measures its gyro 5 ms before its accelerometer).

    A receiver may send the same sensors both ways (the M8U does); `source` picks one:
    'raw', 'meas', or 'auto' (ESF-RAW once it has been seen, ESF-MEAS until then).
    """

    def __init__(self, axes: str = "x,y,z", raw_tick: float = ESF_RAW_TICK, resync: float = 0.5,
                 pair_window: float = 0.02, source: str = "auto"):
        if source not in ("auto", "raw", "meas"):
            raise ValueError(f"ESF source '{source}': must be auto, raw or meas")
        self.source = source
        self.raw_seen = False
        self.reference: float | None = None  # a fresh reference waiting for the next sample
        self.untimed: list = []  # (stream, unwrapped tick, accel, gyro) before the clock is anchored
        self.hold = 5000
        self.M = parse_axes(axes)
        self.streams = {"ESF-RAW": _Stream(raw_tick, resync, pair_window),
                        "ESF-MEAS": _Stream(ESF_MEAS_TICK, resync, pair_window)}
        self.stats = EsfStats()

    def add(self, msg, reference: float | None) -> list[ImuSample]:
        """Samples completed by one ESF-RAW or ESF-MEAS message (others are ignored)."""
        stream = self.streams.get(msg.identity)
        if stream is None or not self._wanted(msg.identity):
            return []
        if msg.identity == "ESF-RAW":
            for k in range(1, 1000):
                word = getattr(msg, f"data_{k:02d}", None)
                if word is None:
                    break
                stream.add(int.from_bytes(getattr(msg, f"sTag_{k:02d}"), "little"), *raw_item(word))
        else:
            for k in range(1, msg.numMeas + 1):
                stream.add(msg.timeTag, getattr(msg, f"dataType_{k:02d}"), sign24(getattr(msg, f"dataField_{k:02d}")))
        if reference is not None:
            self.reference = reference
        out = []
        for tag, accel, gyro in stream.pairs(self.stats):
            ticks = stream.clock.unwrap(tag)
            stamp = stream.clock.time(ticks, self.reference)
            self.reference = None  # a reference is fresh for one sample only
            if stamp is None:  # not anchored yet: hold it, its ticks will tell its time
                self.untimed.append((stream, ticks, accel, gyro))
                if len(self.untimed) > self.hold:
                    self.untimed.pop(0)
                    self.stats.untimed += 1
                continue
            out += self._release(stream)
            out.append(self._sample(stamp, accel, gyro))
        return out

    def _release(self, stream: _Stream) -> list[ImuSample]:
        held = [h for h in self.untimed if h[0] is stream]
        self.untimed = [h for h in self.untimed if h[0] is not stream]
        return [self._sample(stream.clock.time(ticks, None), a, g) for _, ticks, a, g in held]

    def _sample(self, stamp: float, accel: np.ndarray, gyro: np.ndarray) -> ImuSample:
        self.stats.samples += 1
        return ImuSample(stamp, self.M @ accel, self.M @ gyro)

    def _wanted(self, identity: str) -> bool:
        if identity == "ESF-RAW":
            self.raw_seen = True
            return self.source in ("auto", "raw")
        return self.source == "meas" or (self.source == "auto" and not self.raw_seen)
