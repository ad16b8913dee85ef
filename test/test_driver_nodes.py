"""The driver nodes on real DDS (isolated domain, loopback): logs in, standard messages out."""

from pathlib import Path

import numpy as np
import pytest
from rclpy.parameter import Parameter

from sprint_fusion.bags.reader import read_samples
from sprint_fusion.core.params import ParameterError
from sprint_fusion.core.samples import FixType
from sprint_fusion.nodes.gnss_driver import GnssDriver
from sprint_fusion.nodes.imu_driver import ImuDriver

from .conftest import spin_until

REPO = Path(__file__).resolve().parents[1]


def params(**values):
    return [Parameter(k, value=v) for k, v in values.items()]


def listener(ros, topics):
    """A node recording every message of the given {topic: type} map."""
    from rclpy.node import Node

    node = Node("listener", context=ros)
    ros.track(node)
    got = {t: [] for t in topics}
    for topic, msg_type in topics.items():
        node.create_subscription(msg_type, topic, got[topic].append, 1000)
    return node, got


def test_gnss_driver_publishes_a_ubx_log_as_the_bag_has_it(ros):
    from diagnostic_msgs.msg import DiagnosticArray
    from geometry_msgs.msg import TwistWithCovarianceStamped
    from sensor_msgs.msg import NavSatFix
    from std_msgs.msg import UInt8

    sub, got = listener(ros, {"/gnss/fix": NavSatFix, "/gnss/fix_type": UInt8, "/gnss/vel": TwistWithCovarianceStamped,
                              "/diagnostics": DiagnosticArray})
    driver = GnssDriver(context=ros, parameter_overrides=params(
        transport="file", path=str(REPO / "bags" / "sprint_40m.ubx"), realtime=False, diagnostics_period=0.2))
    ros.track(driver)
    expected = [s for k, s, _ in read_samples(REPO / "bags" / "sprint_40m") if k == "gnss"]
    n = len(expected)

    def reported():  # a status from after the whole log was read (earlier ones count fewer frames)
        return any(kv.key == "ubx frames" and kv.value == str(2 * n) for d in got["/diagnostics"]
                   for kv in d.status[0].values)

    assert spin_until(ros, [sub, driver], lambda: len(got["/gnss/fix"]) == len(got["/gnss/fix_type"]) == n
                      and len(got["/gnss/vel"]) == n and reported())
    for msg, fix in zip(got["/gnss/fix"], expected, strict=True):
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        assert stamp == pytest.approx(fix.stamp, abs=1e-6)  # the receiver's UTC time, not arrival
        assert (msg.latitude, msg.longitude, msg.altitude) == pytest.approx(
            (fix.latitude, fix.longitude, fix.altitude), abs=1e-9)
        assert np.allclose(np.array(msg.position_covariance).reshape(3, 3), fix.position_covariance, atol=1e-10)
        assert msg.header.frame_id == "gnss_link"
    assert [m.data for m in got["/gnss/fix_type"]] == [int(FixType.RTK_FIXED)] * len(expected)
    assert len(got["/gnss/vel"]) == len(expected)
    last = [d for d in got["/diagnostics"] if any(kv.key == "ubx frames" for kv in d.status[0].values)][-1]
    values = {kv.key: kv.value for kv in last.status[0].values}
    assert values["fix type"] == "RTK_FIXED" and int(values["ubx frames"]) == 2 * len(expected)  # every frame


def test_imu_driver_publishes_esf_raw_from_a_real_receiver_log(ros, shared_data):
    from sensor_msgs.msg import Imu

    sub, got = listener(ros, {"/imu/data_raw": Imu})
    driver = ImuDriver(context=ros, parameter_overrides=params(
        source="ubx_esf", transport="file", path=str(shared_data / "ubx" / "ublox-neo-m8u.log"),
        strip_comments=True, realtime=False))
    ros.track(driver)
    assert spin_until(ros, [sub, driver], lambda: len(got["/imu/data_raw"]) == 290)  # every ESF-RAW sample
    msgs = got["/imu/data_raw"]
    f = np.array([[m.linear_acceleration.x, m.linear_acceleration.y, m.linear_acceleration.z] for m in msgs])
    assert np.linalg.norm(f, axis=1).mean() == pytest.approx(9.81, abs=0.3)  # static: gravity (REP-145)
    assert all(m.orientation_covariance[0] == -1.0 for m in msgs)
    stamps = np.array([m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in msgs])
    assert np.all(np.diff(stamps) > 0) and np.median(np.diff(stamps)) == pytest.approx(0.01, abs=1e-4)
    assert stamps[0] > 1.0e9  # on the receiver's clock (anchored to its NAV epochs), not zero


@pytest.mark.parametrize(("overrides", "message"), [
    ({"transport": "file", "path": ""}, "transport 'file' needs a log file"),
    ({"source": "sirf"}, "'source' = 'sirf': must be one of ubx, nmea, rtklib_pos"),
    ({"baud": 0}, "baud"),
    ({"transport": "file", "path": "/no/such/log.ubx"}, "No such file"),
    # a log path given to a serial driver was read from /dev/ttyACM0 instead, without a word
    ({"transport": "serial", "path": "rover.ubx"}, "'path' \\(rover.ubx\\) is set, but transport is 'serial'"),
])
def test_gnss_driver_refuses_wrong_parameters(ros, overrides, message):
    with pytest.raises(ParameterError, match=message):
        GnssDriver(context=ros, parameter_overrides=params(**overrides))


def test_two_file_drivers_replay_on_one_time_line(ros, shared_data):
    """The RTKLIB .pos and the IMU CSV of config/sensors/rtklib_pos_imu_csv.yaml, in real time,
    the IMU driver started a second after the GNSS one: each message leaves at the same wall
    time minus stamp as the other driver's (paced each from its own first sample they fell > 1 s
    apart, and the filters reset four times a second)."""
    import time

    from sensor_msgs.msg import Imu, NavSatFix

    from sprint_fusion.core.params import read_params_file

    drive = shared_data / "fusion_drive"
    config = REPO / "config" / "sensors" / "rtklib_pos_imu_csv.yaml"
    arrivals = {"/gnss/fix": [], "/imu/data_raw": []}
    sub, _ = listener(ros, {})

    def record(topic):
        return lambda msg: arrivals[topic].append((time.time(), msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9))

    sub.create_subscription(NavSatFix, "/gnss/fix", record("/gnss/fix"), 1000)
    sub.create_subscription(Imu, "/imu/data_raw", record("/imu/data_raw"), 5000)
    gnss_params = {**read_params_file(config, "/**/gnss_driver"), "path": str(drive / "gnss_1934_sf.pos")}
    gnss = GnssDriver(context=ros, parameter_overrides=params(**gnss_params))
    ros.track(gnss)
    spin_until(ros, [sub, gnss], lambda: False, timeout=1.0)
    imu_params = {**read_params_file(config, "/**/imu_driver"), "path": str(drive / "imu_1934.csv"),
                  "tag_path": str(drive / "imu_1934.csv.tag")}
    imu = ImuDriver(context=ros, parameter_overrides=params(**imu_params))
    ros.track(imu)
    spin_until(ros, [sub, gnss, imu], lambda: False, timeout=4.0)
    offsets = {}
    for topic, got in arrivals.items():
        late = [wall - stamp for wall, stamp in got[len(got) // 2:]]  # once both run steadily
        assert len(late) > 5, topic
        offsets[topic] = float(np.median(late))
    assert abs(offsets["/gnss/fix"] - offsets["/imu/data_raw"]) < 0.1, offsets
