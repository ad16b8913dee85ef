"""Attitude estimate against a known tilt; ENU against the WGS-84 curvature radii."""

import math

import numpy as np
import pytest
from transforms3d.euler import euler2quat, quat2euler
from transforms3d.quaternions import quat2mat

from sprint_fusion.core.attitude import attitude_step, new_attitude, sample_arrays
from sprint_fusion.core.geodesy import LocalFrame
from sprint_fusion.core.samples import GnssFix, ImuSample

G = 9.80665


def update(att, s: ImuSample):
    """The attitude after one sample (a copy), or None when none is available."""
    return att.q.copy() if attitude_step(att, s.stamp, *sample_arrays(s)) else None


def static_imu(t, roll, pitch, gyro):
    R = quat2mat(euler2quat(roll, pitch, 0.3, "sxyz"))
    return ImuSample(t, R.T @ np.array([0.0, 0.0, G]), np.asarray(gyro, dtype=float))


def test_level_from_first_sample_is_exact():
    att = new_attitude("estimate")
    q = update(att, static_imu(0.0, math.radians(10), math.radians(-20), [0, 0, 0]))
    roll, pitch, _ = quat2euler(q, "sxyz")
    assert math.degrees(roll) == pytest.approx(10.0, abs=1e-9)
    assert math.degrees(pitch) == pytest.approx(-20.0, abs=1e-9)


def test_accelerometer_holds_tilt_against_gyro_bias():
    bias = 0.01  # rad/s on x: 34° of roll error per minute if only integrated
    for gain, bound in [(1.0, math.degrees(bias / 1.0) * 1.5), (0.0, 30.0)]:
        att = new_attitude("estimate", gain=gain)
        for k in range(6000):
            q = update(att, static_imu(k * 0.01, math.radians(10), math.radians(-20), [bias, 0, 0]))
        roll = quat2euler(q, "sxyz")[0]
        err = abs(math.degrees(roll) - 10.0)
        if gain > 0:
            assert err < bound  # steady state ≈ bias / gain
        else:
            assert err > bound  # without the correction it drifts: the correction is what works


def test_gyro_yaw_is_integrated_and_strong_acceleration_is_not_trusted():
    att = new_attitude("estimate", gain=1.0, accel_gate=0.2)
    update(att, ImuSample(0.0, np.array([0.0, 0.0, G]), np.zeros(3)))
    for k in range(1, 101):  # 1 s at 90°/s about z while accelerating forward at 8 m/s²
        q = update(att, ImuSample(k * 0.01, np.array([8.0, 0.0, G]), np.array([0.0, 0.0, math.radians(90)])))
    roll, pitch, yaw = (math.degrees(a) for a in quat2euler(q, "sxyz"))
    assert yaw == pytest.approx(90.0, abs=1e-6)
    assert abs(roll) < 1e-6 and abs(pitch) < 1e-6  # 8 m/s² forward did not tip the estimate


def test_device_orientation_is_used_when_reported():
    q_dev = np.array(euler2quat(0.1, 0.2, 1.0, "sxyz"))
    att = new_attitude("auto")
    q = update(att, ImuSample(0.0, np.array([0.0, 0.0, G]), np.zeros(3), q_dev * 2.0))
    assert np.allclose(q, q_dev)
    assert update(new_attitude("device"), ImuSample(0.0, np.array([0, 0, G]), np.zeros(3))) is None


A, E2 = 6378137.0, 6.69437999014e-3  # WGS-84


def fix(lat, lon, alt=520.0):
    return GnssFix(0.0, lat, lon, alt, np.eye(3))


def test_enu_matches_wgs84_curvature_radii():
    lat0, lon0 = 48.137, 11.575
    s = math.sin(math.radians(lat0))
    h = 520.0  # radii grow with the ellipsoidal height
    meridian = A * (1 - E2) / (1 - E2 * s * s) ** 1.5 + h
    normal = A / math.sqrt(1 - E2 * s * s) + h
    frame = LocalFrame("fixed", lat0, lon0, h)
    d = 1e-4  # ≈ 11 m: curvature terms stay below 0.1 mm
    assert frame.to_enu(fix(lat0 + d, lon0))[1] == pytest.approx(meridian * math.radians(d), abs=1e-4)
    east = frame.to_enu(fix(lat0, lon0 + d))[0]
    assert east == pytest.approx(normal * math.cos(math.radians(lat0)) * math.radians(d), abs=1e-4)
    assert frame.to_enu(fix(lat0, lon0, 530.0)) == pytest.approx([0, 0, 10.0], abs=1e-6)


def test_first_fix_datum():
    frame = LocalFrame("first_fix")
    assert frame.to_enu(fix(10.0, 20.0)) == pytest.approx([0, 0, 0], abs=1e-9)
    assert frame.to_enu(fix(10.0, 20.0, 525.0))[2] == pytest.approx(5.0, abs=1e-6)
    frame.reset()
    assert frame.to_enu(fix(11.0, 21.0)) == pytest.approx([0, 0, 0], abs=1e-9)


def test_enu_is_pymap3ds_about_each_datum():
    """The frame keeps its datum's ECEF position and axes: every fix still converts as
    pymap3d.geodetic2enu does (the peer library), kilometres away and after a new datum."""
    import pymap3d

    rng = np.random.default_rng(3)
    frame = LocalFrame("first_fix")
    for datum in ((48.137, 11.575, 520.0), (-33.9, 151.2, 40.0)):
        frame.reset()
        frame.to_enu(fix(*datum))
        for _ in range(200):
            lat, lon, alt = datum[0] + rng.normal() * 0.05, datum[1] + rng.normal() * 0.05, datum[2] + rng.normal() * 50
            want = pymap3d.geodetic2enu(lat, lon, alt, *datum)
            assert frame.to_enu(fix(lat, lon, alt)) == pytest.approx(want, abs=1e-6)


def test_quaternion_parts_are_transforms3ds():
    """The per-sample path's quaternion products and matrices (tuples, so it allocates nothing)
    against transforms3d on random rotations."""
    from transforms3d.quaternions import axangle2quat, qmult

    from sprint_fusion.core import quaternion
    from sprint_fusion.core.angles import yaw_rotated

    rng = np.random.default_rng(7)
    for _ in range(50):
        a, b = (q / np.linalg.norm(q) for q in rng.normal(size=(2, 4)))
        np.testing.assert_allclose(quaternion.matrix_of(*a), quat2mat(a).ravel(), atol=1e-12)
        np.testing.assert_allclose(quaternion.to_matrix(a), quat2mat(a), atol=1e-12)
        np.testing.assert_allclose(quaternion.product(*a, *b), qmult(a, b), atol=1e-12)
        axis, angle = rng.normal(size=3), float(rng.uniform(-3, 3))
        np.testing.assert_allclose(quaternion.axis_angle(*axis, angle), axangle2quat(axis, angle), atol=1e-12)
        roll, pitch, yaw = rng.uniform(-1, 1, size=3)
        np.testing.assert_allclose(quaternion.roll_pitch(roll, pitch), euler2quat(roll, pitch, 0.0, "sxyz"), atol=1e-12)
        np.testing.assert_allclose(quaternion.vertical(yaw), euler2quat(0.0, 0.0, yaw, "sxyz"), atol=1e-12)
        np.testing.assert_allclose(yaw_rotated(a, math.degrees(yaw)), qmult(euler2quat(0.0, 0.0, yaw, "sxyz"), a),
                                   atol=1e-12)
