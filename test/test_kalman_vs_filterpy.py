"""Every filter step equals filterpy's textbook KalmanFilter on the same matrices, to 1e-9."""

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter as ReferenceKF

from sprint_fusion.core import kalman as kf

from .spec_models import ca_transition, cj_transition, diag_q, gain_q

PAPER_CJ_Q = [0.0001, 0.01, 0.01, 0.01]


def reference(dim: int) -> ReferenceKF:
    kf = ReferenceKF(dim_x=dim, dim_z=1)
    kf.x = np.zeros((dim, 1))
    kf.P = np.eye(dim)
    return kf


def run_both(dim, transition, noise, spec_q, measured_rows, r_diag, seed, steps=400):
    """Random irregular Δt, random subsets of the measured rows (including none)."""
    rng = np.random.default_rng(seed)
    ours = kf.new_filter(dim, noise)
    kf.start(ours, 0.0, 0.0)
    ref = reference(dim)
    t = 0.0
    max_dx = max_dP = 0.0
    for _ in range(steps):
        dt = float(rng.choice([rng.uniform(0.001, 0.02), rng.uniform(0.05, 0.3), 0.0]))
        t += dt
        rows = [r for r in measured_rows if rng.random() < 0.6]
        z = rng.normal(0.0, 5.0, len(rows))
        r = [r_diag[measured_rows.index(i)] for i in rows]
        kf.step(ours, t, z, rows, r)
        if dt > 0.0:  # no step in time: no prediction (and no process noise) on either side
            ref.F, ref.Q = transition(dt), spec_q(dt)
            ref.predict()
        if rows:
            H = np.zeros((len(rows), dim))
            H[np.arange(len(rows)), rows] = 1.0
            ref.dim_z = len(rows)
            ref.update(z.reshape(-1, 1), R=np.diag(r), H=H)
        max_dx = max(max_dx, np.max(np.abs(ours.x - ref.x.ravel())))
        max_dP = max(max_dP, np.max(np.abs(ours.P - ref.P)))
    return max_dx, max_dP


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("per", ["per_step", "per_second"])
def test_cj_filter_matches_filterpy(seed, per):
    # KF2 / axis filter: d measured (σ_GPS in R), a measured (IMU R), both, one or neither.
    dx, dP = run_both(4, cj_transition, kf.diag_noise(PAPER_CJ_Q, per), diag_q(PAPER_CJ_Q, per), [0, 2], [0.02, 0.1],
                      seed)
    assert dx < 1e-9 and dP < 1e-9


@pytest.mark.parametrize("seed", range(5))
def test_ca_yaw_filter_matches_filterpy(seed):
    q = [0.005, 0.005, 0.05]
    dx, dP = run_both(3, ca_transition, kf.diag_noise(q), diag_q(q), [0, 1], [15.0, 5.0], seed)
    assert dx < 1e-9 and dP < 1e-9


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("sigma_q", [0.5, 0.05])  # bias filter, horizontal speed filter
@pytest.mark.parametrize("per", ["per_step", "per_second"])
def test_ca_gain_noise_filters_match_filterpy(seed, sigma_q, per):
    dx, dP = run_both(3, ca_transition, kf.gain_noise(sigma_q, per), gain_q(sigma_q, per), [0], [30.0], seed)
    assert dx < 1e-9 and dP < 1e-9


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("form", ["update_row", "update_sum5"])
def test_cj_filter_with_a_gauss_markov_acceleration_bias_matches_filterpy(seed, form):
    """The axis filters' fifth state (axis.accel_bias_tau): A = diag(A_cj, e^(−Δt/τ)), its noise
    q₄·(1 − e^(−2Δt/τ)); the IMU measures a + b (H = 0 0 1 0 1: the general row, or the sum of
    two states the axis filters' IMU step uses), GNSS the position (H = 1 0 0 0 0)."""
    tau, q_bias = 30.0, 0.01
    q = [0.0, 0.01, 1.0, 100.0]
    ours = kf.new_filter(5, kf.diag_noise([*q, q_bias], "per_second", tau))
    kf.start(ours, 0.0, 0.0)
    ref = ReferenceKF(dim_x=5, dim_z=1)
    ref.x, ref.P = np.zeros((5, 1)), np.diag([1.0, 1.0, 1.0, 1.0, q_bias])
    rng = np.random.default_rng(seed)
    row = np.array([0.0, 0.0, 1.0, 0.0, 1.0])
    t = 0.0
    for _ in range(300):
        dt = float(rng.choice([0.005, rng.uniform(0.05, 0.2)]))
        t += dt
        kf.predict_to(ours, t)
        phi = np.exp(-dt / tau)
        ref.F = np.block([[cj_transition(dt), np.zeros((4, 1))], [np.zeros((1, 4)), np.array([[phi]])]])
        ref.Q = np.diag([*np.diag(diag_q(q, "per_second")(dt)), q_bias * (1 - phi * phi)])
        ref.predict()
        a = rng.normal(0.3, 1.0)
        if form == "update_row":
            kf.update_row(ours, a, row, 0.5)
        else:
            kf.update_sum5(ours, a, 2, 4, 0.5)
        ref.update(np.array([[a]]), R=np.array([[0.5]]), H=row.reshape(1, 5))
        if rng.random() < 0.3:
            d = rng.normal(0.0, 2.0)
            kf.update(ours, d, 0, 0.02)
            ref.update(np.array([[d]]), R=np.array([[0.02]]), H=np.eye(5)[:1])
        assert np.max(np.abs(ours.x - ref.x.ravel())) < 1e-9 and np.max(np.abs(ours.P - ref.P)) < 1e-9
