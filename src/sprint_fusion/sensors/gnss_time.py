"""GNSS time scales: GPS time (week, time of week) and UTC (Unix time, what ROS stamps use)."""

from __future__ import annotations

import datetime as dt

GPS_EPOCH_UNIX = 315964800  # 1980-01-06T00:00:00Z
LEAP_SECONDS = 18  # GPS − UTC since 2017-01-01 (no leap second announced since)
WEEK_S = 7 * 86400


def gpst_to_unix(week: int, tow: float) -> float:
    return GPS_EPOCH_UNIX + week * WEEK_S + tow - LEAP_SECONDS


def unix_to_itow_ms(unix_time: float) -> int:
    """GPS time of week in ms for a UTC Unix time."""
    return int(round((unix_time - GPS_EPOCH_UNIX + LEAP_SECONDS) * 1000.0)) % (WEEK_S * 1000)


def gpst_datetime_to_unix(text: str) -> float:
    """'2025/07/08 19:34:18.499' in GPS time → Unix (UTC) seconds."""
    t = dt.datetime.strptime(text, "%Y/%m/%d %H:%M:%S.%f").replace(tzinfo=dt.timezone.utc)
    return t.timestamp() - LEAP_SECONDS


def utc_fields_to_unix(year, month, day, hour, minute, second, nano) -> float:
    t = dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.timezone.utc)
    return t.timestamp() + nano * 1e-9
