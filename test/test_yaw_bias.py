"""Yaw across the ±180° and 0/360° seams, heading at standstill, and the bias filter."""

import itertools
import math

import numpy as np
import pytest
from transforms3d.euler import euler2quat

from sprint_fusion.core.angles import heading_to_yaw, quat_yaw_deg, wrap_deg
from sprint_fusion.core.columns import Col
from sprint_fusion.core.params import FilterParams
from sprint_fusion.core.samples import FixType, GnssFix, ImuSample
from sprint_fusion.core.yaw_bias import YawBiasEstimator, trusted_heading

G = 9.80665


def fix(t, heading_compass, speed, heading_acc=2.0):
    h = math.radians(heading_compass)
    vel = np.array([speed * math.sin(h), speed * math.cos(h), 0.0])
    return GnssFix(t, 48.0, 11.0, 500.0, np.eye(3) * 1e-4, FixType.RTK_FIXED, vel, np.eye(3) * 0.0025,
                   heading_compass % 360.0, heading_acc)


def imu(t, yaw_true_deg, rate_deg, drift_deg, gyro_bias_deg=0.0):
    q = euler2quat(0.0, 0.0, math.radians(yaw_true_deg + drift_deg), "sxyz")
    gyro = np.array([0.0, 0.0, math.radians(rate_deg + gyro_bias_deg)])
    return ImuSample(t, np.array([0.0, 0.0, G]), gyro, np.array(q))


# Start headings put a GNSS epoch 1° past each seam; a gyro bias makes the filter lag the truth
# by ~1.7° while turning, so at that epoch the state and the fix lie on opposite sides.
@pytest.mark.parametrize("start_compass", [199.0, 19.0])  # crosses ENU ±180 and compass 0/360
def test_yaw_is_continuous_across_the_seams(start_compass):
    est = YawBiasEstimator(FilterParams())
    rng = np.random.default_rng(1)
    rate = 20.0  # deg/s counter-clockwise: ENU yaw grows, compass heading falls
    yaw0 = heading_to_yaw(start_compass)
    out = []
    for k in range(2000):  # 20 s at 100 Hz: 400° of turning
        t = k * 0.01
        yaw_true = yaw0 + rate * t
        if k % 10 == 0:
            est.on_gnss(fix(t, 90.0 - yaw_true + rng.normal(0.0, 0.3), 6.0))
        al = est.on_imu(imu(t, yaw_true, rate, drift_deg=40.0 + 0.3 * t, gyro_bias_deg=-1.0))
        if al is not None:
            out.append((t, al[Col.yaw], yaw_true))
    t, yaw, truth = np.array(out).T
    err = np.array([wrap_deg(a - b) for a, b in zip(yaw, truth, strict=True)])
    steps = np.array([wrap_deg(b - a) for a, b in itertools.pairwise(yaw)])
    assert np.all(np.abs(err) < 3.0), np.abs(err).max()
    assert np.all(np.abs(steps) < 1.0)  # 0.2° per sample expected: no jump anywhere
    assert np.all((yaw > -180.0) & (yaw <= 180.0))
    crossings = np.sum(np.abs(np.diff(yaw)) > 300.0)
    assert crossings >= 1  # the wrapped output did pass the seam


def test_heading_at_standstill_is_not_trusted():
    p = FilterParams()
    assert trusted_heading(fix(0.0, 123.0, 0.3), 1.0, 30.0) is None
    assert trusted_heading(fix(0.0, 123.0, 5.0, heading_acc=90.0), 1.0, 30.0) is None
    assert trusted_heading(fix(0.0, 123.0, 5.0), 1.0, 30.0) == pytest.approx(123.0)

    est = YawBiasEstimator(p)
    rng = np.random.default_rng(0)
    for k in range(300):  # 3 s standing: headings of motion are noise
        t = k * 0.01
        if k % 10 == 0:
            assert not est.on_gnss(fix(t, rng.uniform(0, 360), 0.2))
        assert est.on_imu(imu(t, 30.0, 0.0, 0.0)) is None  # no yaw yet: nothing aligned

    def running(with_standstill_noise):
        est = YawBiasEstimator(p)
        for k in range(300):
            t = k * 0.01
            if k % 10 == 0:
                moving = k < 150
                heading = 60.0 if moving else rng.uniform(0, 360)
                if moving or with_standstill_noise:
                    est.on_gnss(fix(t, heading, 5.0 if moving else 0.1))
            est.on_imu(imu(t, 30.0, 0.0, 10.0))
        return est.yaw.x.copy()

    assert np.array_equal(running(True), running(False))


def test_bias_filter_learns_the_device_yaw_drift():
    est = YawBiasEstimator(FilterParams())
    yaw_true = 45.0
    for k in range(6000):  # 60 s straight run at 100 Hz, device yaw off by 20° + 0.2°/s
        t = k * 0.01
        if k % 10 == 0:
            est.on_gnss(fix(t, 90.0 - yaw_true, 7.0))
        al = est.on_imu(imu(t, yaw_true, 0.0, 20.0 + 0.2 * t))
    # bias = true yaw − device yaw = −(20 + 0.2 t); the CA bias filter follows a ramp.
    assert al[Col.bias] == pytest.approx(-(20.0 + 0.2 * t), abs=1.0)
    assert quat_yaw_deg(al[Col.aligned_qw:Col.aligned_qw + 4]) == pytest.approx(yaw_true, abs=1.0)
    assert np.allclose(al[Col.accel_east:Col.accel_east + 3], 0.0, atol=1e-9)  # level, at rest: gravity removed
