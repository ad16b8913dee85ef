"""Two things the accurate profile measures instead of assuming: the aligned acceleration's bias
(an axis filter's fifth state) and how late the receiver's velocity is (offline, on the
recording's RTK-fixed accelerations) — each against a simulated truth."""

import numpy as np
import pytest

from sprint_fusion.core.cj_fuser import CjFuser
from sprint_fusion.core.params import FilterParams
from sprint_fusion.core.samples import ImuBlock
from sprint_fusion.core.velocity_lag import calibrated, centred_fit, estimate_velocity_lag, estimate_velocity_lag_imu
from sprint_fusion.paths import config_file
from sprint_fusion.sim import validation as val

from .conftest import SHARED


def axis_run(bias_tau: float, bias: float = 0.15, seconds: float = 20.0):
    """An athlete standing 5 s, then running at 6 m/s; the IMU's acceleration carries a constant
    bias; 10 Hz RTK positions and Doppler. Returns the velocity errors while running and the filter."""
    f = CjFuser([0.0, 0.01, 1.0, 100.0], 0.5, "variance", "per_second", 1.0, 0.0, 0.0, 0.0, 1.0, bias_tau, 0.1)
    rng = np.random.default_rng(7)
    errors = []
    for k in range(int(seconds * 200)):
        t = k / 200.0
        v_true = 0.0 if t < 5.0 else min(6.0, 3.0 * (t - 5.0))
        a_true = 3.0 if 5.0 <= t < 7.0 else 0.0
        p_true = 0.0 if t < 5.0 else (1.5 * (t - 5) ** 2 if t < 7.0 else 6.0 + 6.0 * (t - 7.0))
        if k % 20 == 0:
            f.position(t, p_true + rng.normal(0, 0.02), 0.02)
            f.velocity(t, v_true + rng.normal(0, 0.05), 0.05 ** 2)
        f.acceleration(t, a_true + bias + rng.normal(0, 0.3))
        if t > 8.0:
            errors.append(f.state[1] - v_true)
    return np.array(errors), f


def test_the_acceleration_bias_state_learns_the_bias_and_keeps_it_out_of_the_speed():
    with_bias, f = axis_run(bias_tau=300.0)
    without, _ = axis_run(bias_tau=0.0)
    assert f.state[4] == pytest.approx(0.15, abs=0.03)  # the bias, measured
    assert abs(with_bias.mean()) < 0.01 < abs(without.mean())  # without it, the speed runs ahead
    assert np.sqrt(np.mean(with_bias ** 2)) < np.sqrt(np.mean(without ** 2))


@pytest.mark.parametrize("lag", [0.0, 0.08, 0.15])
def test_the_velocity_lag_is_measured_on_rtk_fixed_sprints(lag):
    traces = val.traces(SHARED / "data" / "sprint")
    for trace in ("jb_morin", "Kimberley"):
        fixes = val.scenario(traces[trace], "rtk_fixed", seed=2, gnss={"velocity_latency": lag}).simulated.gnss
        found = estimate_velocity_lag(fixes)
        assert found is not None and found.lag == pytest.approx(lag, abs=0.015), (trace, found)
        assert found.sigma < 0.02


def test_float_fixes_leave_the_configured_lag():
    """Float positions wander by decimetres within a second: no measurement, the prior stays."""
    traces = val.traces(SHARED / "data" / "sprint")
    fixes = val.scenario(traces["Jim"], "float_outage", seed=1).simulated.gnss
    assert estimate_velocity_lag(fixes) is None
    params = FilterParams.from_yaml(config_file("filters", "accurate.yaml"))
    same, said = calibrated(params, fixes)
    assert same["gnss.velocity_latency"] == params["gnss.velocity_latency"] and "too little" in said


