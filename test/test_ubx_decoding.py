"""UBX decoding on real receiver logs, against what pyubx2 itself reports."""

import io
import math

import numpy as np
import pytest
from pyubx2 import UBXMessage, UBXReader

from sprint_fusion.core.samples import FixType
from sprint_fusion.sensors.framing import StreamFramer
from sprint_fusion.sensors.streams import UbxStream

BAD = ["pygpsdata-BADCK2.log", "pygpsdata-BADEOF1.log", "pygpsdata-BADEOF2.log", "pygpsdata-BADEOF3.log",
       "pygpsdata-BADHDR.log", "pygpsdata-MIXED-RTCM3BADCRC.log", "pygpsdata-MIXED3BADCK.log",
       "pygpsdata-NMEABADEND.log", "ublox-neo-m8p.log"]  # the M8P log has a truncated tail


def load(path):
    data = path.read_bytes()
    while data.startswith(b"#"):  # gpsd logs open with comment lines
        data = data[data.index(b"\n") + 1:]
    return data


def pyubx2_messages(data):
    out = []
    for raw, msg in UBXReader(io.BytesIO(data), protfilter=2, quitonerror=0):
        if raw is not None:
            out.append(msg)
    return out


def decode(data, chunk=61):
    stream = UbxStream()
    events = []
    for i in range(0, len(data), chunk):  # odd chunk size: frames split across reads
        events += stream.feed(data[i:i + chunk])
    return events + stream.close(), stream


@pytest.mark.parametrize("name", ["ublox-zed-f9p-hp.log", "ublox-zed-f9p-rtk.log", "ublox-zed-f9r.log",
                                  "ublox-neo-m8l.log", "pygpsdata-NAV-ZED-X20P.log"])
def test_nav_epochs_carry_pyubx2_values_in_si_units(shared_data, name):
    data = load(shared_data / "ubx" / name)
    ref = pyubx2_messages(data)
    pvts = {m.iTOW: m for m in ref if m.identity == "NAV-PVT"}
    hps = {m.iTOW: m for m in ref if m.identity == "NAV-HPPOSLLH"}
    events, _ = decode(data)
    epochs = [e.value for e in events if e.kind == "gnss"]
    assert len(epochs) == len(pvts)
    for ep in epochs:
        pvt, hp, fix = pvts[ep.itow], hps.get(ep.itow), ep.fix
        if fix.fix_type == FixType.NO_FIX:
            assert not pvt.gnssFixOk or pvt.fixType == 0
            continue
        src = hp if hp is not None else pvt
        assert fix.latitude == pytest.approx(src.lat, abs=1e-12) and fix.longitude == pytest.approx(src.lon, abs=1e-12)
        assert fix.altitude == pytest.approx(src.height / 1000.0, abs=1e-9)  # mm → m
        assert fix.velocity == pytest.approx([pvt.velE / 1000, pvt.velN / 1000, -pvt.velD / 1000])  # NED mm/s → ENU m/s
        assert fix.heading == pytest.approx(pvt.headMot) and fix.heading_accuracy == pytest.approx(pvt.headAcc)
        if not any(m.identity == "NAV-COV" and m.iTOW == ep.itow for m in ref):
            h_acc = src.hAcc / 1000.0
            assert fix.sigma_horizontal == pytest.approx(h_acc, rel=1e-9)  # hAcc split over east and north
            assert fix.sigma_enu[2] == pytest.approx(src.vAcc / 1000.0, rel=1e-9)
        expected = {2: FixType.RTK_FIXED, 1: FixType.RTK_FLOAT}.get(pvt.carrSoln)
        if expected:
            assert fix.fix_type == expected
        utc = (pvt.year, pvt.month, pvt.day, pvt.hour, pvt.min, pvt.second)
        import datetime as dt

        t = dt.datetime(*utc, tzinfo=dt.timezone.utc).timestamp() + pvt.nano * 1e-9
        assert ep.receiver_time_valid and fix.stamp == pytest.approx(t, abs=1e-6)


def test_rtk_status_survives_float_and_fixed(shared_data):
    kinds = {name: {e.value.fix.fix_type for e in decode(load(shared_data / "ubx" / name))[0] if e.kind == "gnss"}
             for name in ["ublox-zed-f9p-rtk.log", "ublox-zed-f9r.log"]}
    assert FixType.RTK_FLOAT in kinds["ublox-zed-f9r.log"]  # the README: carrSoln float
    assert kinds["ublox-zed-f9p-rtk.log"] & {FixType.RTK_FLOAT, FixType.RTK_FIXED}


def test_nav_cov_gives_the_full_enu_covariance(shared_data):
    data = load(shared_data / "ubx" / "pygpsdata-NAV-ZED-X20P.log")
    cov = {m.iTOW: m for m in pyubx2_messages(data) if m.identity == "NAV-COV"}
    epochs = [e.value for e in decode(data)[0] if e.kind == "gnss" and e.value.itow in cov]
    assert epochs
    for ep in epochs:
        c = cov[ep.itow]
        # ENU from NED by hand: e ↔ n swapped, d = −u
        expected = np.array([[c.posCovEE, c.posCovNE, -c.posCovED],
                             [c.posCovNE, c.posCovNN, -c.posCovND],
                             [-c.posCovED, -c.posCovND, c.posCovDD]])
        assert np.allclose(ep.fix.position_covariance, expected)
        assert ep.fix.velocity_covariance[0, 1] == pytest.approx(c.velCovNE)
        assert "NAV-COV" in ep.sources and "NAV-RELPOSNED" in ep.sources


