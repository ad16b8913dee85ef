"""The filter kernels' motion models against the spec's matrices and against exact polynomial motion."""

import math

import numpy as np
import pytest

from sprint_fusion.core import kalman as kf
from sprint_fusion.core.kalman import TimeWentBackwardsError


def predicted(dim, noise, dt, x, P):
    f = kf.new_filter(dim, noise)
    f.x[:], f.P[:, :] = x, P
    kf.predict(f, dt)
    return f.x, f.P


def test_cj_prediction_is_the_spec_matrix_for_dt_0_1():
    # x = e_k with P = 0 and Q = 0: the prediction is column k of A (the spec's A_CJ at Δt = 0.1)
    expected = np.array([
        [1, 0.1, 0.005, 0.001 / 6],
        [0, 1, 0.1, 0.005],
        [0, 0, 1, 0.1],
        [0, 0, 0, 1],
    ])
    for k in range(4):
        x, P = predicted(4, kf.diag_noise([0, 0, 0, 0]), 0.1, np.eye(4)[k], np.zeros((4, 4)))
        assert np.allclose(x, expected[:, k], atol=1e-15) and not P.any()


def test_ca_prediction_is_cj_without_jerk():
    A = np.array([[1, 0.2, 0.02], [0, 1, 0.2], [0, 0, 1]])
    P0 = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 0.5]])
    x, P = predicted(3, kf.diag_noise([0, 0, 0]), 0.2, [1.0, 2.0, 3.0], P0)
    assert np.allclose(x, A @ [1.0, 2.0, 3.0], atol=1e-15) and np.allclose(P, A @ P0 @ A.T, atol=1e-15)


@pytest.mark.parametrize("per", ["per_step", "per_second"])
def test_gain_noise_is_g_gt_sigma(per):
    dt, sigma = 0.05, 0.5
    g = np.array([dt**2 / 2, dt, 1.0])
    _, Q = predicted(3, kf.gain_noise(sigma, per), dt, np.zeros(3), np.zeros((3, 3)))  # P = 0: P⁻ = Q
    assert np.allclose(Q, sigma * np.outer(g, g) * (dt if per == "per_second" else 1.0), atol=1e-18)
    assert np.allclose(Q, Q.T) and np.all(np.linalg.eigvalsh(Q) > -1e-15)


@pytest.mark.parametrize("dt", [0.001, 0.0125, 0.1, 0.7])
def test_cj_prediction_propagates_a_cubic_exactly(dt):
    # d(t) = d0 + v0 t + a0 t²/2 + j t³/6 is the exact solution of constant jerk (Taylor series).
    d0, v0, a0, j = 1.5, -2.0, 3.0, -4.0
    t = 0.37

    def state(t):
        return np.array([d0 + v0 * t + a0 * t**2 / 2 + j * t**3 / 6, v0 + a0 * t + j * t**2 / 2, a0 + j * t, j])

    x, _ = predicted(4, kf.diag_noise([0, 0, 0, 0]), dt, state(t), np.eye(4))
    assert np.allclose(x, state(t + dt), atol=1e-12)


def test_cj_filter_recovers_d_v_a_j_from_noise_free_cubic():
    d0, v0, a0, j = 0.0, 0.5, 6.0, -3.0

    def truth(t):
        return np.array([d0 + v0 * t + a0 * t**2 / 2 + j * t**3 / 6, v0 + a0 * t + j * t**2 / 2, a0 + j * t, j])

    f = kf.new_filter(4, kf.diag_noise([0.0001, 0.01, 0.01, 0.01]))
    rng = np.random.default_rng(3)
    t = 0.0
    kf.start(f, t, truth(t)[0])
    while t < 8.0:  # jerk is seen only through the change of a: it converges last
        t += float(rng.uniform(0.002, 0.02))  # irregular IMU steps
        x = truth(t)
        if rng.random() < 0.15:  # a GNSS epoch now and then: displacement measured
            kf.step(f, t, [x[0]], [0], [1e-6])
        kf.step(f, t, [x[2]], [2], [1e-6])
    x = truth(t)
    assert f.x[0] == pytest.approx(x[0], abs=1e-6)
    assert f.x[1] == pytest.approx(x[1], abs=1e-4)
    assert f.x[2] == pytest.approx(x[2], abs=1e-6)
    assert f.x[3] == pytest.approx(x[3], abs=1e-3)


def test_time_going_backwards_is_refused_and_leaves_the_filter_untouched():
    f = kf.new_filter(3, kf.diag_noise([1, 1, 1]))
    kf.start(f, 10.0, 1.0)
    kf.step(f, 10.5, [2.0], [0], [1.0])
    x, P = f.x.copy(), f.P.copy()
    with pytest.raises(TimeWentBackwardsError):
        kf.step(f, 10.4, [3.0], [0], [1.0])
    assert np.array_equal(f.x, x) and np.array_equal(f.P, P) and f.t[0] == 10.5


def test_zero_dt_adds_no_process_noise():
    # Two measurements at one stamp must equal one joint correction (paper Q is per step).
    f1 = kf.new_filter(4, kf.diag_noise([0.0001, 0.01, 0.01, 0.01]))
    f2 = kf.new_filter(4, kf.diag_noise([0.0001, 0.01, 0.01, 0.01]))
    for f in (f1, f2):
        kf.start(f, 0.0, 0.0)
    kf.step(f1, 0.1, [1.0], [0], [0.02])
    kf.step(f1, 0.1, [2.0], [2], [0.1])
    kf.step(f2, 0.1, [1.0, 2.0], [0, 2], [0.02, 0.1])
    assert np.allclose(f1.x, f2.x, atol=1e-12) and np.allclose(f1.P, f2.P, atol=1e-12)
    assert not math.isclose(f1.P[0, 0], 1.0)
