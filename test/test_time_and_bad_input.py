"""Late, repeated, out-of-order, non-finite samples and time jumps (spec: decide and test)."""

import dataclasses
import re

import numpy as np
import pytest

from sprint_fusion.core.fusion import GNSS, IMU, SprintFusion, run
from sprint_fusion.core.params import FilterParams
from sprint_fusion.core.timeline import ReorderBuffer

from .conftest import REPO
from .sprint_cases import ramp_sprint


@pytest.fixture(scope="module")
def sim():
    return ramp_sprint(0, imu_rate=100.0)


@pytest.fixture(scope="module")
def reference(sim):
    return run(sim.merged())


def test_reorder_buffer_sorts_and_drops_duplicates():
    buf = ReorderBuffer(window=0.1)
    out = []
    for stamp in [0.00, 0.03, 0.01, 0.02, 0.02, 0.20, 0.15, 0.40]:
        out += buf.push(stamp, "imu", stamp)
    out += buf.flush()
    assert [s for s, _, _ in out] == [0.00, 0.01, 0.02, 0.03, 0.15, 0.20, 0.40]
    assert buf.duplicates == 1


def test_reorder_buffer_discards_held_items():
    buf = ReorderBuffer(window=1.0)
    for stamp in [0.0, 0.1, 0.2]:
        buf.push(stamp, "imu", stamp)
    assert buf.discard(lambda kind, item: item < 0.15) == 2
    assert buf.push(0.1, "imu", "again") == []  # a discarded stamp may come again
    assert [s for s, _, _ in buf.flush()] == [0.1, 0.2]


def test_shuffled_and_repeated_arrivals_give_the_same_result(sim, reference):
    events = sim.merged()
    rng = np.random.default_rng(5)
    # arrival jitter of up to 40 ms (inside the 100 ms window), and every 20th sample twice
    jitter = [(sample.stamp + rng.uniform(0, 0.04), i) for i, (_, sample) in enumerate(events)]
    order = [i for _, i in sorted(jitter)]
    arrived = []
    for i in order:
        arrived.append(events[i])
        if i % 20 == 0:
            arrived.append(events[i])
    res = run(arrived)
    assert np.array_equal(res.table, reference.table, equal_nan=True)


def test_gnss_latency_is_compensated(sim):
    late = 0.08
    delayed = [(k, dataclasses.replace(s, stamp=s.stamp + late) if k == GNSS else s) for k, s in sim.merged()]
    delayed.sort(key=lambda e: e[1].stamp)  # arrival order: fixes come 80 ms after their epoch
    res = run(delayed, FilterParams({"gnss.latency": late}))
    # The on-time stream, with the stamps as the latency correction computes them in floats.
    on_time = [(k, dataclasses.replace(s, stamp=(s.stamp + late) - late) if k == GNSS else s)
               for k, s in sim.merged()]
    expected = run(on_time)
    assert np.array_equal(res.table, expected.table, equal_nan=True)
    unfixed = run(delayed)  # the same stream without the latency parameter is worse
    t = unfixed["t"]
    truth = np.interp(t, sim.truth.t, sim.truth.speed)
    assert np.nanmean((unfixed["kf2_speed"] - truth) ** 2) > 1.5 * np.nanmean((res["kf2_speed"] - truth) ** 2)


def test_non_finite_samples_are_rejected_and_output_stays_finite(sim, reference):
    events = list(sim.merged())
    bad = []
    for k, (kind, s) in enumerate(events):
        bad.append((kind, s))
        if kind == IMU and k % 50 == 0:
            bad.append((IMU, dataclasses.replace(s, stamp=s.stamp + 1e-4, accel=np.array([np.nan, 0, np.inf]))))
        if kind == GNSS and k % 7 == 0:
            bad.append((GNSS, dataclasses.replace(s, stamp=s.stamp + 1e-4, latitude=float("nan"))))
    res = run(bad)
    assert res.stats.rejected > 0
    started = np.isfinite(reference["kf5_speed"])
    assert np.all(np.isfinite(res.table[started]))
    assert np.array_equal(res.table, reference.table, equal_nan=True)  # rejected samples changed nothing


