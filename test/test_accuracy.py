"""The fused speed against the simulator's truth on the validation set (sim/validation.py):
recorded sprints (shorts' jb_morin radar sprint and its radar athletes) with realistic receivers.
The targets are those a coach needs (speed RMSE from the start of motion, time at 5/10/20/30 m,
distance at the end) and one more: in every phase the fused speed beats the receiver's own."""

import numpy as np
import pytest

from sprint_fusion.core.params import FilterParams
from sprint_fusion.paths import config_file
from sprint_fusion.sim import validation as val

from .conftest import SHARED

pytestmark = pytest.mark.slow  # a dozen simulated sprints through both profiles

# receiver → (RMSE m/s, worst split s, distance at the end) that fusion/speed (KF5) must meet: the
# issue's targets. (Float + outage met them only once the lagging Doppler was carried by the IMU:
# up to 28 ms and 0.57 % before — gnss.velocity_lag_from, docs/filters.md.)
TARGETS = {"rtk_fixed": (0.10, 0.015, 0.005), "float_outage": (0.14, 0.025, 0.005),
           "single_5hz": (0.30, 0.080, 0.005), "rtk_multipath": (0.10, 0.015, 0.005)}
TRACES = ("jb_morin", "Jim", "Kimberley")
# The accurate profile uses each fix 50 ms after its stamp (time.fix_delay 0.05: the live graph never
# holds an IMU sample for a fix on its way); with 0 every output has its epoch's fix, 2–5 ms better
# at the worst split (docs/filters.md)
IN_TIME = {"time.fix_delay": 0.0}


def profile(name: str, values: dict | None = None) -> FilterParams:
    return FilterParams.from_yaml(config_file("filters", f"{name}.yaml"), values)


@pytest.fixture(scope="module")
def scores():
    out = {}
    assert (SHARED / "data" / "sprint").is_dir(), "the shared test data must sit beside the repository"
    traces = val.traces(SHARED / "data" / "sprint")
    for receiver in TARGETS:
        for trace in TRACES:
            sc = val.scenario(traces[trace], receiver, seed=3)
            truth, start = sc.simulated.truth, val.start_of_motion(sc.simulated.truth)
            row = {"receiver": val.score(*val.receiver_speed(sc), truth, start)}
            for name in ("paper", "accurate", "fixes in time"):
                params = profile("accurate", IN_TIME) if name == "fixes in time" else profile(name)
                res = val.fused(sc, params, smooth=True)
                row[name] = val.score(res["t"], res["kf5_speed"], truth, start)
                row[f"{name} smoothed"] = val.score(res["t"], res["smoothed_speed"], truth, start)
            out[(receiver, trace)] = row
    return out


@pytest.mark.parametrize("receiver", sorted(TARGETS))
def test_fused_speed_meets_the_targets_and_beats_the_receiver_in_every_phase(scores, receiver):
    rmse, split, distance = TARGETS[receiver]
    for trace in TRACES:
        s = scores[(receiver, trace)]
        fused, own = s["accurate"], s["receiver"]
        assert fused.rmse <= rmse, (trace, fused.rmse)
        assert np.nanmax(np.abs(fused.splits)) <= split, (trace, fused.splits)
        assert abs(fused.distance) <= distance, (trace, fused.distance)
        assert all(f <= r for f, r in zip(fused.phases, own.phases, strict=True)), (trace, fused.phases, own.phases)
        assert fused.rmse < s["paper"].rmse  # measured against the published model


@pytest.mark.parametrize("receiver", sorted(TARGETS))
def test_with_every_fix_in_time_every_receiver_meets_the_targets_and_does_better(scores, receiver):
    """time.fix_delay 0: each output waits for its epoch's fix (the live graph's latency then
    includes the receiver's); what the profile's 50 ms cost the outputs is measured, not hidden."""
    rmse, split, distance = TARGETS[receiver]
    for trace in TRACES:
        s = scores[(receiver, trace)]
        in_time, late = s["fixes in time"], s["accurate"]
        assert in_time.rmse <= rmse and np.nanmax(np.abs(in_time.splits)) <= split, (trace, in_time)
        assert abs(in_time.distance) <= distance, (trace, in_time.distance)
        assert all(f <= r for f, r in zip(in_time.phases, s["receiver"].phases, strict=True)), trace
        assert in_time.rmse <= late.rmse


def test_smoothed_speed_with_rtk_fixed(scores):
    for trace in TRACES:
        smoothed = scores[("rtk_fixed", trace)]["accurate smoothed"]
        assert smoothed.rmse <= 0.06 and np.nanmax(np.abs(smoothed.splits)) <= 0.010, (trace, smoothed)