def test_the_measured_lag_is_weighted_with_the_prior():
    fixes = val.scenario(val.traces(SHARED / "data" / "sprint")["Jim"], "rtk_fixed", seed=2,
                         gnss={"velocity_latency": 0.15}).simulated.gnss
    found = estimate_velocity_lag(fixes)
    params = FilterParams.from_yaml(config_file("filters", "accurate.yaml"))  # prior 0.08 ± 0.1 s
    tuned, said = calibrated(params, fixes)
    w_prior, w_found = 1 / 0.1 ** 2, 1 / found.sigma ** 2
    assert tuned["gnss.velocity_latency"] == pytest.approx((0.08 * w_prior + found.lag * w_found) / (w_prior + w_found))
    assert "measured" in said
    paper = FilterParams()  # the published model measures nothing
    assert calibrated(paper, fixes) == (paper, None)


def lagging_run(trace: str, receiver: str, lag: float, orientation: bool = True, seed: int = 2, **run):
    """A validation run whose receiver's velocity lags `lag` s (the profile assumes 0.08)."""
    return val.scenario(val.traces(SHARED / "data" / "sprint")[trace], receiver, seed, heading_deg=100.0,
                        gnss={"velocity_latency": lag}, imu={"orientation": orientation}, **run)


def bag_of(path, scenario):
    """The scenario's sensor topics written as a bag at path, as `sprint-fusion simulate` would."""
    from sprint_fusion.bags.simulation import simulation_records
    from sprint_fusion.bags.writer import typestore, write_bag
    from sprint_fusion.msgs import bag_types

    store = typestore()
    write_bag(path, simulation_records(scenario, bag_types(store)), store)
    return path


@pytest.mark.parametrize("receiver", ["float_outage", "single_5hz", "rtk_fixed"])
@pytest.mark.parametrize("lag", [0.0, 0.08, 0.15])
def test_the_imu_measures_the_velocity_lag_with_any_fix_type(receiver, lag):
    """Doppler is as good in a float or single-point fix as in an RTK one: against the IMU's
    integrated horizontal force at the sprint start, the lag is found within 15 ms."""
    for trace in ("jb_morin", "Kimberley"):
        run = lagging_run(trace, receiver, lag).simulated
        found = estimate_velocity_lag_imu(sorted(run.gnss, key=lambda f: f.stamp), ImuBlock.of(run.imu))
        assert found is not None and found.lag == pytest.approx(lag, abs=0.015), (trace, found)
        assert abs(found.lag - lag) <= 2.0 * found.sigma <= 0.03  # its σ says so


def test_without_a_device_orientation_the_imu_measure_says_it_is_rougher():
    run = lagging_run("James", "single_5hz", 0.08, orientation=False).simulated
    found = estimate_velocity_lag_imu(sorted(run.gnss, key=lambda f: f.stamp), ImuBlock.of(run.imu))
    assert found is not None and abs(found.lag - 0.08) <= 0.03 and found.sigma >= 0.02


def test_no_sprint_start_no_imu_measure():
    run = lagging_run("Jim", "float_outage", 0.08).simulated
    standing = [f for f in run.gnss if f.stamp < val.STANDSTILL]  # the recording ends before the start
    assert estimate_velocity_lag_imu(standing, ImuBlock.of(run.imu)) is None


def test_a_late_first_start_is_found_and_reading_stops_after_the_third(tmp_path):
    """The IMU of a start is taken from the messages kept while its running epoch shows it: a
    sprint after 12 s of standing is measured all the same; a session of four sprints is read only
    up to its third start."""
    from sprint_fusion.bags.reader import read_calibration

    late = lagging_run("Kimberley", "single_5hz", 0.1, seed=3, duration=18.0, standstill=12.0)
    fixes, imu = read_calibration(bag_of(tmp_path / "late", late))
    found = estimate_velocity_lag_imu(fixes, imu)
    assert found is not None and found.lag == pytest.approx(0.1, abs=0.015)
    assert imu.stamps.min() <= fixes[0].stamp + 11.0 - 0.6 and len(imu) < 8 * 200  # the span only

    reps = [{"mss": 8.0, "tau": 1.2, "run_time": 4.0, "decel": 3.0, "rest": 6.0}] * 4
    session = val.scenario({"model": "session", "repetitions": reps}, "rtk_fixed", seed=1, duration=60.0)
    fixes, imu = read_calibration(bag_of(tmp_path / "session", session))
    fast = np.array([np.hypot(*f.velocity[:2]) > 4.0 for f in fixes])
    assert np.count_nonzero(fast[1:] & ~fast[:-1]) == 3  # read through the third sprint, not into the fourth
    assert estimate_velocity_lag_imu(fixes, imu).lag == pytest.approx(0.08, abs=0.015)


