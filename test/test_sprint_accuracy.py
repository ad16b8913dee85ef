"""KF2 and KF5 on a noisy synthetic sprint, scored against the simulator's ground truth."""

import math

import numpy as np
import pytest

from sprint_fusion.core.fusion import run
from sprint_fusion.core.params import FilterParams
from sprint_fusion.summary import integrate

from .sprint_cases import at, ramp_sprint

# The published KF5 reached a correlation of R = 0.996 with a laser. For errors uncorrelated
# with the speed, R relates to the RMSE as RMSE = σ_v·√(1/R² − 1), i.e. 9 % of the spread of
# the speed over the trial. We require R ≥ 0.99 (RMSE ≤ 14 % of σ_v ≈ 0.31 m/s here): the
# ramp's corner at 9 m/s is sharper than any real sprint and the paper's speed filter
# (R_V = 20) overshoots it by ~0.4 m/s for half a second.
R_MIN = 0.99
# Distance and timing errors of the published system: within ±2 %.
DISTANCE_TOL = 0.02


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kf5_speed_on_a_noisy_sprint(seed):
    sim = ramp_sprint(seed)
    res = run(sim.merged(), FilterParams())
    t = res["t"]
    speed = res["kf5_speed"]
    ok = np.isfinite(speed)
    assert t[ok][0] < 2.5  # fused from 0.5 s after the start (heading trusted at ≥ 1 m/s)
    truth = at(t[ok], sim.truth.t, sim.truth.speed)
    rmse = math.sqrt(np.mean((speed[ok] - truth) ** 2))
    bound = np.std(truth) * math.sqrt(1 / R_MIN**2 - 1)
    assert rmse < bound, (rmse, bound)
    assert np.corrcoef(speed[ok], truth)[0, 1] >= R_MIN
    top = np.nanmax(speed)
    assert abs(top - 9.0) < 0.6  # the overshoot named above, no more
    steady = t[ok] > 7.0
    assert math.sqrt(np.mean((speed[ok][steady] - truth[steady]) ** 2)) < 0.15


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kf2_distance_and_speed(seed):
    sim = ramp_sprint(seed)
    res = run(sim.merged(), FilterParams())
    t = res["t"]
    true_d = at(t, sim.truth.t, sim.truth.distance)
    assert abs(res["kf2_distance"][-1] - true_d[-1]) <= DISTANCE_TOL * true_d[-1]
    kf5_d = integrate(t, res["kf5_speed"])
    assert abs(kf5_d[-1] - true_d[-1]) <= DISTANCE_TOL * true_d[-1]
    ok = np.isfinite(res["kf2_speed"])
    err = res["kf2_speed"][ok] - at(t[ok], sim.truth.t, sim.truth.speed)
    assert math.sqrt(np.mean(err**2)) < 0.1  # RTK displacement + IMU: better than KF5's speed stage
    # Time to 30 m within ±2 % (the published timing accuracy).
    t30 = np.interp(30.0, res["kf2_distance"][ok], t[ok]) - 2.0
    t30_true = np.interp(30.0, sim.truth.distance, sim.truth.t) - 2.0
    assert abs(t30 - t30_true) <= DISTANCE_TOL * t30_true


def test_kf5_yaw_and_bias_follow_the_truth():
    sim = ramp_sprint(0)
    res = run(sim.merged(), FilterParams())
    t = res["t"]
    late = t > 6.0
    true_yaw = 90.0 - 135.0
    assert np.all(np.abs(res["yaw"][late] - true_yaw) < 3.0)
    true_bias = -(25.0 + 0.5 * t[late])  # the AHRS yaw error the simulator applied
    assert np.all(np.abs(res["bias"][late] - true_bias) < 5.0)


def test_east_north_velocity_points_along_the_track():
    sim = ramp_sprint(0, heading=300.0)
    res = run(sim.merged(), FilterParams())
    late = res["t"] > 6.0
    heading = np.degrees(np.arctan2(res["kf5_v_east"][late], res["kf5_v_north"][late])) % 360.0
    assert np.all(np.abs(heading - 300.0) < 2.0)


@pytest.mark.parametrize("bag", ["sprint_40m", "track_400m"])  # RTK fixed throughout
def test_bundled_bags_meet_the_published_accuracy(bag):
    from sprint_fusion.bags.reader import read_samples, read_truth

    from .conftest import REPO
    from .sprint_cases import PUBLISHED_TOLERANCE, relative_errors

    path = REPO / "bags" / bag
    res = run([(k, s) for k, s, _ in read_samples(path)], FilterParams())
    truth = read_truth(path)
    for column in ("kf5_speed", "kf2_speed"):
        distance_error, top_error = relative_errors(res["t"], res[column], truth)
        assert abs(distance_error) <= PUBLISHED_TOLERANCE, (column, distance_error)
        assert abs(top_error) <= PUBLISHED_TOLERANCE, (column, top_error)
