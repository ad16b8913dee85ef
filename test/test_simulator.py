"""The simulator's truth is self-consistent and its sensors carry the configured errors."""

import math

import numpy as np
import pytest
from transforms3d.euler import euler2quat
from transforms3d.quaternions import quat2mat

from sprint_fusion.sim.profiles import ConstantAccelerationRamp, MonoExponential
from sprint_fusion.sim.sensors import GRAVITY, GnssModel, ImuModel, simulate
from sprint_fusion.sim.truth import straight_sprint


@pytest.mark.parametrize("profile", [MonoExponential(9.0, 1.1), ConstantAccelerationRamp(3.0, 9.0)])
def test_truth_integrates_consistently(profile):
    tr = straight_sprint(profile, 10.0, 1000.0, heading_deg=60.0, standstill=1.0)
    dt = tr.t[1] - tr.t[0]
    v_int = np.cumsum((tr.acceleration[1:] + tr.acceleration[:-1]) / 2 * dt, axis=0)
    assert np.allclose(v_int, tr.velocity[1:] - tr.velocity[0], atol=0.01)
    p_int = np.cumsum((tr.velocity[1:] + tr.velocity[:-1]) / 2 * dt, axis=0)
    assert np.allclose(p_int, tr.position[1:] - tr.position[0], atol=0.01)
    assert np.all(tr.velocity[tr.t < 1.0] == 0.0) and np.all(tr.acceleration[tr.t < 1.0] == 0.0)
    compass = math.degrees(math.atan2(tr.velocity[-1, 0], tr.velocity[-1, 1]))
    assert compass == pytest.approx(60.0)


def test_mono_exponential_is_the_published_model():
    tr = straight_sprint(MonoExponential(8.0, 0.9), 6.0, 100.0, standstill=0.0)
    t = tr.t
    assert np.allclose(tr.speed, 8.0 * (1 - np.exp(-t / 0.9)))
    assert np.allclose(tr.distance, 8.0 * (t + 0.9 * np.exp(-t / 0.9)) - 8.0 * 0.9)


def test_imu_and_gnss_errors_have_the_configured_statistics():
    tr = straight_sprint(MonoExponential(9.0, 1.1), 120.0, 200.0, heading_deg=10.0, lean_deg=15.0)
    imu = ImuModel(accel_noise=0.1, gyro_noise=0.01, accel_bias=(0.2, -0.1, 0.05), gyro_bias=(0.01, 0.0, -0.02))
    sim = simulate(tr, GnssModel(rate=10.0, correlation_time=0.0), imu, seed=4)
    assert len(sim.imu) == 24000 and len(sim.gnss) == 1200
    # Specific-force residuals after removing the true a + g in the body frame (REP-145).
    res = []
    for s, i in zip(sim.imu, range(0, len(tr.t)), strict=True):
        R = quat2mat(euler2quat(*tr.euler[i], "sxyz"))
        res.append(s.accel - R.T @ (tr.acceleration[i] + [0, 0, GRAVITY]))
    res = np.array(res)
    assert np.allclose(res.mean(axis=0), imu.accel_bias, atol=0.005)
    assert np.allclose(res.std(axis=0), 0.1, rtol=0.05)
    gyro = np.array([s.gyro for s in sim.imu])
    assert np.allclose(gyro.mean(axis=0), imu.gyro_bias, atol=0.001)
    # GNSS RTK-fixed errors vs. the reported covariance.
    import pymap3d

    enu = np.array([pymap3d.geodetic2enu(f.latitude, f.longitude, f.altitude, 48.137, 11.575, 520.0)
                    for f in sim.gnss])
    idx = np.arange(0, len(tr.t), 20)
    err = enu - tr.position[idx]
    reported = np.sqrt(np.diag(sim.gnss[0].position_covariance))
    assert np.allclose(err.std(axis=0), reported, rtol=0.1)
    stamps = np.array([f.stamp for f in sim.gnss])
    assert np.allclose(np.diff(stamps), 0.1)


def test_same_seed_same_data():
    tr = straight_sprint(MonoExponential(9.0, 1.1), 5.0, 100.0)
    a = simulate(tr, GnssModel(), ImuModel(rate=100.0), seed=3)
    b = simulate(tr, GnssModel(), ImuModel(rate=100.0), seed=3)
    assert all(np.array_equal(x.accel, y.accel) for x, y in zip(a.imu, b.imu, strict=True))
    assert [f.latitude for f in a.gnss] == [f.latitude for f in b.gnss]
