"""gnss/fix_type has no stamp: a live node pairs it with the fix it comes beside. The drivers
publish it just before its fix, but DDS does not order two topics — a type arriving after its fix
still types that fix, and a type arriving first is not taken by the fix before it. (Found by the
played-graph test: about one run in ten typed the first fix from NavSatStatus — DGNSS, not RTK
fixed — and the start's speed differed from offline.)"""

import numpy as np
import pytest
from std_msgs.msg import UInt8

from sprint_fusion import msgs, topics
from sprint_fusion.core.samples import FixType, GnssFix, ImuSample
from sprint_fusion.nodes.kf2_filter import Kf2Node

pytestmark = pytest.mark.slow  # a node in an rclpy context


def fix_msg(t: float):
    fix = GnssFix(t, 48.0, 11.0, 500.0, np.eye(3) * 1e-4, FixType.RTK_FIXED)
    return msgs.navsatfix_msg(msgs.rclpy_types(), fix, topics.GNSS_FRAME)  # status GBAS_FIX: DGNSS or RTK


def imu_msg(t: float):
    sample = ImuSample(t, np.array([0.0, 0.0, 9.81]), np.zeros(3), np.array([1.0, 0.0, 0.0, 0.0]))
    return msgs.imu_msg(msgs.rclpy_types(), sample, topics.IMU_FRAME, 1e-3, 1e-5, np.eye(3) * 1e-4)


def released_types(node, events) -> list:
    """Feed (kind, t) events to the node's callbacks; the types of the fixes its timeline released."""
    got = []
    node.on_sample = lambda kind, item: got.append(item.fix_type) if kind == "gnss" else None
    for kind, t in events:
        if kind == "fix":
            node._on_fix(fix_msg(t))
        elif kind == "type":
            node._on_fix_type(UInt8(data=int(t)))
        else:
            node._imu(imu_msg(t))
    node.on_stop()  # what the timeline holds, released
    return got


def test_a_type_after_its_fix_types_that_fix_and_a_type_before_its_fix_is_not_taken_earlier(ros):
    node = Kf2Node(context=ros)
    ros.track(node)
    events = [("imu", 1.0 + k * 0.01) for k in range(5)]
    events += [("fix", 1.05), ("type", FixType.RTK_FIXED)]  # the type after its fix (the race)
    events += [("imu", 1.05 + k * 0.01) for k in range(1, 10)]
    events += [("type", FixType.RTK_FLOAT), ("fix", 1.15)]  # in order
    events += [("imu", 1.15 + k * 0.01) for k in range(1, 10)]
    events += [("fix", 1.25), ("type", FixType.SINGLE)]  # after again: not the float's
    events += [("imu", 1.25 + k * 0.01) for k in range(1, 10)]
    assert released_types(node, events) == [FixType.RTK_FIXED, FixType.RTK_FLOAT, FixType.SINGLE]


def test_without_a_fix_type_topic_the_type_is_navsatstatus_s(ros):
    node = Kf2Node(context=ros)
    ros.track(node)
    events = [("imu", 1.0 + k * 0.01) for k in range(5)] + [("fix", 1.05)]
    events += [("imu", 1.05 + k * 0.01) for k in range(1, 10)]
    assert released_types(node, events) == [FixType.DGNSS]  # GBAS_FIX without RTK known
