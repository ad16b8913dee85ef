"""Byte stream → decoded events, the one path shared by the driver nodes and the converters.

UbxStream: UBX (with NMEA/RTCM3 interleaved) → navigation epochs and ESF IMU samples.
NmeaStream: NMEA → fixes. PosStream: RTKLIB solution lines → fixes. LineStream: delimited IMU
lines → IMU samples. None raises on bad bytes: damage is counted (`counters()`), and pyubx2's
own exceptions on a checked frame (it raises more than its own types on odd payloads) are
caught and counted as undecodable.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyubx2 import UBXReader

from ..core.samples import ImuSample
from .framing import StreamFramer
from .imu_lines import LineFormat, samples_from_log
from .nmea import NmeaAssembler
from .rtklib import PosFormatError, PosParser, TimeTag
from .ubx_esf import EsfDecoder, TickClock
from .ubx_nav import PAYLOAD_LENGTHS, NavAssembler, NavEpoch


@dataclass
class Event:
    kind: str  # "gnss" (a NavEpoch or GnssFix) or "imu" (an ImuSample)
    value: object


class UbxStream:
    def __init__(self, esf: EsfDecoder | None = None):
        self.framer = StreamFramer()
        self.nav = NavAssembler()
        self.esf = esf or EsfDecoder()
        self.undecodable = 0
        self.last_epoch_time: float | None = None

    def feed(self, data: bytes, arrival: float | None = None) -> list[Event]:
        """Events from new bytes. `arrival` (live: the host time now) anchors IMU time tags;
        without it (logs) they anchor to the newest navigation epoch's receiver time."""
        return self._frames(self.framer.feed(data), arrival)

    def _frames(self, frames, arrival: float | None) -> list[Event]:
        events: list[Event] = []
        for frame in frames:
            if frame.kind != "ubx":
                continue
            try:
                msg = UBXReader.parse(frame.data)
            except Exception:  # pyubx2 raises more than its own error types on odd payloads
                self.undecodable += 1
                continue
            lengths = PAYLOAD_LENGTHS.get(msg.identity)
            if lengths is not None and len(frame.data) - 8 not in lengths:
                self.undecodable += 1
                continue
            if msg.identity.startswith("ESF-"):
                reference = arrival
                if reference is None and self.last_epoch_time is not None:
                    reference, self.last_epoch_time = self.last_epoch_time, None  # fresh once
                events += [Event("imu", s) for s in self.esf.add(msg, reference)]
            else:
                events += self._epochs(self.nav.add(msg))
        return events

    def close(self) -> list[Event]:
        return self._frames(self.framer.flush(), None) + self._epochs(self.nav.flush())

    def _epochs(self, epochs: list[NavEpoch]) -> list[Event]:
        for e in epochs:
            if e.receiver_time_valid:
                self.last_epoch_time = e.fix.stamp
        return [Event("gnss", e) for e in epochs]

    def counters(self) -> dict[str, int]:
        s = self.framer.stats
        return {"ubx frames": s.frames["ubx"], "nmea frames": s.frames["nmea"], "rtcm3 frames": s.frames["rtcm3"],
                "bad checksums": s.bad_checksum, "skipped bytes": s.skipped_bytes,
                "truncated bytes": s.truncated_bytes, "undecodable": self.undecodable,
                "imu samples": self.esf.stats.samples, "imu unpaired": self.esf.stats.unpaired,
                "imu untimed": self.esf.stats.untimed}


class PosStream:
    """RTKLIB solution lines (a .pos file, or rtkrcv/str2str output over TCP or serial).
    A line that does not parse is counted and skipped."""

    def __init__(self):
        self.parser = PosParser()
        self.pending = b""
        self.bad_lines = 0

    def feed(self, data: bytes, arrival: float | None = None) -> list[Event]:
        lines = (self.pending + data).split(b"\n")
        self.pending = lines.pop()
        return self._parse(lines)

    def close(self) -> list[Event]:
        lines, self.pending = [self.pending], b""
        return self._parse(lines)

    def _parse(self, lines: list[bytes]) -> list[Event]:
        out = []
        for raw in lines:
            try:
                fix = self.parser.line(raw.decode("ascii", errors="replace"))
            except PosFormatError:
                self.bad_lines += 1
                continue
            if fix is not None:
                out.append(Event("gnss", fix))
        return out

    def counters(self) -> dict[str, int]:
        return {"solution lines": self.parser.lineno, "bad lines": self.bad_lines}


class NmeaStream:
    def __init__(self):
        self.framer = StreamFramer()
        self.nmea = NmeaAssembler()

    def feed(self, data: bytes, arrival: float | None = None) -> list[Event]:
        return self._frames(self.framer.feed(data))

    def _frames(self, frames) -> list[Event]:
        out = []
        for frame in frames:
            if frame.kind == "nmea":
                out += [Event("gnss", f) for f in self.nmea.add(frame.data)]
        return out

    def close(self) -> list[Event]:
        return self._frames(self.framer.flush()) + [Event("gnss", f) for f in self.nmea.flush()]

    def counters(self) -> dict[str, int]:
        s = self.framer.stats
        return {"nmea frames": s.frames["nmea"], "bad checksums": s.bad_checksum, "skipped bytes": s.skipped_bytes,
                "undecodable": self.nmea.bad}


class LineStream:
    """IMU text lines. Live (an arrival time given): each line becomes a sample at once, device
    ticks anchored to the arrival time. A log (no arrival): the bytes are kept and timed at the
    end, through the log's RTKLIB time tag when there is one (see imu_lines.read_imu_csv)."""

    def __init__(self, fmt: LineFormat, tag: TimeTag | None = None, start_time: float | None = None):
        self.fmt, self.tag, self.start_time = fmt, tag, start_time
        self.clock = TickClock(fmt.tick_period)
        self.pending = b""
        self.log = bytearray()
        self.bad_lines = 0
        self.samples = 0

    def feed(self, data: bytes, arrival: float | None = None) -> list[Event]:
        if arrival is None:
            self.log += data
            return []
        lines = (self.pending + data).split(b"\n")
        self.pending = lines.pop()
        out = []
        for raw in lines:
            parsed = self.fmt.parse(raw.decode("ascii", errors="replace")) if raw.strip() else None
            if parsed is None:
                self.bad_lines += bool(raw.strip())
                continue
            clock, accel, gyro, orientation = parsed
            stamp = self.clock.stamp(int(clock), arrival) if self.fmt.uses_ticks else clock
            out.append(Event("imu", ImuSample(stamp, accel, gyro, orientation)))
        self.samples += len(out)
        return out

    def close(self) -> list[Event]:
        if not self.log:
            return []
        result = samples_from_log(bytes(self.log), self.fmt, self.tag, self.start_time)
        self.bad_lines += len(result.bad_lines)
        self.samples += len(result.samples)
        self.log.clear()
        return [Event("imu", s) for s in result.samples]

    def counters(self) -> dict[str, int]:
        return {"imu samples": self.samples, "bad lines": self.bad_lines, "clock resyncs": self.clock.resyncs}
