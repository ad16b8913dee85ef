"""read_blocks reads an intact MCAP file a chunk at a time in numpy: the same samples, fixes and
order as reading it message by message (rosbags' reader), on every bundled bag and on a bag whose
GNSS companions are logged late or not at all."""

import numpy as np
import pytest

from sprint_fusion import topics
from sprint_fusion.bags import reader
from sprint_fusion.bags.writer import typestore, write_bag
from sprint_fusion.core.samples import GnssFix, ImuBlock

from .conftest import REPO


def events(bag, monkeypatch=None, **kwargs):
    """Every sample read_blocks gives, flattened: ('imu', stamp, accel, gyro) and ('gnss', fix fields)."""
    out = []
    for block in reader.read_blocks(bag, **kwargs):
        for item in block:
            if isinstance(item, ImuBlock):
                out += [("imu", t, *a, *g, *q, h) for t, a, g, q, h in zip(item.stamps, item.accel, item.gyro,
                                                                          item.orientation, item.has_orientation,
                                                                          strict=True)]
            else:
                assert isinstance(item, GnssFix)
                out.append(("gnss", item.stamp, item.latitude, item.longitude, item.altitude, int(item.fix_type),
                            None if item.velocity is None else tuple(item.velocity), item.heading))
    return [tuple("nan" if isinstance(x, float) and np.isnan(x) else x for x in e) for e in out]  # NaN == NaN


def message_by_message(bag, monkeypatch, **kwargs):
    with monkeypatch.context() as m:
        m.setattr(reader, "sequential_connections", lambda *a: None)  # rosbags' AnyReader, message by message
        return events(bag, **kwargs)


@pytest.mark.parametrize("bag", ["sprint_40m", "sprint_100m_outage", "track_400m"])
def test_chunks_in_numpy_read_what_messages_one_by_one_read(bag, monkeypatch):
    path = REPO / "bags" / bag
    assert reader.BagSource(path).sequential  # read in chunks, not message by message
    fast = events(path, block_size=1000)
    assert fast == message_by_message(path, monkeypatch)
    assert sum(e[0] == "gnss" for e in fast) > 50


def test_late_and_missing_companions_are_waited_for_as_one_by_one(tmp_path, monkeypatch):
    """gnss/vel logged 30 ms after its fix (inside HOLD_NS), one in five 80 ms late (beyond it) and
    every heading of the second half missing: the fixes are released at the same log times."""
    store = typestore()
    with reader.BagSource(REPO / "bags" / "sprint_40m") as source:
        records = []
        fixes = 0
        for conn, log_ns, raw in source.messages():
            if conn.topic == "/" + topics.GNSS_FIX:
                fixes += 1
            if conn.topic == "/" + topics.GNSS_VEL:
                log_ns += 80_000_000 if fixes % 5 == 0 else 30_000_000
            if conn.topic == "/" + topics.GNSS_HEADING and fixes > 40:
                continue
            records.append((conn.topic, conn.msgtype, log_ns, bytes(raw)))
    records.sort(key=lambda r: r[2])
    write_bag(tmp_path / "late", records, store)
    assert reader.BagSource(tmp_path / "late").sequential
    fast = events(tmp_path / "late", block_size=700)
    assert fast == message_by_message(tmp_path / "late", monkeypatch)
    assert any(e[0] == "gnss" and e[6] is not None for e in fast)
