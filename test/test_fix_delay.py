"""time.fix_delay: IMU samples are not held for a fix still on its way; the fix is used that long
after its stamp, the CJ filters going back to it in their state history. From the moment a fix is
used, the state must be exactly the one a filter that had the fix in time holds (the reference:
the same filter fed in stamp order, which test_kalman_vs_filterpy checks against filterpy); what
was published meanwhile lacks that fix — and nothing else changes."""

import numpy as np
import pytest

from sprint_fusion.core.cj_fuser import CjFuser
from sprint_fusion.core.fusion import run
from sprint_fusion.core.params import FilterParams
from sprint_fusion.core.timeline import GNSS, IMU, InputTimeline
from sprint_fusion.paths import config_file
from sprint_fusion.sim.profiles import ConstantAccelerationRamp
from sprint_fusion.sim.sensors import GnssModel, ImuModel, simulate
from sprint_fusion.sim.truth import straight_sprint

DELAY, LATENCY, IMU_RATE, GNSS_RATE = 0.03, 0.02, 400.0, 20.0


def one_axis_run(seed=0, seconds=4.0):
    """(t, acceleration) at 400 Hz and (t, position, velocity) at 20 Hz of an accelerating run with
    a stride's swing, noisy, plus a position jump the gate keeps out for a while."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, int(seconds * IMU_RATE)) / IMU_RATE
    a = 3.0 * np.exp(-t) + 2.0 * np.sin(2 * np.pi * 4.5 * t)
    v = np.cumsum(a) / IMU_RATE
    d = np.cumsum(v) / IMU_RATE
    every = int(IMU_RATE / GNSS_RATE)
    fixes = [(t[k], d[k] + rng.normal(0, 0.02) + (3.0 if 40 <= k // every < 44 else 0.0), v[k] + rng.normal(0, 0.05))
             for k in range(every // 2, len(t), every)]
    accel = a + rng.normal(0, 0.3, len(t))
    return list(zip(t, accel, strict=True)), fixes


def in_stamp_order(f: CjFuser, imu, fixes):
    """The reference: each fix at its stamp, before the IMU sample of that stamp; the state after
    each IMU step."""
    states, k = [], 0
    for t, a in imu:
        while k < len(fixes) and fixes[k][0] <= t:
            f.fix(fixes[k][0], fixes[k][1], 0.02, fixes[k][2], 0.05 ** 2)
            k += 1
        f.acceleration(t, a)
        states.append((t, f.state.copy(), f.covariance.copy()))
    return states


def delayed(f: CjFuser, imu, fixes, delay, split=False):
    """Each fix used `delay` after its stamp (after every IMU sample before then); its velocity
    given separately (split: as an axis node receives it) or with the fix. The state after each
    IMU step."""
    states, k = [], 0
    for t, a in imu:
        while k < len(fixes) and fixes[k][0] + delay <= t:
            stamp, d, v = fixes[k]
            if split:
                f.position(stamp, d, 0.02)
                f.velocity(stamp, v, 0.05 ** 2)
            else:
                f.fix(stamp, d, 0.02, v, 0.05 ** 2)
            k += 1
        f.acceleration(t, a)
        states.append((t, f.state.copy(), f.covariance.copy()))
    return states


def axis(delay, **kw) -> CjFuser:
    return CjFuser([0.0, 0.01, 1.0, 100.0], 0.5, "variance", "per_second", gate=5.0, velocity_latency=0.08,
                   velocity_latency_sigma=0.05, fix_delay=delay, **kw)


@pytest.mark.parametrize("lag_from", ["state", "imu"], ids=["lag from the state", "lag carried by the IMU"])
@pytest.mark.parametrize("bias", [False, True], ids=["4 states", "acceleration bias"])
@pytest.mark.parametrize("split", [False, True], ids=["fix with velocity", "velocity apart"])
def test_a_late_fix_gives_the_state_a_fix_in_time_gives(bias, split, lag_from):
    imu, fixes = one_axis_run()
    extra = {"accel_bias_tau": 300.0, "accel_bias_sigma": 0.1} if bias else {}
    extra["velocity_lag_from"] = lag_from
    in_time_filter, late_filter = axis(0.0, **extra), axis(DELAY, **extra)
    reference = in_stamp_order(in_time_filter, imu, fixes)
    late = delayed(late_filter, imu, fixes, DELAY, split)
    assert late_filter.outliers == in_time_filter.outliers > 0  # the jump was kept out alike
    visible = np.array([f[0] for f in fixes])
    compared = 0
    for (t, x, P), (_, x_ref, P_ref) in zip(late, reference, strict=True):
        pending = np.any((visible <= t) & (visible + DELAY > t))  # a fix in flight: the outputs lack it
        if not pending and t > visible[0] + DELAY:
            assert np.allclose(x, x_ref, rtol=0, atol=1e-9) and np.allclose(P, P_ref, rtol=0, atol=1e-12), t
            compared += 1
        elif pending and t > visible[1] + DELAY:
            assert not np.allclose(x, x_ref, rtol=0, atol=1e-9)  # it does lack it: the test can tell
    assert compared > len(imu) // 5


def test_a_fix_older_than_the_history_is_used_as_of_now():
    """A fix later than the history reaches back (time.fix_delay much shorter than the receiver's
    real latency, a fast IMU) is used at the filter's time: no error, nothing back in time."""
    imu, fixes = one_axis_run()
    f = axis(0.002)
    first = fixes[0]
    f.fix(*first[:2], 0.02)
    for t, a in imu[:800]:  # 2 s of IMU steps, far more than 0.002 s of history holds
        if t > first[0]:
            f.acceleration(t, a)
    now = f.filter.t[0]
    f.fix(fixes[5][0], fixes[5][1], 0.02, fixes[5][2], 0.05 ** 2)
    assert f.filter.t[0] == now and np.isfinite(f.state).all()


