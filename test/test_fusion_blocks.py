"""The offline fast path (IMU decoded in columns, runs of IMU samples through one compiled call)
gives exactly what the per-sample path gives — the path whose numbers the truth tests check —
on the bundled bags and on streams broken every way the reorder window and the stamp guard
handle; and the column decoder reads IMU messages as rosbags does."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sprint_fusion import msgs
from sprint_fusion.bags.imu_columns import decode_imus
from sprint_fusion.bags.reader import read_blocks, read_samples
from sprint_fusion.bags.writer import typestore
from sprint_fusion.core.fusion import run, run_blocks
from sprint_fusion.core.samples import FixType, GnssFix, ImuBlock, ImuSample

REPO = Path(__file__).resolve().parents[1]
BAGS = REPO / "bags"


def same(a, b) -> bool:
    return a.table.shape == b.table.shape and np.array_equal(a.table, b.table, equal_nan=True) and a.stats == b.stats


@pytest.mark.parametrize("bag", ["sprint_40m", "track_400m", "sprint_100m_outage"])
@pytest.mark.parametrize("block_size", [1, 37, 4096])
def test_blocks_equal_samples_on_the_bundled_bags(bag, block_size):
    per_sample = run((k, s) for k, s, _ in read_samples(BAGS / bag))
    blocks = run_blocks(read_blocks(BAGS / bag, block_size=block_size))
    assert len(per_sample.table) > 1000 and np.isfinite(per_sample["kf5_speed"]).sum() > 1000
    assert same(per_sample, blocks)


STREAM = [(k, s) for k, s, _ in read_samples(BAGS / "sprint_40m")][1000:1600]  # 30 fixes, mid-sprint


def as_blocks(items, cuts):
    """Arrival-ordered (kind, sample) → lists of fixes and ImuBlocks, cut at the given sizes."""
    out, block, run_ = [], [], []
    sizes = iter(cuts)
    size = next(sizes, 50)
    for kind, sample in items:
        if kind == "imu":
            run_.append(sample)
        else:
            if run_:
                block.append(ImuBlock.of(run_))
                run_ = []
            block.append(sample)
        if sum(len(b) if isinstance(b, ImuBlock) else 1 for b in block) + len(run_) >= size:
            if run_:
                block.append(ImuBlock.of(run_))
                run_ = []
            out.append(block)
            block, size = [], next(sizes, 50)
    if run_:
        block.append(ImuBlock.of(run_))
    return [*out, block]


def broken(items, faults):
    items = list(items)
    for fault, where, size in faults:
        i = where % len(items)
        kind, s = items[i]
        if fault == "nan" and kind == "imu":
            items[i] = (kind, ImuSample(s.stamp, np.array([np.nan, 0.0, 9.8]), s.gyro, s.orientation))
        elif fault == "absurd" and kind == "imu":
            items[i] = (kind, ImuSample(s.stamp, s.accel, s.gyro * 1e3, s.orientation))
        elif fault == "duplicate":
            items.insert(i, items[i])
        elif fault == "late":  # arrives `size` items later: within or beyond the reorder window
            items.insert(min(i + size, len(items)), items.pop(i))
        elif fault == "jump_back":  # `size` samples stamped 5 s in the past (a reset once confirmed)
            for j in range(i, min(i + size, len(items))):
                k, x = items[j]
                items[j] = (k, dataclasses.replace(x, stamp=x.stamp - 5.0))
        elif fault == "no_fix" and kind == "gnss":
            items[i] = (kind, dataclasses.replace(s, fix_type=FixType.NO_FIX))
    return items


FAULT = st.tuples(st.sampled_from(["nan", "absurd", "duplicate", "late", "jump_back", "no_fix"]),
                  st.integers(0, 10_000), st.integers(1, 80))


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(FAULT, max_size=6), st.lists(st.integers(1, 300), max_size=20))
@example(faults=[("nan", 0, 1)], cuts=[1])  # found: an invalid sample held over from a block not clean
@example(faults=[("late", 519, 80)], cuts=[])  # found: a late sample held over, due at once
def test_blocks_equal_samples_on_broken_streams(faults, cuts):
    items = broken(STREAM, faults)
    per_sample = run(items)
    blocks = run_blocks(as_blocks(items, cuts))
    assert same(per_sample, blocks)


def test_a_clean_stream_takes_the_compiled_path(monkeypatch):
    """The equality above would hold trivially if every block fell back to samples."""
    from sprint_fusion.core import fusion

    calls = []
    original = fusion.SprintFusion._imu
    monkeypatch.setattr(fusion.SprintFusion, "_imu", lambda self, b: calls.append(len(b)) or original(self, b))
    result = run_blocks(read_blocks(BAGS / "sprint_40m"))
    # all but the reorder window's last 0.1 s (released by flush(), sample by sample)
    assert 0 <= result.stats.imu - sum(calls) <= 0.1 * 400 and len(calls) < result.stats.imu / 10


def imu_message(types, stamp, frame, orientation):
    sample = ImuSample(stamp, np.array([0.1, -2.0, 9.7]) * stamp % 7, np.array([0.01, 0.2, -0.3]) * stamp % 1,
                       orientation)
    return msgs.imu_msg(types, sample, frame, 0.01, 0.001, np.eye(3) * 1e-4 if orientation is not None else None)


@pytest.mark.parametrize("frame", ["imu_link", "a", "body_frame_with_a_long_name"])
def test_column_decoder_reads_what_rosbags_reads(frame):
    store = typestore()
    types = msgs.bag_types(store)
    q = np.array([0.9, 0.1, -0.2, 0.3]) / np.linalg.norm([0.9, 0.1, -0.2, 0.3])
    raws = []
    for k in range(50):
        stamp = 1777629600.0 + k * 0.0025 + 1e-9 * k
        msg = imu_message(types, stamp, frame, q if k % 3 else None)
        raws.append(bytes(store.serialize_cdr(msg, "sensor_msgs/msg/Imu")))
    block = decode_imus(raws)
    expected = ImuBlock.of([msgs.imu_sample(store.deserialize_cdr(r, "sensor_msgs/msg/Imu")) for r in raws])
    for field in ("stamps", "accel", "gyro", "orientation", "has_orientation"):
        assert np.array_equal(getattr(block, field), getattr(expected, field)), field
    assert not block.has_orientation.all() and block.has_orientation.any()
    assert decode_imus([*raws[:3], raws[3][:-8]]) is None  # a message of another size: one by one
    assert decode_imus([b"\x01\x00\x00\x00" + raws[0][4:]]) is None  # big-endian CDR: left to rosbags


def in_a_fresh_process(code: str, **env) -> dict:
    """Run code (which prints one JSON line last) in a new interpreter; its JSON."""
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**os.environ, **env}, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_plain_python_kernels_give_the_compiled_numbers(tmp_path):
    """SPRINT_FUSION_KERNELS=python (the live nodes' default) runs the same source uncompiled: the
    same chain to round-off on a bundled bag, and the filterpy/model tests pass on it."""
    out = tmp_path / "python.npy"
    got = in_a_fresh_process(
        "import json, numpy as np, sys; sys.path.insert(0, 'src')\n"
        "from sprint_fusion.core import jit\n"
        "from sprint_fusion.core.fusion import run_blocks\n"
        "from sprint_fusion.bags.reader import read_blocks\n"
        f"np.save({str(out)!r}, run_blocks(read_blocks('bags/sprint_40m')).table)\n"
        "print(json.dumps({'kernels': jit.NAME}))", SPRINT_FUSION_KERNELS="python")
    assert got["kernels"] == "python"
    python, compiled = np.load(out), run_blocks(read_blocks(BAGS / "sprint_40m")).table
    assert np.array_equal(np.isnan(python), np.isnan(compiled)) and np.isfinite(compiled[:, 7]).sum() > 1000
    assert np.nanmax(np.abs(python - compiled)) < 1e-9
    tests = ["test/test_kalman_vs_filterpy.py", "test/test_models.py", "test/test_yaw_bias.py",
             "test/test_attitude_geodesy.py"]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=REPO,
                          env={**os.environ, "SPRINT_FUSION_KERNELS": "python"}, capture_output=True, text=True)
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0 and "failed" not in summary and int(summary.split()[0]) > 40, done.stdout[-2000:]


def test_gnss_only_blocks_and_empty_input():
    fixes = [s for k, s in STREAM if k == "gnss"]
    assert isinstance(fixes[0], GnssFix)
    result = run_blocks([fixes[:10], [], fixes[10:]])
    assert result.table.shape == (0, 14) and result.stats.gnss == len(fixes)


@pytest.mark.parametrize("bag", ["sprint_40m", "sprint_100m_outage"])
def test_session_analysis_on_blocks_finds_the_same_trials(bag):
    from sprint_fusion.sprint.report import trial_doc
    from sprint_fusion.sprint.session import analyze_blocks, analyze_samples

    per_sample = analyze_samples((k, s) for k, s, _ in read_samples(BAGS / bag))
    blocks = analyze_blocks(read_blocks(BAGS / bag))
    assert per_sample.trials and [trial_doc(t) for t in blocks.trials] == [trial_doc(t) for t in per_sample.trials]
    assert np.array_equal(per_sample.fused.table, blocks.fused.table, equal_nan=True)


STEPS = ("yaw_bias.align_step", "yaw_bias.angle_step", "cj_fuser.acceleration_step", "speed.speed_step",
         "kf2.forward_step", "cj_fuser.gnss_step", "cj_fuser.velocity_step", "kalman.start", "history.restart",
         "chain.chain_run")


@pytest.mark.slow
def test_warm_up_compiles_every_step_a_node_calls():
    """A fresh process: after warm_up() the steps the nodes call from Python are compiled, so no
    sensor message waits for numba (where a node runs compiled: SPRINT_FUSION_KERNELS=numba)."""
    got = in_a_fresh_process(
        "import json, numpy as np, sys; sys.path.insert(0, 'src')\n"
        "from sprint_fusion.core import jit, fusion, yaw_bias, cj_fuser, speed, kf2, kalman, history, chain\n"
        f"steps = {{name: eval(name) for name in {STEPS!r}}}\n"
        "before = [n for n, f in steps.items() if f.signatures]\n"
        "result = fusion.warm_up()\n"
        "print(json.dumps({'kernels': jit.NAME, 'before': before, 'after': [n for n, f in steps.items() "
        "if f.signatures], 'finite': bool(np.isfinite(result['kf5_speed']).all()), 'rows': len(result.table)}))",
        SPRINT_FUSION_KERNELS="numba")
    assert got["kernels"] == "numba" and got["before"] == []
    assert sorted(got["after"]) == sorted(STEPS)
    assert got["finite"] and got["rows"] > 100


def test_a_ros1_bag_is_read_message_by_message_in_blocks(shared_data):
    """ROS 1 messages are not CDR: the column decoder must not read them (robot_localization's
    Husky bag, its topics under this package's names)."""
    bag = shared_data / "bags" / "test1.bag"
    remap = {"/fix": "gnss/fix", "/imu/data": "imu/data"}
    per_sample = run((k, s) for k, s, _ in read_samples(bag, remap=remap))
    blocks = run_blocks(read_blocks(bag, remap=remap))
    assert per_sample.stats.imu > 1000 and np.isfinite(per_sample["kf2_distance"]).any()
    assert same(per_sample, blocks)


def test_a_truncated_bag_gives_in_blocks_all_it_gives_sample_by_sample(tmp_path):
    """Everything up to the cut, the IMU samples still waiting for their block included, and then
    the damage, reported or raised."""
    from sprint_fusion.bags.reader import read_stream
    from sprint_fusion.bags.salvage import BagDamageError

    broken = tmp_path / "broken"
    shutil.copytree(BAGS / "track_400m", broken)
    mcap = broken / "track_400m.mcap"
    mcap.write_bytes(mcap.read_bytes()[: mcap.stat().st_size // 2])
    seen, reported = [], []
    per_sample = run((k, s) for _, _, _, events in read_stream(broken, on_damage=seen.append) for k, s in events)
    blocks = run_blocks(read_blocks(broken, on_damage=reported.append))
    assert len(seen) == len(reported) == 1 and isinstance(reported[0], BagDamageError)
    assert per_sample.stats.imu > 1000 and same(per_sample, blocks)
    got = []
    with pytest.raises(BagDamageError):
        for block in read_blocks(broken, block_size=100_000):  # one block: it comes before the error
            got.append(block)
    assert sum(len(i) for i in got[0] if isinstance(i, ImuBlock)) == per_sample.stats.imu


@pytest.mark.slow
def test_without_a_writable_cache_the_steps_compile_in_each_process():
    """A read-only install with no writable home: numba finds no cache location (simulated with a
    locator that never applies); the package must still import and run, compiled afresh."""
    got = in_a_fresh_process(
        "import json, numpy as np, sys; sys.path.insert(0, 'src')\n"
        "from sprint_fusion.core import chain, fusion, jit\n"
        "r = fusion.warm_up()\n"
        "print(json.dumps({'kernels': jit.NAME, 'cache': type(chain.chain_run._cache).__name__, "
        "'finite': bool(np.isfinite(r['kf5_speed']).all())}))",
        SPRINT_FUSION_KERNELS="numba", NUMBA_CACHE_LOCATOR_CLASSES="IPythonCacheLocator")
    assert got == {"kernels": "numba", "cache": "NullCache", "finite": True}  # compiled, not cached
