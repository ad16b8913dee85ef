"""replay packs the graph's messages in columns and writes MCAP chunks itself: every message must
be the one outputs.py builds (what the live nodes publish) and rosbags serialises, and the file
must read back through two independent MCAP readers."""

import dataclasses

import numpy as np
import pytest
from mcap.reader import make_reader
from rosbags.highlevel import AnyReader

from sprint_fusion import msgs, outputs
from sprint_fusion.bags.reader import read_samples
from sprint_fusion.bags.replay import replay
from sprint_fusion.bags.writer import typestore
from sprint_fusion.core.fusion import ChainObserver, SprintFusion
from sprint_fusion.core.params import FilterParams

from .conftest import REPO

BAG = REPO / "bags" / "sprint_40m"


class SlowBuilder(ChainObserver):
    """The messages as the nodes build them, one at a time (outputs.py, rosbags' classes)."""

    def __init__(self, types, params):
        self.types, self.params, self.out = types, params, {}
        self.accel_cov = np.eye(3) * params["axis.r_imu"]

    def _add(self, items):
        for topic, msg in items:
            self.out.setdefault("/" + topic, []).append(msg)

    def datum(self, fix, datum):
        self._add(outputs.datum_output(self.types, fix, datum))

    def gnss_enu(self, fix, enu):
        self._add(outputs.gnss_enu_output(self.types, fix, enu, bool(self.params["gnss.velocity"])))

    def rows(self, table):
        for row in table:
            self._add(outputs.chain_outputs(self.types, row, self.accel_cov))


def leaves(msg, prefix=""):
    """Every number of a message, by its path."""
    if dataclasses.is_dataclass(msg):
        for f in dataclasses.fields(msg):
            if f.name != "__msgtype__":
                yield from leaves(getattr(msg, f.name), f"{prefix}.{f.name}")
    elif isinstance(msg, np.ndarray):
        for k, v in enumerate(msg.ravel()):
            yield f"{prefix}[{k}]", float(v)
    elif isinstance(msg, str):
        yield prefix, msg
    else:
        yield prefix, msg


def bag_by_topic(path):
    out = {}
    with AnyReader([path], default_typestore=typestore()) as reader:
        for conn, log_ns, raw in reader.messages():
            out.setdefault(conn.topic, []).append((log_ns, reader.deserialize(raw, conn.msgtype)))
    return out


@pytest.mark.parametrize("profile", ["paper", "accurate"])
def test_every_packed_message_is_the_one_the_nodes_build(tmp_path, profile):
    params = FilterParams.from_yaml(REPO / "config" / "filters" / f"{profile}.yaml")
    replay(BAG, tmp_path / "out", params)
    got = bag_by_topic(tmp_path / "out")
    slow = SlowBuilder(msgs.bag_types(typestore()), params)
    fusion = SprintFusion(params, slow)
    for kind, sample, _ in read_samples(BAG):
        fusion.push(kind, sample)
    fusion.flush()
    for topic, expected in slow.out.items():
        assert topic in got, topic
        assert len(got[topic]) == len(expected), topic
        for (log_ns, mine), theirs in zip(got[topic], expected, strict=True):
            assert log_ns == msgs.stamp_to_ns(msgs.stamp_of(theirs))
            for (path, a), (_, b) in zip(leaves(mine), leaves(theirs), strict=True):
                if isinstance(b, float):  # cos/sin of numpy and libm may differ in the last bit
                    assert a == pytest.approx(b, rel=1e-14, abs=1e-300, nan_ok=True), (topic, path)
                else:
                    assert a == b, (topic, path)


def test_the_bag_reads_back_through_the_mcap_library_with_its_checksums(tmp_path):
    done = replay(BAG, tmp_path / "out")
    with open(tmp_path / "out" / "out.mcap", "rb") as fh:
        reader = make_reader(fh, validate_crcs=True)
        summary = reader.get_summary()
        assert summary.statistics.message_count == done.messages
        assert {c.compression for c in summary.chunk_indexes} == {"zstd"}
        counted = {}
        last = {}
        for _, channel, message in reader.iter_messages(log_time_order=True):
            counted[channel.topic] = counted.get(channel.topic, 0) + 1
            assert message.log_time >= last.get(channel.topic, 0)
            last[channel.topic] = message.log_time
    with AnyReader([tmp_path / "out"], default_typestore=typestore()) as bag:
        assert counted == {c.topic: c.msgcount for c in bag.connections}
        assert sum(counted.values()) == bag.message_count == done.messages