@pytest.fixture(scope="module")
def sprint():
    truth = straight_sprint(ConstantAccelerationRamp(3.0, 9.0), duration=6.0, rate=IMU_RATE, standstill=2.0)
    sim = simulate(truth, GnssModel(rate=GNSS_RATE, latency=LATENCY), ImuModel(rate=IMU_RATE), seed=2)
    samples = [(GNSS, e.fix) for e in sim.epochs] + [(IMU, s) for s in sim.imu]
    return sorted(samples, key=lambda ks: ks[1].stamp), [e.fix.stamp for e in sim.epochs]


@pytest.mark.parametrize("profile", ["paper.yaml", "accurate.yaml"])
def test_kf2_holds_the_in_time_state_once_every_fix_is_used(sprint, profile):
    """KF2 (its heading from the IMU alone: nothing else differs) through the whole chain: rows
    where no fix is in flight are the in-time run's."""
    samples, stamps = sprint
    params = FilterParams.from_yaml(config_file("filters", profile))
    in_time = run(samples, FilterParams({**params, "time.fix_delay": 0.0}))  # the accurate profile's is 0.05
    late = run(samples, FilterParams({**params, "time.fix_delay": DELAY}))
    t = in_time["t"]
    assert np.array_equal(t, late["t"])
    stamps = np.array(stamps)
    in_flight = np.array([np.any((stamps <= s) & (stamps + DELAY > s)) for s in t])
    settled = ~in_flight & np.isfinite(in_time["kf2_speed"]) & (t > stamps[0] + 1.0)
    assert settled.sum() > len(t) // 10
    for column in ("kf2_speed", "kf2_distance"):
        assert np.allclose(late[column][settled], in_time[column][settled], rtol=0, atol=1e-9), column
    differs = in_flight & np.isfinite(in_time["kf2_speed"]) & (t > stamps[0] + 3.0)
    assert not np.allclose(late["kf2_speed"][differs], in_time["kf2_speed"][differs], rtol=0, atol=1e-9)


def test_no_imu_sample_waits_for_a_fix_in_flight(sprint):
    """A receiver 20 ms late and fixes used 30 ms after their stamp: once the streams are trusted,
    every IMU sample leaves the timeline the moment it arrives — in the order the window gives."""
    samples, _ = sprint
    arrivals = sorted([(s.stamp + (LATENCY if k == GNSS else 0.0), k, s) for k, s in samples],
                      key=lambda a: (a[0], a[1] != GNSS))
    released = {}
    early = InputTimeline(window=0.1, early=True, fix_delay=DELAY)
    window = InputTimeline(window=0.1, fix_delay=DELAY)
    order, reference = [], []
    for now, kind, sample in arrivals:
        for timeline, out in ((early, order), (window, reference)):
            events = timeline.imu(sample) if kind == IMU else timeline.gnss(sample)
            out += [(k, i.stamp) for k, i in events]
            if timeline is early:
                released.update({i.stamp: now for k, i in events if k == IMU})
    order += [(k, i.stamp) for k, i in early.flush()]
    reference += [(k, i.stamp) for k, i in window.flush()]
    assert order == reference and len(order) == sum(s[1].is_valid() for s in samples) - no_fix(samples)
    start = arrivals[0][0] + 1.0  # the streams' probation
    held = [released[s.stamp] - s.stamp for k, s in samples if k == IMU and s.stamp > start]
    assert max(held) <= 1e-9
    # each fix goes after the IMU samples stamped before its stamp + the delay, before the rest
    for p, (kind, stamp) in enumerate(order):
        if kind == GNSS:
            assert all(s < stamp + DELAY for k, s in order[:p] if k == IMU)
            assert all(s >= stamp + DELAY for k, s in order[p:] if k == IMU)


def no_fix(samples) -> int:
    return sum(1 for k, s in samples if k == GNSS and not s.fix_type.value)


@pytest.mark.parametrize(("profile", "waits"), [("accurate.yaml", False), ("paper.yaml", True)])
def test_the_default_profile_holds_no_imu_sample_for_a_receiver_30_ms_late(profile, waits):
    """What the launch file and `sprint-fusion graph` run by default (the accurate profile): a node's
    input timeline, built from the profile as a node builds it, lets every IMU sample go the moment
    it arrives from a receiver whose fixes come 30 ms after their stamp; the paper profile (each fix
    at its stamp) holds each for the fix of its epoch."""
    latency = 0.03
    truth = straight_sprint(ConstantAccelerationRamp(3.0, 9.0), duration=4.0, rate=IMU_RATE, standstill=1.0)
    sim = simulate(truth, GnssModel(rate=GNSS_RATE, latency=latency), ImuModel(rate=IMU_RATE), seed=4)
    arrivals = sorted([(e.fix.stamp + latency, GNSS, e.fix) for e in sim.epochs] + [(s.stamp, IMU, s) for s in sim.imu],
                      key=lambda a: (a[0], a[1] != GNSS))
    timeline = InputTimeline.from_params(FilterParams.from_yaml(config_file("filters", profile)), live=True)
    released = {}
    for now, kind, sample in arrivals:
        events = timeline.imu(sample) if kind == IMU else timeline.gnss(sample)
        released.update({s.stamp: now for k, s in events if k == IMU})
    start, end = arrivals[0][0] + 1.0, arrivals[-1][0] - 0.2  # the streams' probation; the last fixes
    held = np.array([released[s.stamp] - s.stamp for s in sim.imu if start < s.stamp < end])
    assert len(held) > 2 * IMU_RATE
    if waits:
        assert np.percentile(held, 99) >= latency - 1e-9
    else:
        assert held.max() <= 1e-9
