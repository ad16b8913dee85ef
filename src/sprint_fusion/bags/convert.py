"""Logs recorded with any tool → a rosbag2 of the driver topics, by the drivers' own decoding.

`ubx2bag`: a UBX log (NAV epochs and ESF IMU data). `pos2bag`: an RTKLIB .pos, optionally with
an IMU CSV and its RTKLIB time tag. Messages are logged at their stamps; parameters (frames,
IMU noise, line format) come from the same driver parameter tables as the nodes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .. import msgs, topics
from ..core.params import read_params_file, validate_all
from ..sensors.imu_lines import LineFormat, read_imu_csv
from ..sensors.rtklib import read_pos, read_tag
from ..sensors.sources import FileSource
from ..sensors.streams import Event, NmeaStream, PosStream, UbxStream
from ..sensors.ubx_esf import EsfDecoder
from ..sensors.ubx_nav import NavEpoch


def driver_params(sensors: str | Path | None, node: str, table, overrides: dict | None = None) -> dict:
    """A driver's parameters from a sensor config (section /**/NODE), defaults otherwise."""
    values = read_params_file(sensors, f"/**/{node}") if sensors else {}
    values.update(overrides or {})
    return validate_all(table, values)


def read_events(stream, source: FileSource) -> list[Event]:
    events = []
    while True:
        data = source.read(0.0)
        if not data and source.at_end:
            break
        events += stream.feed(data)
    return events + stream.close()


def records(events: Iterable[Event], gnss: dict, imu: dict, namespace: str = "", types=None):
    """(topic, msgtype, log_ns, message) of decoded events, in stamp order."""
    out = []
    accel_var, gyro_var = imu["accel_noise"] ** 2, imu["gyro_noise"] ** 2
    orientation_cov = np.diag(np.square(imu["orientation_noise"]))
    for e in events:
        if e.kind == "gnss":
            fix = e.value.fix if isinstance(e.value, NavEpoch) else e.value
            pairs = msgs.gnss_messages(types, fix, gnss["frame_id"], gnss["velocity_frame_id"])
        else:
            fix = e.value
            pairs = msgs.imu_messages(types, e.value, imu["frame_id"], accel_var, gyro_var, orientation_cov)
        log = msgs.stamp_to_ns(fix.stamp)
        out += [(topics.resolve(t, namespace), topics.TYPES[t], log, m) for t, m in pairs]
    out.sort(key=lambda r: r[2])  # stable: an epoch's messages keep their publish order
    return out


def log_events(path: str | Path, gnss: dict, imu: dict, strip_comments: bool = False) -> tuple[list[Event], dict]:
    """A receiver log decoded by the protocol the sensor config names (gnss_driver's `source`):
    UBX (NAV epochs and ESF IMU data), NMEA or RTKLIB solution lines."""
    source = gnss["source"]
    if source == "ubx":
        stream = UbxStream(EsfDecoder(imu["axes"], imu["esf_raw_tick"], source=imu["esf_source"]))
    else:
        stream = NmeaStream() if source == "nmea" else PosStream()
    events = read_events(stream, FileSource(path, strip_comments, chunk=1 << 16))
    # an epoch without valid receiver time cannot be placed in a log: counted, left out
    timed = [e for e in events if not isinstance(e.value, NavEpoch) or e.value.receiver_time_valid]
    counters = {"source": source, **stream.counters(), "epochs without receiver time": len(events) - len(timed)}
    return timed, counters


def pos_events(pos: str | Path, imu_csv: str | Path | None, imu: dict, imu_tag: str | Path | None = None):
    events = [Event("gnss", fix) for fix in read_pos(pos)]
    counters = {"gnss epochs": len(events)}
    if imu_csv:
        fmt = LineFormat(tuple(imu["columns"]), imu["delimiter"], imu["accel_unit"], imu["gyro_unit"],
                         imu["tick_period"], imu["axes"])
        tag = read_tag(imu_tag) if imu_tag else None
        result = read_imu_csv(imu_csv, fmt, tag, start_time=None if tag else events[0].value.stamp)
        events += [Event("imu", s) for s in result.samples]
        counters.update({"imu samples": len(result.samples), "bad imu lines": len(result.bad_lines),
                         "imu clock rate": result.clock_rate, "imu latency removed [s]": result.latency})
    return events, counters

