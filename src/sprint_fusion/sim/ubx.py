"""The simulated GNSS stream as the UBX byte log a u-blox F9P would send (pyubx2).

Per epoch: NAV-HPPOSLLH (position to 1e-9° and 0.1 mm) then NAV-PVT (time, fix type and
carrier solution, velocity, heading of motion, accuracies). Outage epochs are NAV-PVT with
fixType 0 and gnssFixOK clear, as the receiver reports them.
"""

from __future__ import annotations

import datetime as dt
import math

from pyubx2 import GET, UBXMessage

from ..core.samples import FixType
from ..sensors.gnss_time import unix_to_itow_ms
from .sensors import GnssEpoch

CARRIER = {FixType.RTK_FLOAT: 1, FixType.RTK_FIXED: 2}
PVT_FIX_TYPE = {FixType.NO_FIX: 0, FixType.DEAD_RECKONING: 1}  # everything else is a 3-D fix (3)


def _scaled(value: float, resolution: float) -> float:
    """A value for pyubx2 that encodes to round(value / resolution).

    pyubx2 encodes scaled fields as int(value / resolution), truncating toward zero, so a
    value that is already on the grid can land one unit low; a quarter unit toward the
    right side of zero makes the truncation exact.
    """
    n = round(value / resolution)
    return (n + (0.25 if n >= 0 else -0.25)) * resolution


def _split_hp(value: float, scale_main: float, scale_hp: float) -> tuple[int, int]:
    """A value in units of scale_hp split into the main field and its high-precision remainder."""
    total = int(round(value / scale_hp))
    ratio = int(round(scale_main / scale_hp))
    main = int(round(total / ratio))
    return main, total - main * ratio


def epoch_messages(epoch: GnssEpoch, unix_stamp: float) -> list[UBXMessage]:
    fix = epoch.fix
    itow = unix_to_itow_ms(unix_stamp)
    utc = dt.datetime.fromtimestamp(round(unix_stamp, 3), dt.timezone.utc)
    valid = fix.fix_type != FixType.NO_FIX
    time_fields = dict(iTOW=itow, year=utc.year, month=utc.month, day=utc.day, hour=utc.hour, min=utc.minute,
                       second=utc.second, nano=utc.microsecond * 1000, validDate=1, validTime=1,
                       fullyResolved=1, tAcc=20)
    if not valid:
        return [UBXMessage("NAV", "NAV-PVT", GET, **time_fields, fixType=0, gnssFixOk=0, numSV=epoch.num_sv,
                           hAcc=2**32 - 1, vAcc=2**32 - 1, sAcc=2**32 - 1, headAcc=_scaled(180.0, 1e-5),
                           pDOP=_scaled(99.99, 0.01),
                           invalidLlh=1)]
    lat7, lat_hp = _split_hp(fix.latitude, 1e-7, 1e-9)
    lon7, lon_hp = _split_hp(fix.longitude, 1e-7, 1e-9)
    h_mm, h_hp = _split_hp(fix.altitude * 1000.0, 1.0, 0.1)
    h_acc_mm = math.sqrt(fix.position_covariance[0, 0] + fix.position_covariance[1, 1]) * 1000.0
    v_acc_mm = math.sqrt(fix.position_covariance[2, 2]) * 1000.0
    hp = UBXMessage("NAV", "NAV-HPPOSLLH", GET, version=0, iTOW=itow, lon=_scaled(lon7 * 1e-7, 1e-7),
                    lat=_scaled(lat7 * 1e-7, 1e-7), height=h_mm, hMSL=h_mm, _HPlon=_scaled(lon_hp * 1e-9, 1e-9),
                    _HPlat=_scaled(lat_hp * 1e-9, 1e-9), _HPheight=_scaled(h_hp * 0.1, 0.1),
                    _HPhMSL=_scaled(h_hp * 0.1, 0.1), hAcc=_scaled(h_acc_mm, 0.1), vAcc=_scaled(v_acc_mm, 0.1),
                    invalidLlh=0)
    v = fix.velocity
    s_acc_mm = math.sqrt(fix.velocity_covariance[0, 0]) * 1000.0
    pvt = UBXMessage(
        "NAV", "NAV-PVT", GET, **time_fields, fixType=PVT_FIX_TYPE.get(fix.fix_type, 3), gnssFixOk=1,
        diffSoln=int(fix.fix_type >= FixType.DGNSS), carrSoln=CARRIER.get(fix.fix_type, 0), numSV=epoch.num_sv,
        lon=_scaled(fix.longitude, 1e-7), lat=_scaled(fix.latitude, 1e-7), height=round(fix.altitude * 1000.0),
        hMSL=round(fix.altitude * 1000.0), hAcc=round(h_acc_mm), vAcc=round(v_acc_mm),
        velN=round(v[1] * 1000.0), velE=round(v[0] * 1000.0), velD=round(-v[2] * 1000.0),
        gSpeed=round(math.hypot(v[0], v[1]) * 1000.0), headMot=_scaled(fix.heading, 1e-5), sAcc=round(s_acc_mm),
        headAcc=_scaled(fix.heading_accuracy, 1e-5), pDOP=_scaled(1.2, 0.01))
    return [hp, pvt]


def ubx_log(epochs: list[GnssEpoch], start_utc: float) -> bytes:
    return b"".join(m.serialize() for e in epochs for m in epoch_messages(e, start_utc + e.fix.stamp))
