"""A fusion node's diagnostics name the input that is missing, with the counts of what came."""

from sprint_fusion.nodes.presence import OK, WARN, Presence

TIMEOUTS = {"IMU": 0.5, "GNSS": 1.0}


def test_gnss_without_imu_is_reported_as_missing_imu_not_as_missing_gnss():
    p = Presence()
    for k in range(80):
        p.seen("GNSS", 0.1 * k)
    level, message = p.status(8.0, TIMEOUTS)
    assert level == WARN and message == "no IMU yet (GNSS: 80 received): GNSS only, nothing between fixes"


def test_a_silent_sensor_is_named_with_how_long_and_the_change_is_logged_once():
    p = Presence()
    for k in range(10):
        p.seen("GNSS", k / 10)
    for k in range(300):
        p.seen("IMU", k / 200)
    assert p.status(1.5, TIMEOUTS) == (OK, "ok") and p.changed(1.5, TIMEOUTS) is None
    for k in range(300, 801):
        p.seen("IMU", k / 200)
    level, message = p.status(4.0, TIMEOUTS)
    assert (level, message) == (WARN, "no GNSS for 3.1 s (IMU: 801 received): IMU-only prediction, no position")
    assert p.changed(4.0, TIMEOUTS).startswith("no GNSS for 3.1 s")
    assert p.changed(4.2, TIMEOUTS) is None  # the same inputs still missing: not again
    p.seen("GNSS", 4.3)
    assert p.changed(4.3, TIMEOUTS) == "all inputs present again"
    assert Presence().status(0.0, TIMEOUTS) == (WARN, "no IMU yet; no GNSS yet: waiting")


def test_file_drivers_pace_on_one_time_line_from_the_earliest_first_stamp():
    """Two file drivers (a GNSS .pos starting at t = 100 s, an IMU log at t = 98.5 s) start 0.2 s
    apart: both release each stamp at the same wall time, on the line of the earliest data."""
    import threading

    from sprint_fusion.nodes.driver_base import Pacer

    wall = [1000.0]
    clock = lambda: wall[0]  # noqa: E731 — a fake wall clock the fake waits advance

    class Stop(threading.Event):
        def wait(self, timeout=None):
            wall[0] += timeout
            return False

    gnss, imu = Pacer(True, clock=clock), Pacer(True, clock=clock)
    gnss.announce = lambda first, w: imu.heard(first, w)  # the latched topic, both ways
    imu.announce = lambda first, w: gnss.heard(first, w)
    gnss.wait(100.0, Stop())  # announces (100, 1000), waits SETTLE: 1000.5
    wall[0] = 1000.2
    imu.wait(98.5, Stop())  # hears (100, 1000), joins that line: 98.5 was due at 999.0 — now
    imu.heard(98.5, 999.9)  # an earlier announcement after the line was set does not move it
    assert gnss.line == imu.line == (100.0, 1000.0 + Pacer.SETTLE)
    wall[0] = 1001.0
    gnss.wait(101.0, Stop())
    when_gnss = wall[0]
    wall[0] = 1001.0
    imu.wait(101.0, Stop())
    assert when_gnss == imu.clock() == 1001.5  # the same stamp, the same moment
