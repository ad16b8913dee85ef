"""Offline replay: the graph's outputs from a bag, deterministic, on our bags and others'."""

import csv
import shutil

import numpy as np
import pytest
from rosbags.highlevel import AnyReader

from sprint_fusion.bags.reader import BagError, read_samples
from sprint_fusion.bags.replay import replay
from sprint_fusion.bags.salvage import BagDamageError
from sprint_fusion.bags.writer import typestore, write_bag
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
    # fusion/gnss_enu/velocity only where the axis filters take the velocity (not the paper's profile)
    published = {"/" + t for n in GRAPH if n.role == "fusion" for t in n.publishes} - {"/fusion/gnss_enu/velocity"}
    assert published <= set(got)  # every topic the fusion nodes publish
    assert {"/imu/data", "/gnss/fix", "/truth/track"} <= set(got)  # and the inputs, copied
    ok = np.isfinite(offline["kf5_speed"])
    assert [m.twist.twist.linear.x for m in got["/fusion/speed"]] == list(offline["kf5_speed"][ok])
    with open(tmp_path / "out.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == COLUMNS and len(rows) - 1 == len(offline.table)


@pytest.mark.slow
def test_replay_is_deterministic(tmp_path):
    for run_dir in ("1", "2"):  # the same output name in two places: a bag embeds its own name
        (tmp_path / run_dir).mkdir()
        replay(BAG, tmp_path / run_dir / "out", csv_path=tmp_path / run_dir / "out.csv")
    assert (tmp_path / "1" / "out" / "out.mcap").read_bytes() == (tmp_path / "2" / "out" / "out.mcap").read_bytes()
    assert (tmp_path / "1" / "out.csv").read_bytes() == (tmp_path / "2" / "out.csv").read_bytes()


@pytest.mark.slow
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
    assert float(rows[-1]["kf2_distance"]) == pytest.approx(wheel, rel=0.02)  # measured: 0.18 %
    # SBAS-grade fixes (σ 0.9 m at 2.5 Hz, no Doppler) give no usable heading of motion: KF5 runs on
    # the GNSS alone — a coarse distance (measured −4.7 %); the paper's KF5 waits and says nothing
    t = np.array([float(r["t"]) for r in rows])
    kf5 = np.array([float(r["kf5_speed"]) for r in rows])
    ok = np.isfinite(kf5)
    assert ok.mean() > 0.9 and np.trapezoid(kf5[ok], t[ok]) == pytest.approx(wheel, rel=0.1)
    paper = tmp_path / "paper"
    assert main(["replay", str(bag), "--remap", "/fix:=gnss/fix", "--remap", "/imu/data:=imu/data", "-o", str(paper),
                 "--filters", str(REPO / "config" / "filters" / "paper.yaml")]) == 0
    with open(tmp_path / "paper.csv", newline="") as fh:
        assert all(r["kf5_speed"] == "nan" for r in csv.DictReader(fh) if r["kf2_distance"] != "nan")
    assert main(["replay", str(bag), "--remap", "/fix", "-o", str(tmp_path / "y")]) == 2
    assert "expected FROM:=TO" in capsys.readouterr().err


def test_replay_says_how_late_the_bags_fixes_were_logged_under_any_topic_name(tmp_path, capsys):
    """The receiver's latency as the recorder saw it (log time − stamp: read here with rosbags), the
    figure a live graph's time.fix_delay is set from — also for a bag whose fix topic is remapped."""
    records, late = [], []
    with AnyReader([BAG], default_typestore=typestore()) as reader:
        for conn, log_ns, raw in reader.messages():
            if conn.topic == "/gnss/fix":
                stamp = reader.deserialize(raw, conn.msgtype).header.stamp
                late.append(log_ns - (stamp.sec * 1_000_000_000 + stamp.nanosec))
            names = {"/gnss/fix": "/receiver/fix", "/imu/data": "/imu"}  # another driver's names
            records.append((names.get(conn.topic, conn.topic), conn.msgtype, log_ns, bytes(raw)))
    renamed = tmp_path / "renamed"
    write_bag(renamed, records)
    assert main(["replay", str(renamed), "--remap", "/receiver/fix:=gnss/fix", "--remap", "/imu:=imu/data",
                 "-o", str(tmp_path / "out")]) == 0
    said = [line for line in capsys.readouterr().out.splitlines() if line.startswith("gnss/fix logged")]
    median = np.median(late) * 1e-6
    assert median == pytest.approx(30.0, abs=0.01)  # the simulated receiver's latency
    assert said == [f"gnss/fix logged {median:.0f} ms after its stamp (median; p95 {median:.0f} ms, max "
                    f"{np.max(late) * 1e-6:.0f} ms): a live graph publishes each sample without waiting for a "
                    "fix from time.fix_delay 0.04; this run's 0.05 covers it"]  # the default profile's


TRACK = REPO / "bags" / "track_400m"  # 3.6 MB: several chunks


def damaged_copy(tmp_path, damage):
    broken = tmp_path / "broken"
    shutil.copytree(TRACK, broken)
    mcap = broken / "track_400m.mcap"
    mcap.write_bytes(damage(mcap.read_bytes()))
    return broken, mcap


def assert_prefix_replayed(done, intact):
    """Everything before the damage was replayed: the fused rows equal the intact bag's rows
    (the last reorder window aside), and there are many of them."""
    got = done.result.table
    assert len(got) > 0.25 * len(intact.table)
    same = got[:, 0] < got[-1, 0] - 0.5
    assert np.array_equal(got[same], intact.table[: same.sum()], equal_nan=True)


@pytest.mark.slow
def test_a_truncated_bag_is_replayed_up_to_the_cut_and_the_cut_reported(tmp_path, capsys):
    broken, mcap = damaged_copy(tmp_path, lambda data: data[: len(data) // 2])  # a recording cut by a crash
    intact = run([(k, s) for k, s, _ in read_samples(TRACK)])
    done = replay(broken, tmp_path / "out")
    assert isinstance(done.damage, BagDamageError)
    assert str(mcap) in str(done.damage) and "damaged at byte" in str(done.damage)
    assert done.damage.offset < mcap.stat().st_size
    assert_prefix_replayed(done, intact)
    # the messages of the chunk cut in half are read too, not only whole chunks
    assert done.damage.last_log_ns * 1e-9 > intact["t"][0] + 0.4 * (intact["t"][-1] - intact["t"][0])
    assert (tmp_path / "out" / "metadata.yaml").exists()  # the output is a complete bag
    assert bag_messages(tmp_path / "out")["/fusion/speed"]

    assert main(["replay", str(broken), "-o", str(tmp_path / "cli")]) == 1
    err = capsys.readouterr().err
    assert "damaged at byte" in err and "track_400m.mcap" in err


def test_a_corrupted_region_is_reported_with_its_byte_offset(tmp_path):
    def scribble(data):
        data = bytearray(data)
        at = len(data) // 3
        data[at:at + 64] = b"\xff" * 64
        return bytes(data)

    broken, mcap = damaged_copy(tmp_path, scribble)
    intact = run([(k, s) for k, s, _ in read_samples(TRACK)])
    done = replay(broken, tmp_path / "out")
    assert isinstance(done.damage, BagDamageError) and str(mcap) in str(done.damage)
    assert done.damage.offset <= mcap.stat().st_size // 3  # the chunk holding the scribble
    assert_prefix_replayed(done, intact)


def test_a_file_that_is_no_bag_is_refused_naming_it(tmp_path):
    junk = tmp_path / "junk.mcap"
    junk.write_bytes(b"not a bag at all")
    with pytest.raises(BagError, match=r"junk\.mcap.*not an MCAP file"):
        replay(junk, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_replayed_bag_reproduces_the_truth(tmp_path):
    """What replay writes — the graph's topics in OUT — against the simulator's truth, within the
    published ±2 % on distance and top speed."""
    from sprint_fusion.bags.reader import read_truth

    from .sprint_cases import PUBLISHED_TOLERANCE, relative_errors

    replay(BAG, tmp_path / "out")
    got = bag_messages(tmp_path / "out")
    truth = read_truth(BAG)
    for topic in ("/fusion/speed", "/fusion/kf2/speed"):
        t = np.array([m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in got[topic]])
        speed = np.array([m.twist.twist.linear.x for m in got[topic]])
        distance_error, top_error = relative_errors(t, speed, truth)
        assert abs(distance_error) <= PUBLISHED_TOLERANCE and abs(top_error) <= PUBLISHED_TOLERANCE, topic
    kf2 = got["/fusion/kf2/distance"]
    span = truth.distance[-1] - np.interp(kf2[0].header.stamp.sec + kf2[0].header.stamp.nanosec * 1e-9,
                                          truth.t, truth.distance)
    assert kf2[-1].point.x - kf2[0].point.x == pytest.approx(span, rel=PUBLISHED_TOLERANCE)


@pytest.mark.slow
def test_a_replay_keeping_no_table_summarises_as_the_whole_table_does(tmp_path):
    """Replays of any length keep nothing per row in memory: the summary is computed while
    streaming and must equal summarize() over the full table."""
    from sprint_fusion.summary import summarize

    done = replay(TRACK, tmp_path / "out", keep_table=False)
    assert done.result.table.shape[0] == 0
    full = summarize(run([(k, s) for k, s, _ in read_samples(TRACK)]))
    for name, s in full.items():
        got = done.summary[name]
        assert got.distance == pytest.approx(s.distance, rel=1e-9)
        assert got.top_speed == pytest.approx(s.top_speed, rel=1e-9) and got.top_speed_time == s.top_speed_time


def test_replay_given_the_reports_analyzer_finds_what_report_finds(tmp_path, monkeypatch):
    """batch's one pass: replay(report=…) ends with the sprint report's analysis (trials on the
    track smoothed over the whole bag) — equal to report_bag's own reading and filtering of the
    bag, with the spilled smoother's windows small enough that several are seeded one from the next."""
    from sprint_fusion.core.params import FilterParams
    from sprint_fusion.core.smoother import SMOOTHED, SpilledTrackSmoother
    from sprint_fusion.sprint.analysis import SessionAnalyzer
    from sprint_fusion.sprint.session import report_bag

    monkeypatch.setattr(SpilledTrackSmoother, "WINDOW", 700)
    done = replay(BAG, tmp_path / "out", report=SessionAnalyzer())
    want, _ = report_bag(BAG, FilterParams(), SessionAnalyzer())
    got = done.session
    assert len(want.trials) == len(got.trials) == 1
    assert "smoothed" not in done.trials[0].estimators  # replay's own trials: the live analyzer's
    for a, b in zip(got.trials, want.trials, strict=True):
        assert set(a.estimators) == set(b.estimators) >= {"smoothed", "kf2", "kf5"}
        assert (a.onset, a.end, a.quality.verdict) == (b.onset, b.end, b.quality.verdict)
        for name, e in b.estimators.items():
            assert a.estimators[name].top_speed == pytest.approx(e.top_speed, rel=1e-12)
            assert [s.time for s in a.estimators[name].splits] == pytest.approx([s.time for s in e.splits], rel=1e-12)
    np.testing.assert_allclose(got.fused.table, want.fused.table, rtol=1e-12)
    for name in SMOOTHED:
        np.testing.assert_allclose(got.fused[name], want.fused[name], rtol=1e-12)
    assert (got.in_situ is None) == (want.in_situ is None)
    if want.in_situ is not None:
        assert (got.in_situ.mss, got.in_situ.mac) == pytest.approx((want.in_situ.mss, want.in_situ.mac), rel=1e-9)


def test_missing_inputs_are_refused_with_the_topics_found_and_the_remap_that_fits(shared_data, tmp_path, capsys):
    # robot_localization's bag: its fix is /fix, not gnss/fix
    assert main(["replay", str(shared_data / "bags" / "test1.bag"), "-o", str(tmp_path / "husky")]) == 2
    err = capsys.readouterr().err
    assert "no /gnss/fix" in err and "/fix (NavSatFix)" in err and "--remap /fix:=gnss/fix" in err
    assert not (tmp_path / "husky").exists() and not (tmp_path / "husky.csv").exists()
    # an IMU-only bag (the bundled bag's IMU topics alone)
    store = typestore()
    with AnyReader([BAG], default_typestore=store) as reader:
        conns = [c for c in reader.connections if c.topic.startswith("/imu/")]
        records = [(c.topic, c.msgtype, t, bytes(raw)) for c, t, raw in reader.messages(connections=conns)]
    write_bag(tmp_path / "imu_only", records, store)
    for command in (["demo", str(tmp_path / "imu_only")], ["report", str(tmp_path / "imu_only"), "-o",
                                                           str(tmp_path / "r")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert "no /gnss/fix" in err and "/imu/data (Imu)" in err


def test_every_command_reads_a_recording_cut_short(tmp_path, capsys):
    """A killed recording (its MCAP cut mid-chunk): demo, report and tune work on everything before
    the cut, write their outputs, and exit 1 naming where the file is damaged."""
    broken, _ = damaged_copy(tmp_path, lambda data: data[: len(data) // 2])
    assert main(["demo", str(broken)]) == 1
    out, err = capsys.readouterr()
    imu = int(next(line for line in out.splitlines() if line.startswith("samples:")).split()[1])
    assert imu > 1000 and "damaged at byte" in err
    assert main(["report", str(broken), "-o", str(tmp_path / "report"), "--no-figures"]) == 1
    assert (tmp_path / "report" / "sprint.json").is_file() and "damaged at byte" in capsys.readouterr().err
    assert main(["tune", str(broken), "--reference", "truth", "--grid", "speed.r=5,20", "--jobs", "1", "-o",
                 str(tmp_path / "tuned.yaml")]) == 1
    assert (tmp_path / "tuned.yaml").is_file() and "damaged at byte" in capsys.readouterr().err
