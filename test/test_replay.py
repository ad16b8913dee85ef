"""Offline replay: the graph's outputs from a bag, deterministic, on our bags and others'."""

import csv

import numpy as np
import pytest
from rosbags.highlevel import AnyReader

from sprint_fusion.bags.reader import BagError, read_samples
from sprint_fusion.bags.replay import replay
from sprint_fusion.bags.writer import typestore
from sprint_fusion.cli import main
from sprint_fusion.core.fusion import COLUMNS, run
from sprint_fusion.graph import GRAPH

from .conftest import REPO

BAG = REPO / "bags" / "sprint_40m"


def bag_messages(path):
    store = typestore()
    out = {}
    with AnyReader([path], default_typestore=store) as reader:
        for conn, _, raw in reader.messages():
            out.setdefault(conn.topic, []).append(reader.deserialize(raw, conn.msgtype))
    return out


def test_replay_writes_every_graph_topic_with_the_cores_numbers(tmp_path):
    done = replay(BAG, tmp_path / "out", csv_path=tmp_path / "out.csv")
    offline = run([(k, s) for k, s, _ in read_samples(BAG)])
    assert np.array_equal(done.result.table, offline.table, equal_nan=True)
    got = bag_messages(tmp_path / "out")
    published = {"/" + t for n in GRAPH if n.role == "fusion" for t in n.publishes}
    assert published <= set(got)  # every topic the fusion nodes publish
    assert {"/imu/data", "/gnss/fix", "/truth/track"} <= set(got)  # and the inputs, copied
    ok = np.isfinite(offline["kf5_speed"])
    assert [m.twist.twist.linear.x for m in got["/fusion/speed"]] == list(offline["kf5_speed"][ok])
    with open(tmp_path / "out.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == COLUMNS and len(rows) - 1 == len(offline.table)


def test_replay_is_deterministic(tmp_path):
    for run_dir in ("1", "2"):  # the same output name in two places: a bag embeds its own name
        (tmp_path / run_dir).mkdir()
        replay(BAG, tmp_path / run_dir / "out", csv_path=tmp_path / run_dir / "out.csv")
    assert (tmp_path / "1" / "out" / "out.mcap").read_bytes() == (tmp_path / "2" / "out" / "out.mcap").read_bytes()
    assert (tmp_path / "1" / "out.csv").read_bytes() == (tmp_path / "2" / "out.csv").read_bytes()


def test_replay_of_another_drivers_bag_with_remapped_topics(shared_data, tmp_path, capsys):
    """robot_localization's Husky bag (ROS 1): /fix and /imu/data under our names. KF2's distance
    is checked against the robot's wheel odometry, an independent sensor in the same bag."""
    bag = shared_data / "bags" / "test1.bag"
    assert main(["replay", str(bag), "--remap", "/fix:=gnss/fix", "--remap", "/imu/data:=imu/data",
                 "-o", str(tmp_path / "husky")]) == 0
    assert "KF2" in capsys.readouterr().out
    with open(tmp_path / "husky.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["kf2_distance"] != "nan"]
    t0, t1 = float(rows[0]["t"]), float(rows[-1]["t"])
    odom = bag_messages(bag)["/husky_velocity_controller/odom"]
    t = np.array([m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in odom])
    v = np.abs([m.twist.twist.linear.x for m in odom])
    span = (t >= t0) & (t <= t1)
    wheel = np.trapezoid(v[span], t[span])
    assert float(rows[-1]["kf2_distance"]) == pytest.approx(wheel, rel=0.02)  # measured: 0.13 %
    # SBAS-grade fixes (σ 0.9 m at 2.5 Hz) give no usable heading of motion: KF5 waits, says nothing
    assert all(r["kf5_speed"] == "nan" for r in rows)
    assert main(["replay", str(bag), "--remap", "/fix", "-o", str(tmp_path / "y")]) == 2
    assert "expected FROM:=TO" in capsys.readouterr().err


def test_a_truncated_bag_is_refused_naming_the_file(tmp_path):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(BAG, broken)
    mcap = broken / "sprint_40m.mcap"
    mcap.write_bytes(mcap.read_bytes()[: mcap.stat().st_size // 2])
    with pytest.raises(BagError, match=r"broken.*(cannot open|cannot read)"):
        replay(broken, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing half-written under the requested name