@pytest.mark.parametrize("storage,compression", [("mcap", "lz4"), ("mcap", "none"), ("sqlite3", "zstd")])
def test_other_storages_and_compressions_hold_the_same_messages(tmp_path, storage, compression):
    replay(BAG, tmp_path / "zstd")
    replay(BAG, tmp_path / "other", storage=storage, compression=compression)
    a, b = bag_by_topic(tmp_path / "zstd"), bag_by_topic(tmp_path / "other")
    assert {t: len(m) for t, m in a.items()} == {t: len(m) for t, m in b.items()}
    for topic in a:
        assert [n for n, _ in a[topic]] == [n for n, _ in b[topic]], topic


def test_the_streaming_summary_in_blocks_is_summarize_over_the_whole_table():
    """replay summarises a block at a time, keeping nothing per row: the same distances and top
    speeds as summary() / integrate() over the whole table — through NaN, a filter restart (time
    going back) and any block boundaries."""
    import math

    from sprint_fusion.summary import StreamingSummary, integrate, summary

    rng = np.random.default_rng(1)
    for _ in range(60):
        n = int(rng.integers(300, 3000))
        t = 100.0 + 0.0025 * np.arange(n)  # 400 Hz, as the window's sample count assumes
        if rng.random() < 0.5:
            k = int(rng.integers(50, n))
            t[k:] -= t[k] - t[0] - 0.5  # the filters restarted
        kf5, kf2 = rng.uniform(0, 10, n), rng.uniform(0, 10, n)
        distance = np.cumsum(rng.uniform(0, 0.1, n))
        for c in (kf5, kf2, distance):
            c[rng.random(n) < 0.1] = np.nan
        streamed = StreamingSummary()
        for part in np.split(np.arange(n), np.sort(rng.choice(np.arange(1, n), 5, replace=False))):
            streamed.add_block(t[part], kf5[part], kf2[part], distance[part])
        whole = {"KF2": summary(t, distance, kf2), "KF5": summary(t, integrate(t, kf5), kf5, restarts=False)}
        for name, a in whole.items():
            b = streamed.result()[name]
            for x, y in ((a.distance, b.distance), (a.top_speed, b.top_speed), (a.top_speed_time, b.top_speed_time)):
                assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=1e-9), name


def test_topics_chooses_what_is_written(tmp_path, capsys):
    from sprint_fusion.cli import main

    assert main(["replay", str(BAG), "-o", str(tmp_path / "all")]) == 0
    assert main(["replay", str(BAG), "-o", str(tmp_path / "few"), "--topics", "fusion/speed", "/imu/*",
                 "--compression", "lz4"]) == 0
    full, few = bag_by_topic(tmp_path / "all"), bag_by_topic(tmp_path / "few")
    assert set(few) == {"/fusion/speed", "/imu/data", "/imu/data_raw"}
    capsys.readouterr()
    assert main(["replay", str(BAG), "-o", str(tmp_path / "typo"), "--topics", "fusion/sped"]) == 0
    assert "--topics fusion/sped matched no topic of this replay" in capsys.readouterr().err
    for topic in few:
        assert [n for n, _ in few[topic]] == [n for n, _ in full[topic]]


