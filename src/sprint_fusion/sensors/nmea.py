"""NMEA 0183 as a fallback GNSS source: GGA (position, quality), RMC (date, speed, course),
GST (error statistics) of one epoch, parsed with pynmeagps.

Accuracy: from GST when the receiver sends it; otherwise HDOP times a per-quality range error
(the numbers below, documented as such: NMEA without GST reports no accuracy at all).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from pynmeagps import NMEAReader

from ..core.samples import FixType, GnssFix

GGA_QUALITY = {0: FixType.NO_FIX, 1: FixType.SINGLE, 2: FixType.DGNSS, 4: FixType.RTK_FIXED,
               5: FixType.RTK_FLOAT, 6: FixType.DEAD_RECKONING}
# 1σ horizontal error per unit HDOP when no GST is sent (m): typical for each solution type.
UERE = {FixType.RTK_FIXED: 0.02, FixType.RTK_FLOAT: 0.3, FixType.DGNSS: 0.7, FixType.SINGLE: 2.5,
        FixType.DEAD_RECKONING: 5.0}
KNOT = 1852.0 / 3600.0


class NmeaAssembler:
    """GGA + RMC (+ GST) of one time of day → GnssFix. Emits when the epoch's time changes."""

    def __init__(self):
        self.time: dt.time | None = None
        self.parts: dict = {}
        self.date: dt.date | None = None
        self.bad = 0

    def add(self, line: bytes) -> list[GnssFix]:
        try:
            msg = NMEAReader.parse(line)
        except Exception:  # pynmeagps raises several types on malformed sentences
            self.bad += 1
            return []
        kind = getattr(msg, "msgID", None)
        if kind not in ("GGA", "RMC", "GST"):
            return []
        out = []
        if self.time is not None and msg.time != self.time:
            out += self.flush()
        self.time = msg.time
        self.parts[kind] = msg
        if kind == "RMC" and msg.date:
            self.date = msg.date
        return out

    def flush(self) -> list[GnssFix]:
        gga, rmc, gst = (self.parts.get(k) for k in ("GGA", "RMC", "GST"))
        time, self.parts, self.time = self.time, {}, None
        if gga is None or self.date is None or time is None:
            return []
        stamp = dt.datetime.combine(self.date, time, tzinfo=dt.timezone.utc).timestamp()
        kind = GGA_QUALITY.get(int(gga.quality or 0), FixType.SINGLE)
        if kind == FixType.NO_FIX or gga.lat == "" or gga.lon == "":
            nan = float("nan")
            return [GnssFix(stamp, nan, nan, nan, np.full((3, 3), np.nan), FixType.NO_FIX)]
        if gst is not None and gst.stdLat != "":
            cov = np.diag([float(gst.stdLong) ** 2, float(gst.stdLat) ** 2, float(gst.stdAlt) ** 2])
        else:
            h = float(gga.HDOP or 1.0) * UERE[kind]
            cov = np.diag([h * h / 2, h * h / 2, (2 * h) ** 2])  # vertical: about twice horizontal
        velocity = vcov = heading = None
        if rmc is not None and rmc.spd != "":
            speed = float(rmc.spd) * KNOT
            course = float(rmc.cog) if rmc.cog != "" else None
            if course is not None:
                c = math.radians(course)
                velocity = np.array([speed * math.sin(c), speed * math.cos(c), 0.0])
                vcov = np.diag([0.05**2, 0.05**2, 1e6])  # RMC carries no accuracy; 5 cm/s, vertical unknown
                heading = course
        altitude = float(gga.alt) + float(gga.sep or 0.0)  # ellipsoidal height = MSL + geoid separation
        return [GnssFix(stamp, float(gga.lat), float(gga.lon), altitude, cov, kind, velocity, vcov, heading,
                        None)]
