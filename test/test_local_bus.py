"""Nodes sharing a process hand each other their messages in memory (nodes/local_bus.py): each
local subscriber gets every message once, in order, and at once; DDS carries a topic only while a
subscriber elsewhere listens; a subscription to a topic no node of the process publishes is a DDS
one; what nobody listens to is not even built."""

import time

import numpy as np
import pytest
from rclpy.node import Node
from std_msgs.msg import Float64

from sprint_fusion import msgs, outputs, topics
from sprint_fusion.core.columns import WIDTH, Col
from sprint_fusion.nodes.local_bus import BusNode, LocalBus, LocalSubscription, listened

from .conftest import spin_until

pytestmark = pytest.mark.slow  # DDS discovery: seconds


def message(value: float) -> Float64:
    msg = Float64()
    msg.data = value
    return msg


def test_local_subscribers_get_each_message_once_and_dds_only_what_is_listened_to(ros):
    bus = LocalBus()
    source = BusNode("source", context=ros, bus=bus)
    sink = BusNode("sink", context=ros, bus=bus)
    for n in (source, sink):
        ros.track(n)
    local = []
    sub = sink.create_subscription(Float64, "x", lambda m: local.append(m.data), 10)
    pub = source.create_publisher(Float64, "x", 10)  # after the subscription: decided at connect
    bus.connect()
    assert isinstance(sub, LocalSubscription) and sub.local and sub.dds is None
    assert pub.get_subscription_count() == 0  # the local subscriber is not a DDS one

    pub.publish(message(1.0))
    assert local == [1.0]  # delivered in the call, no executor needed

    outside = Node("outside", context=ros)  # another process, as far as DDS can tell
    ros.track(outside)
    remote = []
    outside.create_subscription(Float64, "x", lambda m: remote.append(m.data), 10)
    assert spin_until(ros, [source, sink, outside], lambda: pub.get_subscription_count() == 1, timeout=10.0)
    for k in range(2, 6):
        pub.publish(message(float(k)))
    assert spin_until(ros, [source, sink, outside], lambda: len(remote) == 4, timeout=10.0)
    time.sleep(0.2)
    spin_until(ros, [source, sink, outside], lambda: False, timeout=0.3)
    assert remote == [2.0, 3.0, 4.0, 5.0]
    assert local == [1.0, 2.0, 3.0, 4.0, 5.0]  # once each: the DDS copies do not come back to it

    assert sink.destroy_subscription(sub)
    pub.publish(message(6.0))
    assert local[-1] == 5.0


def test_a_topic_nobody_here_publishes_is_subscribed_on_dds(ros):
    bus = LocalBus()
    sink = BusNode("sink", context=ros, bus=bus)
    outside = Node("outside", context=ros)
    for n in (sink, outside):
        ros.track(n)
    got = []
    sub = sink.create_subscription(Float64, "y", lambda m: got.append(m.data), 10)
    bus.connect()
    assert not sub.local and sub.dds is not None
    pub = outside.create_publisher(Float64, "y", 10)
    assert spin_until(ros, [sink, outside], lambda: pub.get_subscription_count() == 1, timeout=10.0)
    pub.publish(message(7.0))
    assert spin_until(ros, [sink, outside], lambda: got == [7.0], timeout=10.0)


def test_a_node_without_a_bus_is_an_ordinary_node(ros):
    plain = BusNode("plain", context=ros)
    ros.track(plain)
    pub = plain.create_publisher(Float64, "z", 10)
    assert type(pub).__name__ == "Publisher" and not listened(pub)


def test_what_nobody_listens_to_is_not_built():
    row = np.full(WIDTH, np.nan)
    row[[Col.t, Col.accel_east, Col.accel_north, Col.accel_up, Col.yaw, Col.yaw_var, Col.yaw_rate, Col.yaw_rate_var,
         Col.bias, Col.bias_var, Col.bias_rate, Col.bias_rate_var]] = [10.0, 0.5, 0.1, 0.0, 30.0, 1.0, 0.1, 0.01,
                                                                       2.0, 0.5, 0.0, 0.01]
    types = msgs.rclpy_types()
    everything = outputs.yaw_bias_outputs(types, row, np.eye(3))
    assert [t for t, _ in everything] == [topics.ACCEL_ENU, topics.YAW, topics.YAW_BIAS]
    only = outputs.yaw_bias_outputs(types, row, np.eye(3), lambda t: t == topics.ACCEL_ENU)
    assert [t for t, _ in only] == [topics.ACCEL_ENU]
    assert only[0][1] == everything[0][1]
    state = outputs.axis_outputs(types, row, "east", lambda t: t == topics.axis_state("east"))
    assert [t for t, _ in state] == [topics.axis_state("east")]


def test_topics_in_publish_order_only_from_one_node_of_this_process(ros):
    """What lets a stage advance one input's clock by another's (the axis filters' GNSS by their
    acceleration): both local, both published by one node — in one process a publish is a call."""
    bus = LocalBus()
    upstream, other, sink = (BusNode(name, context=ros, bus=bus) for name in ("upstream", "other", "sink"))
    for n in (upstream, other, sink):
        ros.track(n)
    subs = {topic: sink.create_subscription(Float64, topic, lambda m: None, 10) for topic in ("a", "b", "c", "d")}
    upstream.create_publisher(Float64, "a", 10)
    upstream.create_publisher(Float64, "b", 10)
    other.create_publisher(Float64, "c", 10)  # another node: its messages interleave anyhow
    bus.connect()  # "d": no node here publishes it, a DDS subscription
    assert sink.in_order([subs["a"], subs["b"]])
    assert not sink.in_order([subs["a"], subs["c"]])
    assert not sink.in_order([subs["a"], subs["d"]])
    plain = BusNode("plain", context=ros)
    ros.track(plain)
    assert not plain.in_order([plain.create_subscription(Float64, "a", lambda m: None, 10)])
