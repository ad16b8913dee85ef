"""u-blox navigation epochs: NAV-PVT, with NAV-HPPOSLLH, NAV-COV and NAV-RELPOSNED when present.

Messages of one epoch share iTOW. An epoch is complete at NAV-EOE, when every message type
seen so far in the stream has arrived for it, or when a newer epoch starts — so a receiver
sending NAV-PVT alone is decoded without delay, and enabling NAV-EOE gives the lowest latency
with several messages.

Units and frames: ENU, metres, m/s, m², degrees (heading clockwise from north as the receiver
reports it). hAcc is a horizontal (2-D) accuracy: east and north each get hAcc²/2. NAV-COV,
when valid, replaces that with the receiver's full covariance (rotated from NED to ENU).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..core.samples import FixType, GnssFix
from .gnss_time import utc_fields_to_unix

NAV_TYPES = ("NAV-PVT", "NAV-HPPOSLLH", "NAV-COV", "NAV-RELPOSNED")
# Payload lengths of the messages used: pyubx2 zero-pads a short payload into a plausible
# message, so a frame of another length is refused (NAV-RELPOSNED: M8 layout 40, F9 layout 64).
PAYLOAD_LENGTHS = {"NAV-PVT": (92,), "NAV-HPPOSLLH": (36,), "NAV-COV": (64,), "NAV-RELPOSNED": (40, 64),
                   "NAV-EOE": (4,)}
# NED ↔ ENU: (e, n, u) = (n_ned[1], n_ned[0], −n_ned[2])
NED_TO_ENU = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])


@dataclass(frozen=True)
class RelativePosition:
    """NAV-RELPOSNED: the rover relative to its base station, ENU metres, with 1σ accuracy."""

    enu: np.ndarray
    accuracy: np.ndarray
    fix_type: FixType
    valid: bool


@dataclass(frozen=True)
class NavEpoch:
    itow: int  # ms, GPS time of week
    fix: GnssFix  # stamp: receiver UTC time if valid, else NaN (the caller stamps it)
    receiver_time_valid: bool
    num_sv: int
    sources: tuple[str, ...]  # which messages contributed
    relpos: RelativePosition | None = None


def fix_type_of(pvt) -> FixType:
    if not pvt.gnssFixOk or pvt.fixType in (0, 5):
        return FixType.NO_FIX
    if pvt.carrSoln == 2:
        return FixType.RTK_FIXED
    if pvt.carrSoln == 1:
        return FixType.RTK_FLOAT
    if pvt.fixType == 1:
        return FixType.DEAD_RECKONING
    return FixType.DGNSS if pvt.diffSoln else FixType.SINGLE


def _ned_cov(m, prefix: str) -> np.ndarray:
    nn, ne, nd = getattr(m, prefix + "NN"), getattr(m, prefix + "NE"), getattr(m, prefix + "ND")
    ee, ed, dd = getattr(m, prefix + "EE"), getattr(m, prefix + "ED"), getattr(m, prefix + "DD")
    ned = np.array([[nn, ne, nd], [ne, ee, ed], [nd, ed, dd]], dtype=float)
    return NED_TO_ENU @ ned @ NED_TO_ENU.T


def build_epoch(parts: dict) -> NavEpoch | None:
    pvt = parts.get("NAV-PVT")
    if pvt is None:
        return None
    kind = fix_type_of(pvt)
    valid_time = bool(pvt.validDate and pvt.validTime and pvt.fullyResolved)
    stamp = (utc_fields_to_unix(pvt.year, pvt.month, pvt.day, pvt.hour, pvt.min, pvt.second, pvt.nano)
             if valid_time else float("nan"))
    hp = parts.get("NAV-HPPOSLLH")
    if hp is not None and not hp.invalidLlh:
        lat, lon, h_mm, h_acc, v_acc = hp.lat, hp.lon, hp.height, hp.hAcc, hp.vAcc
    else:
        lat, lon, h_mm, h_acc, v_acc = pvt.lat, pvt.lon, pvt.height, pvt.hAcc, pvt.vAcc
    h_acc, v_acc = h_acc / 1000.0, v_acc / 1000.0
    cov = np.diag([h_acc**2 / 2.0, h_acc**2 / 2.0, v_acc**2])
    s_acc = pvt.sAcc / 1000.0
    vcov = np.eye(3) * s_acc**2
    nav_cov = parts.get("NAV-COV")
    if nav_cov is not None:
        if nav_cov.posCovValid:
            cov = _ned_cov(nav_cov, "posCov")
        if nav_cov.velCovValid:
            vcov = _ned_cov(nav_cov, "velCov")
    velocity = np.array([pvt.velE, pvt.velN, -pvt.velD], dtype=float) / 1000.0
    if kind == FixType.NO_FIX:
        nan = float("nan")
        fix = GnssFix(stamp, nan, nan, nan, np.full((3, 3), np.nan), kind)
    else:
        fix = GnssFix(stamp, float(lat), float(lon), h_mm / 1000.0, cov, kind, velocity, vcov,
                      float(pvt.headMot), float(pvt.headAcc))
    return NavEpoch(pvt.iTOW, fix, valid_time, pvt.numSV, tuple(sorted(parts)), _relpos(parts.get("NAV-RELPOSNED")))


def _relpos(m) -> RelativePosition | None:
    if m is None:
        return None
    # pyubx2 adds the 0.1 mm high-precision parts into relPosN/E/D (cm) for us
    ned = np.array([m.relPosN, m.relPosE, m.relPosD], dtype=float) / 100.0
    acc = np.array([m.accE, m.accN, m.accD], dtype=float) / 1000.0
    kind = {2: FixType.RTK_FIXED, 1: FixType.RTK_FLOAT}.get(m.carrSoln, FixType.DGNSS if m.diffSoln else FixType.SINGLE)
    return RelativePosition(NED_TO_ENU @ ned, acc, kind, bool(m.relPosValid and m.gnssFixOK))


class NavAssembler:
    """Collect the NAV messages of each epoch; return complete epochs."""

    def __init__(self):
        self.itow: int | None = None
        self.parts: dict = {}
        self.types_seen: set[str] = set()
        self.learned = False  # the receiver's message set is known after its first full epoch

    def add(self, msg) -> list[NavEpoch]:
        ident = msg.identity
        if ident == "NAV-EOE":
            return self._close() if msg.iTOW == self.itow else []
        if ident not in NAV_TYPES:
            return []
        out = []
        if self.itow is not None and msg.iTOW != self.itow:
            out += self._close()
        self.itow = msg.iTOW
        self.parts[ident] = msg
        self.types_seen.add(ident)
        if self.learned and "NAV-PVT" in self.parts and self.types_seen <= set(self.parts):
            out += self._close()
        return out

    def flush(self) -> list[NavEpoch]:
        return self._close()

    def _close(self) -> list[NavEpoch]:
        epoch = build_epoch(self.parts)
        self.learned = self.learned or epoch is not None
        self.parts, self.itow = {}, None
        return [epoch] if epoch is not None else []
