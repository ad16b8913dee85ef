"""A validation set of realistic sprints and the accuracy measures a coach reads: speed RMSE from
the start of motion (whole run and by phase), time-at-distance (split) errors, distance at the end.

Runs: recorded sprint velocity (the R package shorts' data: a real radar sprint, jb_morin, and its
five radar-gun athletes) with stride-frequency speed oscillation (±2 %: jb_morin's raw radar speed
scatters 0.13 m/s about a smooth curve after 3 s), vertical bounce and trunk rotation on the IMU;
receivers: RTK fixed at 10 Hz, RTK float with a 1.4 s outage at speed, single point at 5 Hz, RTK
fixed with a 0.5 s multipath jump of 1 m at speed — each with a Doppler velocity that lags its
position, as receivers' velocity solutions do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .scenario import Scenario, build

PHASES = ((0.0, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, np.inf))  # s after the start of motion
SPLITS = (5.0, 10.0, 20.0, 30.0)  # m
STANDSTILL = 2.0  # s before the start

RECEIVERS = {
    "rtk_fixed": {"rate": 10.0, "fix_type": "rtk_fixed"},
    "float_outage": {"rate": 10.0, "fix_type": "rtk_float", "outages": [[STANDSTILL + 3.0, 1.4]]},
    "single_5hz": {"rate": 5.0, "fix_type": "single", "correlation_time": 3.0},
    "rtk_multipath": {"rate": 10.0, "fix_type": "rtk_fixed", "multipath": [[STANDSTILL + 2.0, 0.5, 0.8, -0.6, 1.0]]},
}
RECEIVER_COMMON = {"latency": 0.03, "velocity_latency": 0.08, "sigma_velocity": 0.05}
RUNNING = {"step_frequency": 4.4, "speed_oscillation": 0.02, "vertical_amplitude": 0.04,
           "trunk_yaw_amplitude": 6.0, "lean_deg": 12.0}
IMU = {"rate": 200.0, "orientation": True, "yaw_offset": 25.0, "yaw_drift": 0.5}


def traces(sprint_data: Path) -> dict[str, dict]:
    """Profile specs of the recorded traces: jb_morin and the radar athletes."""
    out = {"jb_morin": {"model": "recorded", "csv": str(sprint_data / "jb_morin.csv")}}
    for athlete in ("James", "Jim", "John", "Kimberley", "Samantha"):
        out[athlete] = {"model": "recorded", "csv": str(sprint_data / "radar_gun_data.csv"), "athlete": athlete}
    return out


def scenario(profile: dict, receiver: str, seed: int = 0, duration: float = 8.0, standstill: float = STANDSTILL,
             heading_deg: float | None = None, gnss: dict | None = None, imu: dict | None = None) -> Scenario:
    """A run of the validation set; gnss and imu entries override the receiver's and the IMU's
    (a receiver lagging otherwise, an IMU without orientation)."""
    doc = {"run": {"seed": seed, "duration": duration, "standstill": standstill,
                   "heading_deg": 60.0 + 37.0 * seed if heading_deg is None else heading_deg,
                   "profile": profile, "running": RUNNING},
           "gnss": {**RECEIVER_COMMON, **RECEIVERS[receiver], **(gnss or {})},
           "imu": {**IMU, **(imu or {})}}
    return build(doc, f"validation/{receiver}")


@dataclass
class Scores:
    """One estimator's speed against the truth."""

    rmse: float  # m/s from the start of motion
    phases: list[float]  # RMSE per PHASES
    bias: list[float]  # mean error per PHASES
    splits: list[float] = field(default_factory=list)  # s, time at each SPLITS distance − the truth's
    distance: float = np.nan  # relative error of the distance at the end


def fused(sc: Scenario, params, smooth: bool = False):
    """The scenario through the filters as the offline commands run a recording: the velocity's
    lag measured first (gnss.velocity_latency_estimate: on the IMU at the sprint start and the
    RTK-fixed positions), then the samples in arrival order."""
    from ..core.fusion import run
    from ..core.samples import ImuBlock
    from ..core.velocity_lag import calibrated

    imu = ImuBlock.of(sc.simulated.imu)
    return run(sc.simulated.merged(), calibrated(params, sc.simulated.gnss, imu)[0], smooth=smooth)


def score(t: np.ndarray, speed: np.ndarray, truth, start: float) -> Scores:
    """An estimator's speed samples (t, speed; NaN where it has none) against the truth. Distance
    is the speed integrated from the start of motion, so splits measure the speed curve itself."""
    t, speed = np.asarray(t, dtype=float), np.asarray(speed, dtype=float)
    true = np.interp(t, truth.t, truth.speed)
    moving = t >= start
    err = speed - true
    def rms(mask):
        e = err[mask]
        e = np.where(np.isnan(e), true[mask], e)  # no output counts as a speed of 0 (as a coach sees it)
        return float(np.sqrt(np.mean(e * e))) if len(e) else np.nan
    phases, bias = [], []
    for a, b in PHASES:
        mask = moving & (t - start >= a) & (t - start < b)
        phases.append(rms(mask))
        e = err[mask]
        bias.append(float(np.nanmean(e)) if np.isfinite(e).any() else np.nan)
    filled = np.where(np.isfinite(speed), speed, 0.0)
    run = t >= start
    tr, vr = t[run], filled[run]
    distance = np.concatenate([[0.0], np.cumsum(0.5 * (vr[1:] + vr[:-1]) * np.diff(tr))])
    true_distance = truth.distance - np.interp(start, truth.t, truth.distance)
    splits = []
    for d in SPLITS:
        if distance[-1] < d or true_distance[-1] < d:
            splits.append(np.nan)
            continue
        splits.append(float(np.interp(d, distance, tr) - np.interp(d, true_distance, truth.t)))
    end = float(np.interp(tr[-1], truth.t, true_distance))
    return Scores(rms(moving), phases, bias, splits, (distance[-1] - end) / end if end > 0 else np.nan)


def start_of_motion(truth) -> float:
    return float(truth.t[np.argmax(truth.speed > 0.0)])


def receiver_speed(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """The receiver's own horizontal speed (its Doppler velocity) at its epochs, the last one held
    through an outage (as a display of it would)."""
    t, v, last = [], [], np.nan
    for e in scenario.simulated.epochs:
        vel = e.fix.velocity
        last = float(np.hypot(vel[0], vel[1])) if vel is not None else last
        t.append(e.fix.stamp)
        v.append(last)
    return np.array(t), np.array(v)
