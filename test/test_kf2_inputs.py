"""KF2's inputs: the levelled forward acceleration, and σ_GPS entering R as the spec writes it."""

import numpy as np
import pytest
from filterpy.kalman import KalmanFilter as ReferenceKF

from sprint_fusion.core.attitude import attitude_step, new_attitude, sample_arrays
from sprint_fusion.core.cj_fuser import CjFuser
from sprint_fusion.core.kf2 import forward_acceleration

from .spec_models import cj_transition
from .sprint_cases import ramp_sprint


@pytest.mark.parametrize("source", ["device", "estimate"])
def test_forward_acceleration_is_the_true_one_despite_trunk_lean(source):
    sim = ramp_sprint(0)  # trunk leaned 10° forward: unlevelled, body x would read g·sin 10° ≈ 1.7 m/s²
    att = new_attitude(source)
    got = np.array([forward_acceleration(att.q, s.accel) for s in sim.imu
                    if attitude_step(att, s.stamp, *sample_arrays(s))])
    assert len(got) == len(sim.imu)
    u = sim.truth.velocity[-1] / np.linalg.norm(sim.truth.velocity[-1])
    truth = sim.truth.acceleration[:: len(sim.truth.t) // len(sim.imu)] @ u
    err = got - truth
    # IMU noise 0.05, accel bias ≤ 0.05, AHRS tilt noise 0.5° (g·sin 0.5° ≈ 0.09): well under 0.2.
    assert np.sqrt(np.mean(err**2)) < 0.2
    assert abs(np.mean(err)) < 0.1


@pytest.mark.parametrize(("r_from", "to_r"), [("std", lambda s: s), ("variance", lambda s: s * s)])
def test_gnss_sigma_enters_r_as_configured(r_from, to_r):
    q = [0.0001, 0.01, 0.01, 0.01]
    ours = CjFuser(q, r_imu=0.1, r_from=r_from)
    ref = ReferenceKF(dim_x=4, dim_z=1)
    ref.x, ref.P, ref.H = np.zeros((4, 1)), np.eye(4), np.array([[1.0, 0, 0, 0]])
    for k, (d, sigma) in enumerate([(0.0, 0.3), (0.45, 0.3), (1.2, 0.05), (2.0, 0.8)]):
        t = 0.1 * k
        ours.position(t, d, sigma)
        if k:
            ref.F, ref.Q = cj_transition(0.1), np.diag(q)
            ref.predict()
        ref.update(np.array([[d]]), R=np.array([[to_r(sigma)]]))
        assert np.allclose(ours.state, ref.x.ravel(), atol=1e-12)
        assert np.allclose(ours.covariance, ref.P, atol=1e-12)