@pytest.mark.parametrize("receiver", ["rtk_fixed", "float_outage"])
@pytest.mark.parametrize("lag", [0.0, 0.15])
def test_a_receiver_whose_velocity_lags_otherwise_is_measured_and_still_meets_the_targets(lag, receiver):
    """The accurate profile assumes 0.08 ± 0.1 s; offline it measures the lag on the recording (the
    IMU at the sprint start; RTK-fixed positions). Assumed and not measured, a receiver lagging 0
    or 0.15 s cost up to 23 ms at the splits with RTK fixed, 64 ms with float (docs/filters.md)."""
    rmse, split, distance = TARGETS[receiver]
    traces = val.traces(SHARED / "data" / "sprint")
    for trace in TRACES:
        sc = val.scenario(traces[trace], receiver, seed=3, gnss={"velocity_latency": lag})
        truth, start = sc.simulated.truth, val.start_of_motion(sc.simulated.truth)
        res = val.fused(sc, profile("accurate"))
        fused = val.score(res["t"], res["kf5_speed"], truth, start)
        assert fused.rmse <= rmse and np.nanmax(np.abs(fused.splits)) <= split, (trace, fused)
        assert abs(fused.distance) <= distance, (trace, fused.distance)


def kf5_rmse(sc, values: dict) -> tuple[float, np.ndarray]:
    truth, start = sc.simulated.truth, val.start_of_motion(sc.simulated.truth)
    res = val.fused(sc, profile("accurate", values))
    return val.score(res["t"], res["kf5_speed"], truth, start).rmse, res["kf5_speed"]


@pytest.mark.parametrize(("offset", "share"), [(90.0, 1.0), (180.0, 0.6)])
def test_an_ahrs_yaw_off_by_anything_is_not_trusted_before_the_direction_of_motion(offset, share):
    """Until the GNSS shows the direction of motion, the device's own heading stands in for it
    (kf5.provisional_heading 'device'): right for an AHRS with a magnetometer, off by anything for a
    6-axis one. With 'none' KF5 does not depend on the AHRS's yaw, and beats 'device' on such a yaw."""
    traces = val.traces(SHARED / "data" / "sprint")
    off = val.scenario(traces["jb_morin"], "rtk_fixed", seed=4, imu={"yaw_offset": offset})
    usual = val.scenario(traces["jb_morin"], "rtk_fixed", seed=4)  # the AHRS's yaw 25° off
    none = {"kf5.provisional_heading": "none"}
    device = {"kf5.provisional_heading": "device"}
    off_none, usual_none = kf5_rmse(off, none)[0], kf5_rmse(usual, none)[0]
    assert off_none == pytest.approx(usual_none, abs=0.005)
    assert off_none < share * kf5_rmse(off, device)[0]
    assert kf5_rmse(usual, device)[0] < usual_none  # why 'device' stays where the AHRS has it right


@pytest.mark.parametrize("orientation", [True, False], ids=["IMU with orientation", "without"])
def test_auto_takes_the_device_heading_only_from_an_imu_with_an_orientation_of_its_own(orientation):
    traces = val.traces(SHARED / "data" / "sprint")
    sc = val.scenario(traces["Jim"], "rtk_fixed", seed=5, imu={"orientation": orientation})
    _, auto = kf5_rmse(sc, {"kf5.provisional_heading": "auto"})
    _, same = kf5_rmse(sc, {"kf5.provisional_heading": "device" if orientation else "none"})
    _, other = kf5_rmse(sc, {"kf5.provisional_heading": "none" if orientation else "device"})
    assert np.array_equal(auto, same, equal_nan=True)
    assert not np.array_equal(auto, other, equal_nan=True)


def test_a_receiver_that_smooths_its_velocity_is_recognised_and_still_meets_the_rtk_targets():
    """A first-order lag (0.08 s) instead of a delay: the IMU's measure says so and the velocity is
    related to the state by the expansion (carried as a delay: 0.045 against 0.033 m/s over six
    seeds, float's worst split 37 against 29 ms — docs/filters.md)."""
    rmse, split, distance = TARGETS["rtk_fixed"]
    traces = val.traces(SHARED / "data" / "sprint")
    for trace in TRACES:
        smoothing = {"velocity_latency": 0.0, "velocity_smoothing": 0.08}
        sc = val.scenario(traces[trace], "rtk_fixed", seed=3, gnss=smoothing)
        truth, start = sc.simulated.truth, val.start_of_motion(sc.simulated.truth)
        res = val.fused(sc, profile("accurate"))
        expanded = val.fused(sc, profile("accurate", {"gnss.velocity_lag_from": "state"}))
        assert np.array_equal(res["kf5_speed"], expanded["kf5_speed"], equal_nan=True)  # recognised
        fused = val.score(res["t"], res["kf5_speed"], truth, start)
        assert fused.rmse <= rmse and np.nanmax(np.abs(fused.splits)) <= split, (trace, fused)
        assert abs(fused.distance) <= distance, (trace, fused.distance)