@pytest.mark.parametrize("name", ["ublox-neo-m8p.log", "pygpsdata-NAV-ZED-X20P.log"])  # old and new layout
def test_relposned_in_both_layouts(shared_data, name):
    data = load(shared_data / "ubx" / name)
    rel = {m.iTOW: m for m in pyubx2_messages(data) if m.identity == "NAV-RELPOSNED"}
    epochs = [e.value for e in decode(data)[0] if e.kind == "gnss" and e.value.itow in rel]
    assert epochs
    for ep in epochs:
        m = rel[ep.itow]
        assert ep.relpos.enu == pytest.approx([m.relPosE / 100, m.relPosN / 100, -m.relPosD / 100])
        assert ep.relpos.valid == bool(m.relPosValid and m.gnssFixOK)


def test_esf_raw_static_reads_gravity(shared_data):
    events, _ = decode(load(shared_data / "ubx" / "ublox-neo-m8u.log"))
    imu = [e.value for e in events if e.kind == "imu"]
    assert len(imu) == 290  # 29 ESF-RAW × 10 samples; the ESF-MEAS copies of them are not doubled
    f = np.array([s.accel for s in imu])
    assert np.linalg.norm(f, axis=1).mean() == pytest.approx(9.81, abs=0.3)  # raw, uncalibrated
    assert np.degrees(np.abs([s.gyro for s in imu])).max() < 1.0  # static
    t = np.array([s.stamp for s in imu])
    assert np.all(np.diff(t) > 0) and np.median(np.diff(t)) == pytest.approx(0.01, abs=2e-4)  # 100 Hz


def test_esf_meas_moving_vehicle_is_plausible(shared_data):
    events, stream = decode(load(shared_data / "ubx" / "ublox-neo-m8l.log"))
    imu = [e.value for e in events if e.kind == "imu"]
    gnss = [e.value.fix for e in events if e.kind == "gnss"]
    assert len(imu) > 150 and stream.esf.stats.unpaired == 0
    t = np.array([s.stamp for s in imu])
    assert t[-1] - t[0] == pytest.approx(gnss[-1].stamp - gnss[0].stamp, abs=1.5)  # spans the drive
    yaw_rate = np.degrees([s.gyro[2] for s in imu])
    turned = np.trapezoid(yaw_rate, t)
    # manoeuvring slowly (≤ 1.4 m/s): heading of motion swings from ~160° to ~340°
    headings = [f.heading for f in gnss if np.hypot(*f.velocity[:2]) > 0.5]
    assert np.abs(yaw_rate).max() > 10.0 and abs(turned) > 10.0  # it turns, as its GNSS heading does
    assert max(headings) - min(headings) > 90.0
    a = np.linalg.norm([s.accel for s in imu], axis=1)
    assert 8.0 < np.median(a) < 11.5


@pytest.mark.parametrize("name", BAD)
def test_damaged_logs_resynchronise_and_keep_every_good_frame(shared_data, name):
    data = load(shared_data / "ubx" / name)
    good = [m.serialize() for m in pyubx2_messages(data)]
    framer = StreamFramer()
    frames = []
    for i in range(0, len(data), 7):
        frames += [f.data for f in framer.feed(data[i:i + 7]) if f.kind == "ubx"]
    frames += [f.data for f in framer.flush() if f.kind == "ubx"]
    assert frames == good
    s = framer.stats
    assert s.bad_checksum + s.skipped_bytes + s.truncated_bytes > 0  # the damage is counted


def test_good_frames_around_garbage_and_a_corrupted_frame_survive():
    def pvt(itow):
        return UBXMessage("NAV", "NAV-PVT", 0, iTOW=itow, fixType=3, gnssFixOk=1, lat=48.1, lon=11.5,
                          validDate=1, validTime=1, fullyResolved=1, year=2026, month=5, day=1).serialize()

    bad = bytearray(pvt(2000))
    bad[30] ^= 0xFF  # flipped payload byte: checksum fails
    rng = np.random.default_rng(0)
    garbage = bytes(rng.integers(0, 256, 500, dtype=np.uint8))
    data = pvt(1000) + garbage + bytes(bad) + b"\xb5\x62\x01" + pvt(3000) + b"$GPGGA,bad*00\r\n" + pvt(4000)
    events, stream = decode(data, chunk=13)
    assert [e.value.itow for e in events if e.kind == "gnss"] == [1000, 3000, 4000]
    counters = stream.counters()
    assert counters["bad checksums"] >= 2 and counters["skipped bytes"] >= 500


def test_exceptions_from_pyubx2_on_a_checked_frame_are_counted_not_raised():
    # A frame with a valid checksum but a payload pyubx2 cannot parse (NAV-PVT of 3 bytes).
    from sprint_fusion.sensors.framing import ubx_checksum

    body = b"\x01\x07\x03\x00abc"
    frame = b"\xb5\x62" + body + ubx_checksum(body)
    events, stream = decode(frame + UBXMessage("NAV", "NAV-EOE", 0, iTOW=5).serialize())
    assert stream.counters()["undecodable"] == 1
    assert math.isfinite(len(events))
