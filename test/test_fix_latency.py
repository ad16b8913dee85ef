"""A sensor node says in /diagnostics how late the receiver's fixes reach it (its clock at arrival
minus the stamp): the figure time.fix_delay is set from — and warns when a delay is set that the
fixes overrun, since the IMU samples then wait for them after all."""

import time

import numpy as np
import pytest
from rclpy.parameter import Parameter

from sprint_fusion.sensors.fix_latency import FixLatency

from .test_sensor_arrival_order import fix_msg


def test_the_latest_fixes_give_the_latency_and_an_overrun_delay_is_named():
    latency = FixLatency()
    for k in range(500):  # a stalled link at first: 1 s late, aged out by the latest fixes
        latency.arrived(100.0 + 0.05 * k + 1.0, 100.0 + 0.05 * k)
    rng = np.random.default_rng(1)
    for k in range(FixLatency.LATEST):  # then 30 ms after their stamp, plus up to 10 ms of jitter
        stamp = 200.0 + 0.05 * k
        latency.arrived(stamp + 0.030 + 0.010 * rng.random(), stamp)
    p50, p95, top = latency.percentiles()
    assert p50 == pytest.approx(0.035, abs=0.002) and p95 == pytest.approx(0.0395, abs=0.002) and top < 0.040
    assert latency.values() == {"gnss latency p50 [ms]": f"{p50 * 1e3:.0f}",
                                "gnss latency p95 [ms]": f"{p95 * 1e3:.0f}", "gnss latency max [ms]": "40"}
    assert latency.note(0.0) is None and latency.note(0.05) is None  # no delay set, or one that covers them
    assert "later than time.fix_delay 30 ms" in latency.note(0.03)
    assert latency.advice(0.05).endswith("from time.fix_delay 0.04; this run's 0.05 covers it")
    assert latency.advice(0.03).endswith("this run's 0.03 is shorter: live, IMU samples would wait for fixes")
    latency.arrived(float("nan"), 300.0)  # a stamp or a clock that is not a number counts for nothing
    assert latency.percentiles() == (p50, p95, top)
    assert FixLatency().values() == {} and FixLatency().note(0.05) is None  # no fix yet: nothing to say


def test_stamps_of_another_clock_leave_the_latency_unknown_and_warn_of_nothing():
    """A recorded log paced on the wall clock (a file driver's, or a bag played without /clock): its
    stamps are days old, which is no receiver's latency."""
    latency = FixLatency()
    for k in range(50):
        latency.arrived(1.7e9 + 0.05 * k + 0.03, 1.6e9 + 0.05 * k)
    assert list(latency.values()) == ["gnss latency"] and "unknown" in latency.values()["gnss latency"]
    assert latency.note(0.05) is None


@pytest.mark.slow  # a node in an rclpy context
def test_a_sensor_nodes_diagnostics_carry_the_latency_of_its_fixes(ros):
    from diagnostic_msgs.msg import DiagnosticStatus

    from sprint_fusion.nodes.kf2_filter import Kf2Node

    node = Kf2Node(context=ros, parameter_overrides=[Parameter("time.fix_delay", value=0.02)])
    ros.track(node)
    published = []
    node.diag_pub.publish = published.append
    for _ in range(20):  # fixes stamped 40 ms before they reach the node (its clock: wall time)
        node._on_fix(fix_msg(node.get_clock().now().nanoseconds * 1e-9 - 0.040))
        time.sleep(0.005)
    node.publish_diagnostics()
    status = published[-1].status[0]
    values = {kv.key: kv.value for kv in status.values}
    assert 40 <= float(values["gnss latency p50 [ms]"]) <= 45
    assert status.level == DiagnosticStatus.WARN and "later than time.fix_delay 20 ms" in status.message
