"""The simulator's truth is self-consistent and its sensors carry the configured errors."""

import math

import numpy as np
import pytest
from transforms3d.euler import euler2mat, quat2euler

from sprint_fusion.core.samples import FixType
from sprint_fusion.sim.paths import Straight, Track
from sprint_fusion.sim.profiles import ConstantAccelerationRamp, MonoExponential, RecordedTrace
from sprint_fusion.sim.sensors import GRAVITY, GnssModel, ImuModel, simulate
from sprint_fusion.sim.truth import Running, sprint_truth, straight_sprint

RUNNING = Running(step_frequency=4.5, speed_oscillation=0.05, vertical_amplitude=0.03, trunk_yaw_amplitude=4.0)
QUIET_IMU = dict(accel_noise_density=0.0, gyro_noise_density_dps=0.0, accel_bias=(0, 0, 0), gyro_bias_dps=(0, 0, 0),
                 accel_bias_walk=0.0, gyro_bias_walk_dps=0.0, accel_scale=(0, 0, 0), gyro_scale=(0, 0, 0),
                 misalignment_deg=(0, 0, 0), tilt_noise=0.0)


def cumtrapz(y, t):
    dt = np.diff(t)[:, None] if y.ndim > 1 else np.diff(t)
    return np.concatenate([np.zeros((1, *y.shape[1:])), np.cumsum(0.5 * (y[1:] + y[:-1]) * dt, axis=0)])


@pytest.mark.parametrize("path", [Straight(), Track(start_at=50.0)])
@pytest.mark.parametrize("profile", [MonoExponential(9.0, 1.1), ConstantAccelerationRamp(3.0, 9.0)])
def test_truth_integrates_consistently(profile, path):
    tr = sprint_truth(profile, 30.0, 1000.0, path, heading_deg=60.0, standstill=1.0, running=RUNNING)
    v_int = tr.velocity[0] + cumtrapz(tr.acceleration, tr.t)
    assert np.max(np.abs(v_int - tr.velocity)) < 0.01
    p_int = tr.position[0] + cumtrapz(tr.velocity, tr.t)
    assert np.max(np.abs(p_int - tr.position)) < 0.01
    assert np.max(np.abs(cumtrapz(tr.speed, tr.t) - tr.distance)) < 0.01  # distance = ∫ horizontal speed
    yaw_int = tr.euler[0, 2] + cumtrapz(euler2mat_z_rate(tr), tr.t)
    assert np.max(np.abs(yaw_int - tr.euler[:, 2])) < 1e-3
    still = tr.t < 1.0
    assert np.all(tr.velocity[still] == 0.0) and np.all(tr.acceleration[still] == 0.0)


def euler2mat_z_rate(tr):
    """Yaw rate back from the body rates (inverse of the ZYX rate relation, roll = 0)."""
    pitch = tr.euler[:, 1]
    return tr.body_rate[:, 2] / np.cos(pitch)


def test_running_oscillations_have_the_configured_size_and_frequency():
    tr = sprint_truth(MonoExponential(9.0, 1.1), 12.0, 500.0, Straight(), standstill=1.0, running=RUNNING)
    late = tr.t > 8.0  # speed ~9 m/s, envelope fully grown
    v = tr.speed[late]
    smooth = MonoExponential(9.0, 1.1)(tr.t[late] - 1.0)[1]
    assert np.max(np.abs(v / smooth - 1.0)) == pytest.approx(0.05, abs=0.002)
    assert np.max(np.abs(tr.position[late, 2])) == pytest.approx(0.03, abs=0.001)
    spectrum = np.abs(np.fft.rfft(tr.position[late, 2]))
    freqs = np.fft.rfftfreq(late.sum(), 1 / 500.0)
    assert freqs[np.argmax(spectrum)] == pytest.approx(4.5, abs=0.3)
    trunk = np.degrees(tr.euler[late, 2] - tr.euler[late, 2].mean())
    assert np.max(np.abs(trunk)) == pytest.approx(4.0, abs=0.1)


def test_track_lap_geometry():
    track = Track()
    assert track.lap == pytest.approx(400.0, abs=0.01)  # lane 1 of a standard track
    tr = sprint_truth(MonoExponential(8.0, 1.0), 60.0, 200.0, track, heading_deg=90.0, standstill=0.0)
    lap = np.argmin(np.abs(tr.distance - 400.0))
    assert np.linalg.norm(tr.position[lap, :2] - tr.position[0, :2]) < 0.05  # back at the start line
    # In the first bend: centred on (L/2, 0) of the home-straight-east frame, radius 36.8 m,
    # and the horizontal acceleration has its centripetal part v²/r.
    bend = (tr.distance > 5.0) & (tr.distance < 100.0)
    centre = np.array([84.39 / 2, 0.0])
    radius = np.linalg.norm(tr.position[bend, :2] - centre, axis=1)
    assert np.allclose(radius, 36.8, atol=1e-6)
    v = tr.velocity[bend, :2]
    a = tr.acceleration[bend, :2]
    lateral = (v[:, 0] * a[:, 1] - v[:, 1] * a[:, 0]) / np.linalg.norm(v, axis=1)
    assert np.allclose(lateral, tr.speed[bend] ** 2 / 36.8, rtol=1e-6)