def test_a_float_bag_has_its_lag_measured_and_used(tmp_path):
    """Through the bag: the fixes and the IMU of the sprint start read in one pass, the lag
    measured (where positions could not), the configured prior outweighed."""
    from sprint_fusion.bags.reader import bag_params, read_calibration

    bag = bag_of(tmp_path / "b", lagging_run("Jim", "float_outage", 0.15, seed=1))
    fixes, imu = read_calibration(bag)
    assert imu is not None and imu.stamps.min() < fixes[0].stamp + val.STANDSTILL - 1.0
    params = FilterParams.from_yaml(config_file("filters", "accurate.yaml"))  # prior 0.08 ± 0.1 s
    tuned, said = bag_params(params, bag)
    assert tuned["gnss.velocity_latency"] == pytest.approx(0.15, abs=0.01) and "by the IMU" in said


@pytest.mark.parametrize("slope", [False, True])
def test_the_centred_fit_is_scipys_savitzky_golay_inside_the_edges(slope):
    from scipy.signal import savgol_filter

    x = np.random.default_rng(4).normal(size=(60, 2)).cumsum(axis=0)
    reference = savgol_filter(x, 7, 2, deriv=int(slope), delta=0.1, axis=0)[3:-3]
    assert np.allclose(centred_fit(x, 7, 0.1, slope), reference, rtol=0, atol=1e-12)


SMOOTHING_RECEIVER = {"velocity_latency": 0.0, "velocity_smoothing": 0.08}


@pytest.mark.parametrize(("gnss", "smoothed"), [({}, False), (SMOOTHING_RECEIVER, True)],
                         ids=["delayed velocity", "smoothed velocity"])
def test_the_imu_tells_a_delayed_velocity_from_a_smoothed_one(gnss, smoothed):
    """Alike at low frequencies, a delay and a first-order lag differ under a stride's swing: the
    IMU's measure says which; a smoothed velocity is related to the state by the expansion (carried
    as a delay it misleads the filters: docs/filters.md), a delayed one is carried by the IMU."""
    params = FilterParams.from_yaml(config_file("filters", "accurate.yaml"))
    assert params["gnss.velocity_lag_from"] == "imu"
    for trace in ("jb_morin", "Samantha"):
        sc = val.scenario(val.traces(SHARED / "data" / "sprint")[trace], "float_outage", seed=1, gnss=gnss)
        imu = ImuBlock.of(sc.simulated.imu)
        estimate = estimate_velocity_lag_imu(sorted(sc.simulated.gnss, key=lambda f: f.stamp), imu)
        assert estimate is not None and estimate.smoothed is smoothed, (trace, estimate)
        tuned, said = calibrated(params, sc.simulated.gnss, imu)
        assert tuned["gnss.velocity_lag_from"] == ("state" if smoothed else "imu")
        assert ("smoothed, not delayed" in said) is smoothed


def test_the_first_order_lag_is_scipys_zero_order_hold_filter():
    from scipy.signal import cont2discrete, lfilter

    from sprint_fusion.core.velocity_lag import first_order_lag

    rng = np.random.default_rng(4)
    t = np.arange(400) / 200.0
    x = np.cumsum(rng.normal(0.0, 0.3, (400, 2)), axis=0)
    out = first_order_lag(t, x, np.array([0.0, 0.05, 0.12]))
    assert np.array_equal(out[0], x)
    for k, tau in ((1, 0.05), (2, 0.12)):
        b, a, _ = cont2discrete(([1.0], [tau, 1.0]), 1 / 200.0, method="zoh")  # 1 / (τs + 1)
        y = x[0] + lfilter(b.ravel(), a, x - x[0], axis=0)  # at rest at x[0]: unit gain
        assert np.allclose(out[k], y, atol=1e-9), tau
