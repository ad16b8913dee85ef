"""RTKLIB, NMEA and IMU-line decoding on real logs; serial (pty) and TCP sources that reconnect."""

import os
import socket
import threading
import time

import numpy as np
import pytest
from pynmeagps import NMEAReader

from sprint_fusion.core.samples import FixType
from sprint_fusion.sensors.gnss_time import LEAP_SECONDS
from sprint_fusion.sensors.imu_lines import LineFormat, LineFormatError, read_imu_csv
from sprint_fusion.sensors.rtklib import PosFormatError, read_pos, read_tag
from sprint_fusion.sensors.sources import SerialSource, TcpSource
from sprint_fusion.sensors.streams import LineStream, NmeaStream, UbxStream

from .conftest import REPO


def test_both_rtklib_time_formats_give_the_same_utc_stamps(shared_data):
    by_date = {round(f.stamp, 3): f for f in read_pos(shared_data / "rtklib" / "demo5_b34f_f.pos")}
    by_week = list(read_pos(shared_data / "rtklib" / "py_0315f.pos"))
    common = [f for f in by_week if round(f.stamp, 3) in by_date]
    assert len(common) > 4000
    import datetime as dt

    first = dt.datetime.fromtimestamp(common[0].stamp, dt.timezone.utc)
    assert (first.hour, first.minute, first.second) == (21, 28, 42 - LEAP_SECONDS)  # 21:28:42 GPST
    kinds = {f.fix_type for f in by_week}
    assert FixType.RTK_FIXED in kinds and FixType.RTK_FLOAT in kinds


def test_rtklib_covariance_signs_and_velocity(shared_data):
    fix = next(read_pos(shared_data / "rtklib" / "py_0315f.pos"))
    # first line: sdn 1.8441 sde 7.1280 sdu 3.4542 sdne 0.5325 sdeu -2.9836 sdun -0.3379
    c = fix.position_covariance
    assert c[0, 0] == pytest.approx(7.1280**2) and c[1, 1] == pytest.approx(1.8441**2)
    assert c[0, 1] == pytest.approx(0.5325**2) and c[0, 2] == pytest.approx(-(2.9836**2))
    assert c[1, 2] == pytest.approx(-(0.3379**2))
    drive = list(read_pos(shared_data / "fusion_drive" / "gnss_1934_sf.pos"))
    top = max(np.hypot(*f.velocity[:2]) for f in drive)
    assert top == pytest.approx(16.3, abs=0.1)  # the data set's stated top speed


def test_pos_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.pos"
    bad.write_text("%  GPST latitude(deg) longitude(deg) height(m) Q ns sdn(m) sde(m) sdu(m) sdne(m) sdeu(m) sdun(m)"
                   " age(s) ratio\n2137 422922.000 40.0 -105.0 1578.7 2 11 1.8 7.1 3.4 0.5 -2.9 -0.3 28.0 0.0\n"
                   "2137 422923.000 40.0 -105.0 oops 2 11 1.8 7.1 3.4 0.5 -2.9 -0.3 28.0 0.0\n")
    with pytest.raises(PosFormatError, match=r"bad\.pos:3:"):
        list(read_pos(bad))


def test_nmea_epochs_match_pynmeagps(shared_data):
    lines = (shared_data / "nmea" / "nmea.log").read_bytes()
    stream = NmeaStream()
    fixes = [e.value for e in stream.feed(lines) + stream.close()]
    ggas = [m for m in (NMEAReader.parse(x) for x in lines.splitlines()) if m.msgID == "GGA"]
    assert len(fixes) == len(ggas) == 120
    for fix, gga in zip(fixes, ggas, strict=True):
        assert fix.fix_type == FixType.RTK_FIXED  # GGA quality 4
        assert (fix.latitude, fix.longitude) == (gga.lat, gga.lon)
        assert fix.altitude == pytest.approx(gga.alt + gga.sep)  # ellipsoidal height
    assert np.allclose(np.diff([f.stamp for f in fixes]), 0.5)


def test_imu_csv_lands_on_gnss_time_through_its_tag(shared_data):
    drive = shared_data / "fusion_drive"
    fmt = LineFormat(axes="-x,-y,z")  # ax ay az [g], gx gy gz [°/s], tick [ms]; x points backward
    result = read_imu_csv(drive / "imu_1934.csv", fmt, read_tag(drive / "imu_1934.csv.tag"))
    assert len(result.samples) == 54860 and not result.bad_lines
    assert abs(result.clock_rate - 1.0) < 1e-4  # a crystal's ppm, not a wrong tick unit
    t = np.array([s.stamp for s in result.samples])
    a = np.array([s.accel for s in result.samples])
    assert np.median(np.diff(t)) == pytest.approx(0.01, abs=1e-4)
    assert np.linalg.norm(a[:500], axis=1).mean() == pytest.approx(9.81, abs=0.3)  # parked at the start
    # Independent check of the timing: forward acceleration must line up with the derivative of
    # the RTK speed. Wrong by the 18 leap seconds (GPST vs UTC), the correlation vanishes.
    pos = list(read_pos(drive / "gnss_1934_sf.pos"))
    tg = np.array([f.stamp for f in pos])
    dv = np.gradient([np.hypot(*f.velocity[:2]) for f in pos], tg)

    def corr(lag):
        return np.corrcoef(dv, np.interp(tg + lag, t, a[:, 0]))[0, 1]

    lags = np.arange(-0.5, 0.51, 0.05)
    best = lags[np.argmax([corr(x) for x in lags])]
    assert corr(0.0) > 0.7 and abs(best) <= 0.3
    assert abs(corr(float(LEAP_SECONDS))) < 0.2


