"""The athlete's true motion on a fine time grid: position, velocity, acceleration, attitude.

Distance along the path comes from a speed profile plus the stride-frequency oscillation of
forward speed; the path turns distance into ENU position and heading; vertical bounce and
upper-body yaw rotation ride on top. Velocity and acceleration are the analytic derivatives
(the oscillation's distance is integrated numerically on an oversampled grid), so the truth
is self-consistent to well below sensor noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .paths import Straight


@dataclass(frozen=True)
class Running:
    """What running adds to the centre-of-mass motion of a sprint (0 amplitudes: a smooth glide)."""

    step_frequency: float = 4.5  # steps per second (a stride is two steps)
    speed_oscillation: float = 0.05  # forward speed swings ± this fraction of the speed each step
    vertical_amplitude: float = 0.03  # m, vertical bounce of the trunk each step
    trunk_yaw_amplitude: float = 4.0  # deg, upper-body rotation at stride frequency
    ramp_time: float = 0.7  # s, the running motion grows in as (1 − e^(−t/ramp_time))²
    lean_deg: float = 10.0  # forward trunk lean of the IMU body (positive pitch, REP-103)


@dataclass
class Truth:
    t: np.ndarray  # s
    position: np.ndarray  # N×3 ENU, m
    velocity: np.ndarray  # N×3 ENU, m/s
    acceleration: np.ndarray  # N×3 ENU, m/s²
    euler: np.ndarray  # N×3 roll, pitch, yaw (ENU, rad) of the IMU body
    body_rate: np.ndarray  # N×3 angular rate in the body frame, rad/s
    distance: np.ndarray  # N, distance run along the path, m

    @property
    def speed(self) -> np.ndarray:
        return np.hypot(self.velocity[:, 0], self.velocity[:, 1])

    def sample(self, every: int) -> Truth:
        sl = slice(None, None, every)
        return Truth(self.t[sl], self.position[sl], self.velocity[sl], self.acceleration[sl], self.euler[sl],
                     self.body_rate[sl], self.distance[sl])


def body_rates(roll, pitch, droll, dpitch, dyaw) -> np.ndarray:
    """ZYX Euler-angle rates → angular rate in the body frame."""
    sr, cr, sp, cp = np.sin(roll), np.cos(roll), np.sin(pitch), np.cos(pitch)
    return np.column_stack([droll - dyaw * sp, dpitch * cr + dyaw * sr * cp, -dpitch * sr + dyaw * cr * cp])


def _envelope(tr: np.ndarray, T: float):
    """w = (1 − e^(−t/T))² for t > 0 and its first two derivatives (all zero at the start)."""
    e = np.exp(-np.clip(tr, 0.0, None) / T)
    on = tr > 0.0
    w = np.where(on, (1 - e) ** 2, 0.0)
    dw = np.where(on, 2 * (1 - e) * e / T, 0.0)
    ddw = np.where(on, 2 * (e * e - (1 - e) * e) / (T * T), 0.0)
    return w, dw, ddw


def sprint_truth(profile, duration: float, rate: float, path=None, heading_deg: float = 0.0,
                 standstill: float = 2.0, running: Running | None = None, oversample: int = 4) -> Truth:
    """Truth at `rate` Hz: `standstill` s at the start, then the profile along the path.

    `heading_deg` is the compass direction of the path's x axis (the run's direction on a
    straight, the home straight's on the track).
    """
    path = path or Straight()
    run = running or Running(speed_oscillation=0.0, vertical_amplitude=0.0, trunk_yaw_amplitude=0.0)
    fine = np.arange(0.0, duration, 1.0 / (rate * oversample))
    tr = fine - standstill
    s0, v0, a0 = profile(tr)
    omega = 2 * math.pi * run.step_frequency
    phase = omega * np.clip(tr, 0.0, None)
    A = run.speed_oscillation
    ds = v0 * (1 + A * np.sin(phase))
    dds = a0 * (1 + A * np.sin(phase)) + v0 * A * omega * np.cos(phase) * (tr > 0)
    # distance: the profile's exact s plus the oscillation integrated (trapezoid, oversampled)
    osc = v0 * A * np.sin(phase)
    s = s0 + np.concatenate([[0.0], np.cumsum(0.5 * (osc[1:] + osc[:-1]) * np.diff(fine))])

    x, y, theta, kappa = path(s)
    psi0 = math.radians(90.0 - heading_deg)
    c, sn = math.cos(psi0), math.sin(psi0)
    course = theta + psi0
    tangent = np.column_stack([np.cos(course), np.sin(course)])
    normal = np.column_stack([-np.sin(course), np.cos(course)])

    w, dw, ddw = _envelope(tr, run.ramp_time)
    Az = run.vertical_amplitude
    z = Az * w * np.cos(phase)
    dz = Az * (dw * np.cos(phase) - w * omega * np.sin(phase))
    ddz = Az * (ddw * np.cos(phase) - 2 * dw * omega * np.sin(phase) - w * omega**2 * np.cos(phase))

    position = np.column_stack([c * x - sn * y, sn * x + c * y, z])
    velocity = np.column_stack([tangent * ds[:, None], dz])
    accel_h = tangent * dds[:, None] + normal * (ds * ds * kappa)[:, None]
    acceleration = np.column_stack([accel_h, ddz])

    Ay = math.radians(run.trunk_yaw_amplitude)
    yaw_trunk = Ay * w * np.sin(phase / 2)
    dyaw_trunk = Ay * (dw * np.sin(phase / 2) + w * (omega / 2) * np.cos(phase / 2))
    n = len(fine)
    roll = np.zeros(n)
    pitch = np.full(n, math.radians(run.lean_deg))
    yaw = course + yaw_trunk
    euler = np.column_stack([roll, pitch, yaw])
    rates = body_rates(roll, pitch, np.zeros(n), np.zeros(n), ds * kappa + dyaw_trunk)

    truth = Truth(fine, position, velocity, acceleration, euler, rates, s)
    return truth.sample(oversample)


def straight_sprint(profile, duration: float, rate: float, heading_deg: float = 0.0, standstill: float = 2.0,
                    lean_deg: float = 0.0) -> Truth:
    """A smooth straight sprint (no running oscillations), the body leaned forward by lean_deg."""
    running = Running(speed_oscillation=0.0, vertical_amplitude=0.0, trunk_yaw_amplitude=0.0, lean_deg=lean_deg)
    return sprint_truth(profile, duration, rate, Straight(), heading_deg, standstill, running, oversample=1)
