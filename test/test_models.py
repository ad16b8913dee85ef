"""The motion models against the spec's matrices and against exact polynomial motion."""

import math

import numpy as np
import pytest

from sprint_fusion.core.kalman import TimedFilter, TimeWentBackwardsError
from sprint_fusion.core.motion import ca_transition, cj_transition, diag_noise, gain_noise


def test_cj_matrix_is_the_spec_for_dt_0_1():
    expected = np.array([
        [1, 0.1, 0.005, 0.001 / 6],
        [0, 1, 0.1, 0.005],
        [0, 0, 1, 0.1],
        [0, 0, 0, 1],
    ])
    assert np.allclose(cj_transition(0.1), expected, atol=1e-15)


def test_ca_matrix_is_cj_without_jerk():
    assert np.allclose(ca_transition(0.2), [[1, 0.2, 0.02], [0, 1, 0.2], [0, 0, 1]], atol=1e-15)


def test_gain_noise_is_g_gt_sigma():
    dt, sigma = 0.05, 0.5
    g = np.array([dt**2 / 2, dt, 1.0])
    Q = gain_noise(dt, sigma)
    assert np.allclose(Q, sigma * np.outer(g, g))
    assert np.allclose(Q, Q.T) and np.all(np.linalg.eigvalsh(Q) > -1e-15)


@pytest.mark.parametrize("dt", [0.001, 0.0125, 0.1, 0.7])
def test_cj_transition_propagates_a_cubic_exactly(dt):
    # d(t) = d0 + v0 t + a0 t²/2 + j t³/6 is the exact solution of constant jerk (Taylor series).
    d0, v0, a0, j = 1.5, -2.0, 3.0, -4.0
    t = 0.37

    def state(t):
        return np.array([d0 + v0 * t + a0 * t**2 / 2 + j * t**3 / 6, v0 + a0 * t + j * t**2 / 2, a0 + j * t, j])

    assert np.allclose(cj_transition(dt) @ state(t), state(t + dt), atol=1e-12)


def test_cj_filter_recovers_d_v_a_j_from_noise_free_cubic():
    d0, v0, a0, j = 0.0, 0.5, 6.0, -3.0

    def truth(t):
        return np.array([d0 + v0 * t + a0 * t**2 / 2 + j * t**3 / 6, v0 + a0 * t + j * t**2 / 2, a0 + j * t, j])

    f = TimedFilter(4, diag_noise([0.0001, 0.01, 0.01, 0.01], "per_step"))
    rng = np.random.default_rng(3)
    t = 0.0
    f.start(t, [truth(t)[0]])
    while t < 8.0:  # jerk is seen only through the change of a: it converges last
        t += float(rng.uniform(0.002, 0.02))  # irregular IMU steps
        x = truth(t)
        if rng.random() < 0.15:  # a GNSS epoch now and then: displacement measured
            f.step(t, [x[0]], [0], [1e-6])
        f.step(t, [x[2]], [2], [1e-6])
    x = truth(t)
    assert f.x[0] == pytest.approx(x[0], abs=1e-6)
    assert f.x[1] == pytest.approx(x[1], abs=1e-4)
    assert f.x[2] == pytest.approx(x[2], abs=1e-6)
    assert f.x[3] == pytest.approx(x[3], abs=1e-3)


def test_time_going_backwards_is_refused_and_leaves_the_filter_untouched():
    f = TimedFilter(3, diag_noise([1, 1, 1], "per_step"))
    f.start(10.0, [1.0])
    f.step(10.5, [2.0], [0], [1.0])
    x, P = f.x.copy(), f.P.copy()
    with pytest.raises(TimeWentBackwardsError):
        f.step(10.4, [3.0], [0], [1.0])
    assert np.array_equal(f.x, x) and np.array_equal(f.P, P) and f.t == 10.5


def test_zero_dt_adds_no_process_noise():
    # Two measurements at one stamp must equal one joint correction (paper Q is per step).
    f1 = TimedFilter(4, diag_noise([0.0001, 0.01, 0.01, 0.01], "per_step"))
    f2 = TimedFilter(4, diag_noise([0.0001, 0.01, 0.01, 0.01], "per_step"))
    for f in (f1, f2):
        f.start(0.0, [0.0])
    f1.step(0.1, [1.0], [0], [0.02])
    f1.step(0.1, [2.0], [2], [0.1])
    f2.step(0.1, [1.0, 2.0], [0, 2], [0.02, 0.1])
    assert np.allclose(f1.x, f2.x, atol=1e-12) and np.allclose(f1.P, f2.P, atol=1e-12)
    assert not math.isclose(f1.P[0, 0], 1.0)
