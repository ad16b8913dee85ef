"""gnss.velocity_lag_from 'imu': a receiver velocity that describes the motion L seconds before its
epoch is carried to the epoch by what the IMU measured the athlete gain over L. Checked against an
analytic run with a stride's 4.4 Hz speed swing — which the expansion v − L·a + L²/2·j cannot
follow (L·ω ≈ 2.2 at L = 0.08 s) — and the carried gain against scipy's trapezoid integral."""

import math

import numpy as np
import pytest
from scipy.integrate import cumulative_trapezoid

from sprint_fusion.core import history as hist
from sprint_fusion.core.cj_fuser import CjFuser
from sprint_fusion.core.yaw_bias import provisional_variance

# a 5 Hz receiver samples a 4.4 Hz swing: aliased, it looks like a slow change of speed
LAG, IMU_RATE, GNSS_RATE = 0.08, 200.0, 5.0
ACCEL_NOISE, POS_SIGMA = 0.3, 0.25  # m/s², m
TOP, TAU, SWING, OMEGA = 9.0, 1.3, 0.17, 2 * math.pi * 4.4  # m/s, s, m/s (±2 %), rad/s


def truth(t):
    """Speed, acceleration and distance of a sprint with a stride's speed swing, in closed form."""
    e = np.exp(-t / TAU)
    v = TOP * (1 - e) + SWING * np.sin(OMEGA * t)
    a = TOP / TAU * e + SWING * OMEGA * np.cos(OMEGA * t)
    d = TOP * (t + TAU * (e - 1)) + SWING * (1 - np.cos(OMEGA * t)) / OMEGA
    return v, a, d


def rms(e: np.ndarray) -> float:
    return float(np.sqrt(np.mean(e * e)))


def carrying(**extra) -> CjFuser:
    """An axis filter of the accurate profile's kind, its velocity LAG late and carried by the IMU."""
    return CjFuser([0.0, 0.01, 1.0, 100.0], 0.5, "variance", "per_second", velocity_latency=LAG,
                   **{"velocity_lag_from": "imu", **extra})


def velocity_errors(lag_from: str, seed: int = 0, bias: bool = False, seconds: float = 6.0) -> np.ndarray:
    """The filter's velocity − the truth after the first second: 200 Hz IMU (noisy), 5 Hz float-like
    positions (σ 0.25 m) and Doppler (σ 0.05 m/s) describing the motion LAG before its epoch."""
    rng = np.random.default_rng(seed)
    extra = {"accel_bias_tau": 300.0, "accel_bias_sigma": 0.1} if bias else {}
    f = carrying(velocity_lag_from=lag_from, **extra)
    every = int(IMU_RATE / GNSS_RATE)
    errors = []
    for k in range(int(seconds * IMU_RATE)):
        t = k / IMU_RATE
        if k % every == 0:
            _, _, d = truth(t)
            v_late, _, _ = truth(max(t - LAG, 0.0))
            f.fix(t, d + rng.normal(0, POS_SIGMA), POS_SIGMA, v_late + rng.normal(0, 0.05), 0.05 ** 2)
        _, a, _ = truth(t)
        f.acceleration(t, a + rng.normal(0, ACCEL_NOISE))
        if t > 1.0:
            errors.append(f.state[1] - truth(t)[0])
    return np.array(errors)


@pytest.mark.parametrize("bias", [False, True], ids=["4 states", "acceleration bias"])
def test_a_lagging_velocity_carried_by_the_imu_follows_the_stride_swing(bias):
    carried = np.concatenate([velocity_errors("imu", seed, bias) for seed in range(3)])
    expanded = np.concatenate([velocity_errors("state", seed, bias) for seed in range(3)])
    assert rms(carried) < 0.075, rms(carried)  # the expansion: 0.09–0.11 m/s
    assert rms(carried) < 0.75 * rms(expanded), (rms(carried), rms(expanded))


def test_the_carried_gain_is_the_trapezoid_integral_of_the_accelerations_received_before():
    rng = np.random.default_rng(3)
    h = hist.new_history(4, 0.0, 0.1)
    t = np.cumsum(rng.uniform(0.002, 0.003, 800))  # 400 Hz with jitter, two seconds: more than the ring holds
    a = rng.normal(0.0, 3.0, len(t))
    for tk, ak in zip(t, a, strict=True):
        hist.received(h, tk, ak, 0.5)
    s = cumulative_trapezoid(a, t, initial=0.0)

    def held(at):  # the integral up to the last sample before `at`, its acceleration held to `at`
        k = np.searchsorted(t, at, side="left") - 1
        return s[k] + a[k] * (at - t[k])

    for at in rng.uniform(t[-1] - 0.15, t[-1] + 0.01, 50):
        assert hist.gained(h, at, LAG) == pytest.approx(held(at) - held(at - LAG), abs=1e-9)
    assert math.isnan(hist.gained(h, t[-1], 1.5))  # before the oldest kept: not known
    assert math.isnan(hist.gained(h, t[0] + 0.5, LAG))


@pytest.mark.parametrize("gap", ["unmeasured", "time back"])
def test_the_gain_is_not_carried_across_a_gap(gap):
    h = hist.new_history(4, 0.0, 0.1)
    for k in range(100):
        hist.received(h, k / 400, 1.0, 0.5)
    assert hist.gained(h, 0.25, LAG) == pytest.approx(LAG)  # 1 m/s² for LAG seconds
    if gap == "unmeasured":
        hist.received(h, 0.25, 0.0, 1e6)  # no heading yet: an acceleration of unknown variance
    else:
        hist.received(h, 0.1, 1.0, 0.5)
    hist.received(h, 0.26, 1.0, 0.5)
    assert math.isnan(hist.gained(h, 0.27, LAG))


def test_a_provisional_acceleration_is_weighed_by_r_imu_and_carries_nothing():
    """As the axis node receives it: fusion/accel_enu with a provisional acceleration's variance
    (its direction a guess) — the filter weighs it as a measured one, and no lagging velocity is
    carried across it."""
    provisional, measured = carrying(), carrying()
    for f in (provisional, measured):
        f.fix(0.0, 0.0, 0.1, 0.0, 0.01)
    for k in range(1, 60):
        east, north = 2.0, 1.0
        provisional.acceleration(k / 200, east, provisional_variance(0.5, east, north))
        measured.acceleration(k / 200, east)
    assert np.array_equal(provisional.state, measured.state)
    assert np.array_equal(provisional.covariance, measured.covariance)
    assert math.isnan(hist.gained(provisional.history, 0.3, LAG))
    assert hist.gained(measured.history, 0.3, LAG) == pytest.approx(2.0 * LAG)