def test_recorded_trace_follows_the_radar_data(shared_data):
    import csv

    with open(shared_data / "sprint" / "jb_morin.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    t = np.array([float(r["time"]) for r in rows])
    v = np.array([float(r["velocity"]) for r in rows])
    trace = RecordedTrace(t, v)
    s, vs, _ = trace(t - t[0])
    moving = t - t[0] > 0.2
    assert math.sqrt(np.mean((vs[moving] - v[moving]) ** 2)) < 0.15  # a smoothed radar trace
    assert s[-1] == pytest.approx(np.trapezoid(v, t), rel=0.01)


def test_imu_noise_and_bias_have_the_configured_statistics():
    tr = sprint_truth(MonoExponential(9.0, 1.1), 120.0, 200.0, Straight(), 10.0, running=RUNNING)
    imu = ImuModel(**{**QUIET_IMU, "accel_noise_density": 0.007, "gyro_noise_density_dps": 0.05,
                      "accel_bias": (0.2, -0.1, 0.05), "gyro_bias_dps": (0.5, 0.0, -2.5)})
    sim = simulate(tr, GnssModel(), imu, seed=4)
    assert len(sim.imu) == 24000 and np.allclose(np.diff([s.stamp for s in sim.imu]), 0.005)
    res = np.array([s.accel - euler2mat(*tr.euler[i], "sxyz").T @ (tr.acceleration[i] + [0, 0, GRAVITY])
                    for i, s in enumerate(sim.imu)])
    assert np.allclose(res.mean(axis=0), imu.accel_bias, atol=0.003)
    assert np.allclose(res.std(axis=0), 0.007 * math.sqrt(200.0), rtol=0.03)
    gres = np.array([s.gyro for s in sim.imu]) - tr.body_rate
    assert np.allclose(np.degrees(gres.mean(axis=0)), imu.gyro_bias_dps, atol=0.01)
    assert np.allclose(np.degrees(gres.std(axis=0)), 0.05 * math.sqrt(200.0), rtol=0.03)


@pytest.mark.slow
def test_imu_bias_random_walk_grows_as_configured():
    tr = straight_sprint(MonoExponential(9.0, 1.1), 400.0, 100.0, standstill=400.0)  # standing still
    walk = 0.02  # m/s²/√s
    imu = ImuModel(**{**QUIET_IMU, "rate": 100.0, "accel_bias_walk": walk})
    sim = simulate(tr, GnssModel(), imu, seed=9)
    drift = np.array([s.accel for s in sim.imu]) - [0, 0, GRAVITY]
    lag = 1000  # 10 s
    inc = drift[lag:] - drift[:-lag]
    assert np.allclose(inc.std(axis=0), walk * math.sqrt(10.0), rtol=0.2)


def test_scale_misalignment_and_ahrs_drift():
    tr = straight_sprint(MonoExponential(9.0, 1.1), 10.0, 100.0, heading_deg=30.0, standstill=10.0)
    imu = ImuModel(**{**QUIET_IMU, "rate": 100.0, "accel_scale": (0.0, 0.0, 0.01), "misalignment_deg": (5.0, 0.0, 0.0),
                      "yaw_offset": 25.0, "yaw_drift": 0.5})
    sim = simulate(tr, GnssModel(), imu, seed=1)
    f = sim.imu[0].accel
    # sensor rolled 5° on a level body: gravity shows on its y axis; the z scale error stays on z
    assert f == pytest.approx([0.0, GRAVITY * math.sin(math.radians(5)), 1.01 * GRAVITY * math.cos(math.radians(5))])
    for s in sim.imu[::100]:
        yaw = math.degrees(quat2euler(s.orientation, "sxyz")[2])
        assert (yaw - (90.0 - 30.0)) == pytest.approx(25.0 + 0.5 * s.stamp, abs=1e-6)


@pytest.mark.slow
def test_gnss_errors_schedule_outages_multipath_latency():
    tr = sprint_truth(MonoExponential(9.0, 1.1), 600.0, 100.0, Straight(), standstill=590.0)
    model = GnssModel(rate=10.0, correlation_time=0.0, latency=0.05, schedule=[[100.0, 300.0, "rtk_float"]],
                      outages=[[400.0, 2.0]], multipath=[[500.0, 1.0, 0.5, -0.3, 0.0]], sigma_velocity=0.05)
    sim = simulate(tr, model, ImuModel(rate=100.0), seed=2)
    import pymap3d

    stamps = np.array([e.fix.stamp for e in sim.epochs])
    assert np.allclose(np.diff(stamps), 0.1)
    assert all(e.receive_time - e.fix.stamp == pytest.approx(0.05) for e in sim.epochs)
    kinds = np.array([e.fix.fix_type for e in sim.epochs])
    assert np.all(kinds[(stamps >= 400.0) & (stamps < 402.0)] == FixType.NO_FIX)
    assert np.sum(kinds == FixType.NO_FIX) == 20  # 2 s at 10 Hz, no more
    assert np.all(kinds[(stamps >= 100.0) & (stamps < 300.0)] == FixType.RTK_FLOAT)
    enu = np.array([pymap3d.geodetic2enu(e.fix.latitude, e.fix.longitude, e.fix.altitude, *model.origin)
                    for e in sim.epochs])
    idx = np.arange(0, len(tr.t), 10)
    err = enu - tr.position[idx]
    for kind, sl in [(FixType.RTK_FIXED, stamps < 100.0), (FixType.RTK_FLOAT, (stamps >= 100) & (stamps < 300))]:
        reported = np.sqrt(np.diag(sim.epochs[np.argmax(sl)].fix.position_covariance))
        assert np.allclose(err[sl].std(axis=0), reported, rtol=0.1), kind  # errors match hAcc/√2, vAcc
    jump = (stamps >= 500.0) & (stamps < 501.0)
    assert np.allclose(err[jump].mean(axis=0)[:2], [0.5, -0.3], atol=0.01)
    for e in sim.epochs:  # standing still: the heading of motion is noise and says so
        if e.fix.fix_type != FixType.NO_FIX and math.hypot(*e.fix.velocity[:2]) < 4 * 0.05:
            assert e.fix.heading_accuracy == 180.0


def test_heading_is_meaningful_only_when_moving():
    tr = straight_sprint(MonoExponential(9.0, 1.1), 8.0, 100.0, heading_deg=250.0, standstill=2.0)
    sim = simulate(tr, GnssModel(), ImuModel(rate=100.0), seed=5)
    for fix in sim.gnss:
        speed = math.hypot(*fix.velocity[:2])
        if speed > 3.0:
            assert abs((fix.heading - 250.0 + 180) % 360 - 180) < 3 * fix.heading_accuracy
            assert fix.heading_accuracy < 2.0
        if speed < 0.1:
            assert fix.heading_accuracy == 180.0


def test_same_seed_same_data_other_seed_other_data():
    tr = straight_sprint(MonoExponential(9.0, 1.1), 5.0, 100.0)
    a = simulate(tr, GnssModel(), ImuModel(rate=100.0), seed=3)
    b = simulate(tr, GnssModel(), ImuModel(rate=100.0), seed=3)
    c = simulate(tr, GnssModel(), ImuModel(rate=100.0), seed=4)
    assert all(np.array_equal(x.accel, y.accel) for x, y in zip(a.imu, b.imu, strict=True))
    assert [f.latitude for f in a.gnss] == [f.latitude for f in b.gnss]
    assert [f.latitude for f in a.gnss] != [f.latitude for f in c.gnss]


def test_scenario_with_a_recorded_trace_on_the_track(shared_data):
    from sprint_fusion.sim.scenario import build

    doc = {
        "run": {"duration": 8.0, "standstill": 1.0, "heading_deg": 0.0,
                "profile": {"model": "recorded", "csv": str(shared_data / "sprint" / "radar_gun_data.csv"),
                            "athlete": "Jim"},
                "path": {"type": "track", "start_at": 200.0}},
        "gnss": {"rate": 20.0, "origin": [52.0, 13.0, 40.0]},
        "imu": {"rate": 400.0},
    }
    sc = build(doc)
    tr = sc.simulated.truth
    assert len(sc.simulated.imu) == 3200 and len(sc.simulated.gnss) == 160
    from sprint_fusion.summary import top_speed

    # Jim's MSS in the shorts data set is 7.998 m/s; running adds ±5 % within each stride
    assert top_speed(tr.t, tr.speed)[0] == pytest.approx(8.0, abs=0.1)
    assert tr.speed.max() == pytest.approx(8.0 * 1.05, abs=0.1)
    fix = sc.simulated.gnss[0]
    assert (fix.latitude, fix.longitude) == pytest.approx((52.0, 13.0), abs=0.01)