def test_a_replay_that_fails_midway_leaves_no_half_output_and_no_helper(tmp_path, monkeypatch):
    """An error in the middle (here: the chain, at its second block) leaves neither a half bag nor a
    half CSV under the names asked for, no staging folder, no smoother spill and no CSV helper."""
    import os
    import subprocess

    from sprint_fusion.core import smoother
    from sprint_fusion.core.fusion import SprintFusion

    blocks = {"n": 0}
    push = SprintFusion.push_block

    def failing(self, items):
        blocks["n"] += 1
        if blocks["n"] == 2:
            raise RuntimeError("planted failure")
        return push(self, items)

    spills, helpers = [], []
    made = smoother.SpilledTrackSmoother.__init__
    monkeypatch.setattr(smoother.SpilledTrackSmoother, "__init__",
                        lambda self, *a, **k: (made(self, *a, **k), spills.append(self.folder.name))[0])
    popen = subprocess.Popen
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: helpers.append(popen(*a, **k)) or helpers[-1])
    monkeypatch.setattr(SprintFusion, "push_block", failing)
    with pytest.raises(RuntimeError, match="planted failure"):
        replay(BAG, tmp_path / "out", csv_path=tmp_path / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no bag, no CSV, no staging folder
    assert spills and not any(os.path.exists(s) for s in spills)
    assert helpers and all(h.poll() is not None for h in helpers)


def test_the_csv_helper_dying_is_an_error_not_a_short_file(tmp_path):
    from sprint_fusion.bags.csv_writer import CsvWriter

    writer = CsvWriter(tmp_path / "x.csv", ("t", "v"))
    writer.write(np.array([[1.0, 2.0]]))
    writer.helper.kill()
    writer.helper.wait()
    with pytest.raises(RuntimeError, match="the CSV writer failed"):
        for _ in range(200):  # the pipe takes some bytes before it breaks
            writer.write(np.ones((1000, 2)))
        writer.close()


@pytest.mark.parametrize("process", [True, False], ids=["helper", "in place"])
def test_the_csv_reads_back_every_float_exactly(tmp_path, process):
    """Python's csv and float() give back the very floats written, whatever their size — NaN, signed
    zero, subnormals, infinities (which JSON cannot write) included."""
    import csv

    from sprint_fusion.bags.csv_writer import CsvWriter

    rng = np.random.default_rng(7)
    plain = rng.normal(size=(3000, 4)) * np.array([1.0, 1e-9, 1e12, 1.7e9])
    tricky = np.array([[np.nan, -0.0, 5e-324, 1.7976931348623157e308], [0.1, 1e16, -123456789.0123456, 2.0 / 3.0]])
    with_inf = np.array([[np.inf, -np.inf, np.nan, 1.5]])
    blocks = [plain[:1000], tricky, plain[1000:], with_inf]
    path = tmp_path / "rows.csv"
    writer = CsvWriter(path, ("a", "b", "c", "d"), process=process)
    for block in blocks:
        writer.write(block)
    writer.close()
    with open(path, newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["a", "b", "c", "d"]
    back = np.array([[float(x) for x in line] for line in lines[1:]])
    expected = np.concatenate(blocks)
    assert back.shape == expected.shape
    assert np.array_equal(back, expected, equal_nan=True)
    assert np.array_equal(np.signbit(back), np.signbit(expected))
    assert path.read_bytes().count(b"\r\n") == len(expected) + 1


def test_replay_on_the_calling_thread_alone_writes_what_its_helpers_write(tmp_path, monkeypatch):
    """batch's workers replay with helpers=False — the CSV, the packing and the compression on the
    calling thread (one core a worker): no thread or process started, and the same bag, message for
    message, and the same CSV as with the helpers."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    bag = REPO / "bags" / "sprint_40m"
    replay(bag, tmp_path / "helped", csv_path=tmp_path / "helped.csv")

    def refused(*args, **kwargs):
        raise AssertionError("helpers=False started a helper")

    with monkeypatch.context() as patch:
        patch.setattr(subprocess, "Popen", refused)
        patch.setattr(ThreadPoolExecutor, "__init__", refused)
        replay(bag, tmp_path / "alone", csv_path=tmp_path / "alone.csv", helpers=False)

    def messages(path):
        with AnyReader([path], default_typestore=typestore()) as reader:
            return [(conn.topic, log_ns, bytes(raw)) for conn, log_ns, raw in reader.messages()]

    helped, alone = messages(tmp_path / "helped"), messages(tmp_path / "alone")
    assert len(helped) > 10_000 and alone == helped
    assert (tmp_path / "alone.csv").read_bytes() == (tmp_path / "helped.csv").read_bytes()
