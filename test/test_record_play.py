"""record and play without ros2 bag: the round trip over DDS keeps every message and stamp, and
a recording killed with SIGKILL stays readable up to near the kill."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rosbags.highlevel import AnyReader

from sprint_fusion.bags.reader import BagSource, read_samples
from sprint_fusion.bags.writer import typestore
from sprint_fusion.cli import main
from sprint_fusion.core.fusion import run
from sprint_fusion.core.params import ParameterError
from sprint_fusion.nodes.recorder import subscription_qos

from .conftest import REPO

pytestmark = pytest.mark.slow  # processes over DDS, a recorder killed mid-bag

BAG = REPO / "bags" / "sprint_40m"
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}  # the DDS isolation of conftest is inherited


def cli(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "sprint_fusion.cli", *args], env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def by_topic(source_messages):
    out = {}
    for conn, log_ns, raw in source_messages:
        out.setdefault(conn.topic, []).append((log_ns, bytes(raw)))
    return out


def original():
    with AnyReader([BAG], default_typestore=typestore()) as reader:
        return by_topic(reader.messages())


def same_message(recorded: bytes, sent: bytes) -> bool:
    """The bytes sent, as DDS carries them: padded with zeros to a multiple of 4 bytes."""
    pad = recorded[len(sent):]
    return recorded[: len(sent)] == sent and len(pad) < 4 and not any(pad) and len(recorded) % 4 == 0


def stop(proc, sig=signal.SIGINT, timeout=30):
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def test_record_play_replay_round_trip(tmp_path):
    recorder = cli("record", "-o", str(tmp_path / "rec"))
    try:
        time.sleep(1.0)  # the recorder is up before the player advertises its topics
        player = cli("play", str(BAG), "--rate", "2", "--clock")
        out, err = player.communicate(timeout=120)
        assert player.returncode == 0, err
        assert "6721 messages played" in out
        time.sleep(0.5)
    finally:
        code, _, err = stop(recorder)
    assert code == 0, err

    want = original()
    with AnyReader([tmp_path / "rec"], default_typestore=typestore()) as reader:  # a complete, indexed bag
        got = by_topic(reader.messages())
        clock = [reader.deserialize(raw, c.msgtype).clock for c, _, raw in reader.messages()
                 if c.topic == "/clock"]
    for topic, messages in want.items():  # every message, byte for byte, in order: stamps included
        assert len(got[topic]) == len(messages), topic
        assert all(same_message(r, w) for (_, r), (_, w) in zip(got[topic], messages, strict=True)), topic
    # /clock runs through the bag's time at 40 Hz of wall time (×2: 20 Hz of bag time)
    t = np.array([c.sec + c.nanosec * 1e-9 for c in clock])
    first, last = (min(m[0][0] for m in want.values()) * 1e-9, max(m[-1][0] for m in want.values()) * 1e-9)
    assert np.all(np.diff(t) > 0) and t[0] == pytest.approx(first, abs=1e-6)
    assert len(t) >= 0.8 * (last - first) / 2 * 40 and t[-1] <= last + 0.5

    info = yaml.safe_load((tmp_path / "rec" / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    counts = {e["topic_metadata"]["name"]: e["message_count"] for e in info["topics_with_message_count"]}
    assert all(counts[topic] == len(messages) for topic, messages in want.items())

    # replayed, the recording gives the fused values of the original: arrival order did not matter
    recorded = run([(k, s) for k, s, _ in read_samples(tmp_path / "rec")])
    assert np.array_equal(recorded.table, run([(k, s) for k, s, _ in read_samples(BAG)]).table, equal_nan=True)


def test_a_recording_killed_with_sigkill_is_readable_up_to_near_the_kill(tmp_path):
    recorder = cli("record", "-o", str(tmp_path / "rec"), "/imu/data", "/gnss/fix", "--flush-period", "0.5")
    player = None
    try:
        time.sleep(1.0)
        player = cli("play", str(BAG))
        written = tmp_path / "rec" / "rec_0.mcap"
        end = time.monotonic() + 60.0
        while time.monotonic() < end and (not written.exists() or written.stat().st_size < 50_000):  # data on disk …
            time.sleep(0.05)
        time.sleep(2.5)  # … for 2.5 s more (the bag lasts 8 s): killed while the data flows
        recorder.kill()
        killed = time.time()
        recorder.communicate(timeout=30)
    finally:
        if player is not None:
            stop(player)
        if recorder.poll() is None:
            recorder.kill()
    source = BagSource(tmp_path / "rec")
    assert source.salvaging  # no summary: the salvage reader reads it
    got, damage = [], None
    try:
        for item in source.messages():
            got.append(item)
    except Exception as err:
        damage = err
    assert damage is not None and "ends without a footer" in str(damage)
    last = max(log_ns for _, log_ns, _ in got) * 1e-9
    assert killed - last < 1.5  # flushed every 0.5 s; the rest is delivery and scheduling slack
    want = original()
    for topic, messages in by_topic(got).items():  # what was kept is the bag's beginning, exactly
        assert all(same_message(r, w) for (_, r), (_, w) in zip(messages, want[topic], strict=False))
    assert len(by_topic(got)["/imu/data"]) > 400  # at least the 2.5 s before the kill, of 200 Hz IMU
    assert main(["replay", str(tmp_path / "rec"), "-o", str(tmp_path / "out")]) == 1  # replayed, damage reported


def test_recorder_qos_matches_its_publishers():
    reliable = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
    best = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
    latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    assert subscription_qos([reliable]).reliability == ReliabilityPolicy.RELIABLE
    # one best-effort publisher: a reliable subscription would not match it
    assert subscription_qos([reliable, best]).reliability == ReliabilityPolicy.BEST_EFFORT
    assert subscription_qos([latched]).durability == DurabilityPolicy.TRANSIENT_LOCAL
    assert subscription_qos([latched, reliable]).durability == DurabilityPolicy.VOLATILE


def test_player_refuses_a_bad_rate(ros):
    from sprint_fusion.nodes.player import BagPlayer

    with pytest.raises(ParameterError, match="rate"):
        BagPlayer(BAG, rate=0.0, context=ros)