def test_time_jumping_back_resets_and_recovers(sim, reference):
    events = sim.merged()
    fusion = SprintFusion(FilterParams({"time.reorder_window": 0.0}))
    tables = []
    for kind, s in events:  # the recording plays once, then again from its start (a bag loop)
        tables.append(fusion.push(kind, s))
    for kind, s in events:
        tables.append(fusion.push(kind, s))
    tables.append(fusion.flush())
    rows = np.concatenate(tables)
    assert fusion.stats.resets == 1
    second = rows[len(rows) // 2:]
    assert np.allclose(second, reference.table, equal_nan=True)  # a clean restart, no old state


def test_small_step_back_drops_the_sample():
    fusion = SprintFusion(FilterParams({"time.reorder_window": 0.0}))
    sim = ramp_sprint(0, imu_rate=100.0)
    events = sim.merged()[:400]
    for kind, s in events:
        fusion.push(kind, s)
    kind, s = events[-5]
    assert len(fusion.push(kind, s)) == 0
    assert fusion.stats.dropped == 1 and fusion.stats.resets == 0


def test_velocity_from_positions_when_the_source_gives_none():
    """A /fix-only source: the chain still gets a velocity and heading, from successive fixes."""
    from sprint_fusion.core.gnss_velocity import PositionDifferencer

    sim = ramp_sprint(0, imu_rate=100.0)
    truth = sim.truth
    diff = PositionDifferencer()
    filled = [diff.fill(dataclasses.replace(f, velocity=None, velocity_covariance=None, heading=None,
                                            heading_accuracy=None)) for f in sim.gnss]
    moving = [f for f in filled[1:] if np.interp(f.stamp, truth.t, truth.speed) > 5.0]
    for f in moving:  # the interval's mean velocity: compare with the truth half a period earlier
        v_true = np.interp(f.stamp - 0.05, truth.t, truth.speed)
        assert np.hypot(*f.velocity[:2]) == pytest.approx(v_true, abs=0.4)
        assert abs((f.heading - 135.0 + 180) % 360 - 180) < 3 * max(f.heading_accuracy, 0.5)
    res = run([(k, dataclasses.replace(s, velocity=None, velocity_covariance=None, heading=None,
                                       heading_accuracy=None) if k == GNSS else s) for k, s in sim.merged()])
    ok = np.isfinite(res["kf5_speed"])
    assert ok.any()  # KF5 found its heading from the differenced velocity
    v_true = np.interp(res["t"][ok], truth.t, truth.speed)
    assert np.sqrt(np.mean((res["kf5_speed"][ok] - v_true) ** 2)) < 0.5


def test_silence_counts_as_epochs_without_a_fix():
    """A receiver that sends nothing for 2 s (no NO_FIX epochs either): the 20 epochs it should have
    sent are counted as without fix, as reported NO_FIX epochs are — a summary never says '0
    without fix' over a silent stretch."""
    sim = ramp_sprint(0, imu_rate=100.0)
    t0 = sim.gnss[0].stamp
    silent = [(k, s) for k, s in sim.merged() if not (k == GNSS and t0 + 3.0 <= s.stamp < t0 + 5.0)]
    assert run(sim.merged()).stats.no_fix == 0
    assert run(silent).stats.no_fix == 20


def test_a_clock_reset_is_located_and_the_distance_adds_its_pieces(capsys):
    """Every stamp from 6 s on lies 5 s earlier (a clock reset): one restart, located, and the
    summary's distances add the stretch before and after it (against the simulator's truth) instead
    of printing the last piece or a negative integral."""
    from sprint_fusion.cli.common import print_jumps
    from sprint_fusion.summary import summarize

    sim = ramp_sprint(0, imu_rate=100.0)
    t0 = sim.gnss[0].stamp
    items = [(k, dataclasses.replace(s, stamp=s.stamp - 5.0) if s.stamp >= t0 + 6.0 else s) for k, s in sim.merged()]
    res = run(items, FilterParams.from_yaml(REPO / "config" / "filters" / "accurate.yaml"))
    assert res.stats.resets == 1
    ((before, back, _),) = res.stats.jumps  # within the reorder window (0.1 s) of where it happened
    assert before - back == pytest.approx(5.0, abs=0.12) and back == pytest.approx(t0 + 1.0, abs=0.02)
    truth = sim.truth.distance[-1] - sim.truth.distance[0]
    got = summarize(res)
    assert got["KF2"].distance == pytest.approx(truth, rel=0.03)
    assert got["KF5"].distance == pytest.approx(truth, rel=0.05)
    # the IMU alone falls 5 s behind: restart after restart, and said so
    items = [(k, dataclasses.replace(s, stamp=s.stamp - 5.0) if k == IMU and s.stamp >= t0 + 6.0 else s)
             for k, s in sim.merged()]
    res = run(items)
    print_jumps(res.stats, t0)
    out = capsys.readouterr().out
    assert res.stats.resets > 10 and re.search(r"IMU stamps lie ~5\.[01]\d s behind the GNSS's", out), out
