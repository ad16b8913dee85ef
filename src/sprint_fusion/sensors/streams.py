"""Byte stream → decoded events, the one path shared by the driver nodes and the converters.

UbxStream: UBX (with NMEA/RTCM3 interleaved) → navigation epochs and ESF IMU samples.
NmeaStream: NMEA → fixes. Neither raises on bad bytes: damage is counted (`counters()`),
and pyubx2's own exceptions on a checked frame (it raises more than its own types on odd
payloads) are caught and counted as undecodable.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyubx2 import UBXReader

from .framing import StreamFramer
from .nmea import NmeaAssembler
from .ubx_esf import EsfDecoder
from .ubx_nav import NavAssembler, NavEpoch


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
        events: list[Event] = []
        for frame in self.framer.feed(data):
            if frame.kind != "ubx":
                continue
            try:
                msg = UBXReader.parse(frame.data)
            except Exception:
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
        self.framer.flush()
        return self._epochs(self.nav.flush())

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


class NmeaStream:
    def __init__(self):
        self.framer = StreamFramer()
        self.nmea = NmeaAssembler()

    def feed(self, data: bytes, arrival: float | None = None) -> list[Event]:
        out = []
        for frame in self.framer.feed(data):
            if frame.kind == "nmea":
                out += [Event("gnss", f) for f in self.nmea.add(frame.data)]
        return out

    def close(self) -> list[Event]:
        self.framer.flush()
        return [Event("gnss", f) for f in self.nmea.flush()]

    def counters(self) -> dict[str, int]:
        s = self.framer.stats
        return {"nmea frames": s.frames["nmea"], "bad checksums": s.bad_checksum, "skipped bytes": s.skipped_bytes,
                "undecodable": self.nmea.bad}