def test_line_format_errors_are_clear():
    with pytest.raises(LineFormatError, match="lack"):
        LineFormat(columns=("ax", "ay", "gx", "gy", "gz", "tick"))
    with pytest.raises(LineFormatError, match="accel_unit"):
        LineFormat(accel_unit="furlongs")
    fmt = LineFormat(columns=("time", "ax", "ay", "az", "gx", "gy", "gz"), accel_unit="m/s2", gyro_unit="rad/s")
    assert fmt.parse("1.5,0,0,9.8,0,0,0.1")[0] == 1.5
    assert fmt.parse("garbage") is None and fmt.parse("1,2,3") is None and fmt.parse("1,nan,0,0,0,0,0") is None


def _wait(predicate, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and not predicate():
        time.sleep(0.01)
    return predicate()


@pytest.mark.slow
def test_serial_port_unplugged_and_plugged_back(tmp_path):
    """A pty behind a stable link (like /dev/serial/by-id/…): bytes in, epochs out; the device
    vanishes and comes back under the same link; the source reconnects by itself."""
    ubx = (REPO / "bags" / "sprint_40m.ubx").read_bytes()
    half = len(ubx) // 2
    link = tmp_path / "gnss"
    master, slave = os.openpty()
    link.symlink_to(os.ttyname(slave))
    source = SerialSource(str(link), 115200, retry=0.05)
    stream = UbxStream()
    epochs = []

    def pump(seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            epochs.extend(e for e in stream.feed(source.read(0.02), time.time()) if e.kind == "gnss")

    def send(data):  # in small writes, reading as we go, as a receiver at 115200 baud would
        for i in range(0, len(data), 512):
            os.write(master, data[i:i + 512])
            pump(0.01)

    pump(0.1)  # opened (and set to raw mode by pyserial) before the receiver talks
    send(ubx[:half])
    pump(0.3)
    first = len(epochs)
    assert first >= 38 and source.connects == 1
    os.close(master)  # unplugged
    os.close(slave)
    pump(0.3)
    assert source.disconnects == 1
    master, slave = os.openpty()  # plugged back: a new device node behind the same link
    link.unlink()
    link.symlink_to(os.ttyname(slave))
    assert _wait(lambda: (pump(0.05), source.connects == 2)[1])
    send(ubx[half:])
    pump(0.3)
    source.close()
    os.close(master)
    os.close(slave)
    assert len(epochs) >= 79  # every epoch but at most the one cut by the unplugging


def test_tcp_stream_server_restart():
    ubx = (REPO / "bags" / "sprint_40m.ubx").read_bytes()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.listen()

    def serve(data):
        conn, _ = server.accept()
        conn.sendall(data)
        time.sleep(0.1)
        conn.close()  # the caster restarts

    half = len(ubx) // 2
    source = TcpSource("127.0.0.1", port, retry=0.05)
    stream = UbxStream()
    got = []
    for part in (ubx[:half], ubx[half:]):
        t = threading.Thread(target=serve, args=(part,))
        t.start()
        end = time.monotonic() + 3.0
        while time.monotonic() < end and t.is_alive():
            got += [e for e in stream.feed(source.read(0.02), time.time()) if e.kind == "gnss"]
        t.join()
        for _ in range(5):
            got += [e for e in stream.feed(source.read(0.02), time.time()) if e.kind == "gnss"]
    source.close()
    server.close()
    assert source.connects >= 2 and source.disconnects >= 1  # (a third may sit in the listen backlog)
    assert len(got) >= 79


def test_live_imu_lines_are_stamped_from_ticks_anchored_to_arrival():
    fmt = LineFormat(columns=("tick", "ax", "ay", "az", "gx", "gy", "gz"), accel_unit="m/s2", gyro_unit="rad/s",
                     tick_period=1e-6)
    stream = LineStream(fmt)
    text = "".join(f"{1000 + 5000 * k},0,0,9.8,0,0,0\n" for k in range(100)).encode()
    events = stream.feed(text[:1000], arrival=500.0) + stream.feed(text[1000:] + b"junk\n", arrival=500.2)
    t = [e.value.stamp for e in events]
    assert len(t) == 100 and t[0] == 500.0 and np.allclose(np.diff(t), 0.005)  # device clock, not arrival
    assert stream.counters()["bad lines"] == 1


def test_ahrs_lines_carry_an_orientation_mapped_onto_the_body_axes():
    import math

    from transforms3d.euler import euler2quat, quat2euler

    from sprint_fusion import msgs

    # A device mounted x-backward (axes '-x,-y,z') reporting its own yaw of 30°: the body (x
    # forward) then faces 30° + 180°.
    fmt = LineFormat(columns=("time", "ax", "ay", "az", "gx", "gy", "gz", "qw", "qx", "qy", "qz"),
                     accel_unit="m/s2", gyro_unit="rad/s", axes="-x,-y,z")
    q = euler2quat(0.0, 0.0, math.radians(30.0), "sxyz")
    line = "2.0,1.0,0,9.8,0,0,0.1," + ",".join(str(v) for v in q)
    stream = LineStream(fmt)
    sample = stream.feed((line + "\n").encode(), arrival=0.0)[0].value
    assert sample.accel == pytest.approx([-1.0, 0.0, 9.8])
    yaw = math.degrees(quat2euler(sample.orientation, "sxyz")[2])
    assert yaw == pytest.approx(-150.0)
    topics = [t for t, _ in msgs.imu_messages(msgs.rclpy_types(), sample, "imu_link", 0.01, 1e-4, np.eye(3) * 1e-4)]
    assert topics == ["imu/data_raw", "imu/data"]
    with pytest.raises(LineFormatError, match="mirror"):
        LineFormat(columns=fmt.columns, axes="-x,y,z")
