"""Shared synthetic sprints for the tests (simulated with known truth)."""

import math

import numpy as np

from sprint_fusion.sim.profiles import ConstantAccelerationRamp
from sprint_fusion.sim.sensors import GnssModel, ImuModel, simulate
from sprint_fusion.sim.truth import straight_sprint


def ramp_sprint(seed=0, imu_rate=200.0, heading=135.0):
    """The issue's case: constant acceleration to 9 m/s, 10 Hz RTK, noisy biased IMU with a drifting AHRS."""
    truth = straight_sprint(ConstantAccelerationRamp(3.0, 9.0), duration=10.0, rate=imu_rate,
                            heading_deg=heading, standstill=2.0, lean_deg=10.0)
    # Noise 0.05 m/s² and 0.3 °/s per sample at 200 Hz, gyro z bias 1.5 °/s, plus the model's
    # default bias walks, scale-factor errors and a mounting misalignment under 1°.
    imu = ImuModel(rate=imu_rate, accel_noise_density=0.05 / math.sqrt(200.0),
                   gyro_noise_density_dps=0.3 / math.sqrt(200.0), accel_bias=(0.05, -0.03, 0.04),
                   gyro_bias_dps=(0.1, -0.05, 1.5), yaw_offset=25.0, yaw_drift=0.5)
    return simulate(truth, GnssModel(rate=10.0, latency=0.0), imu, seed)  # fixes arrive at their epoch


def at(t, truth_t, values):
    return np.interp(t, truth_t, values)


# The published system's accuracy: distance and timing within ±2 % (Mertens et al. 2018).
PUBLISHED_TOLERANCE = 0.02


def relative_errors(t, speed, truth):
    """(distance error, top-speed error) of a fused speed series against a bag's truth, both
    relative; distance is ∫ speed over the series' own span, top speed the best 0.5 s mean."""
    from sprint_fusion.summary import integrate, top_speed

    ok = np.isfinite(speed)
    t, speed = t[ok], speed[ok]
    true_distance = np.interp(t[-1], truth.t, truth.distance) - np.interp(t[0], truth.t, truth.distance)
    span = (truth.t >= t[0]) & (truth.t <= t[-1])
    true_top = top_speed(truth.t[span], truth.speed[span])[0]
    return (integrate(t, speed)[-1] - true_distance) / true_distance, (top_speed(t, speed)[0] - true_top) / true_top


RUNNING = {"step_frequency": 4.5, "speed_oscillation": 0.05, "vertical_amplitude": 0.03,
           "trunk_yaw_amplitude": 4.0, "lean_deg": 8.0}


def session_onsets(reps, standstill=3.0):
    from sprint_fusion.sim.profiles import SprintSession

    return [standstill + t for t in SprintSession(reps).starts]


def session_scenario(reps, outages=(), fix_type="rtk_fixed", duration=None, seed=4, imu_rate=100.0, standstill=3.0):
    """A simulated session of repeated sprints (see sim.profiles.SprintSession); returns the
    Scenario and the true onset of each repetition on the scenario's clock."""
    from sprint_fusion.sim.profiles import SprintSession
    from sprint_fusion.sim.scenario import build

    session = SprintSession(reps)
    onsets = [standstill + t for t in session.starts]
    last = session.reps[-1]
    end = onsets[-1] + last.run_time + session.stop(last)[0] + last.rest  # the last rest ends the recording
    doc = {"run": {"seed": seed, "duration": duration or end, "standstill": standstill, "heading_deg": 25.0,
                   "profile": {"model": "session", "repetitions": list(reps)}, "running": RUNNING},
           "gnss": {"rate": 10.0, "fix_type": fix_type, "outages": [list(o) for o in outages]},
           "imu": {"rate": imu_rate, "orientation": True}}
    return build(doc), onsets


def truth_split_times(truth, onset, distances):
    """Times from the true onset at which the truth's distance (from the onset) reaches each mark."""
    from sprint_fusion.scoring import crossing_times

    d0 = np.interp(onset, truth.t, truth.distance)
    return crossing_times(truth.t, truth.distance - d0, np.asarray(distances, dtype=float)) - onset
