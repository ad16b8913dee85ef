"""The athlete's true motion on a fine time grid: position, velocity, acceleration, attitude."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from transforms3d.euler import euler2quat


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

    def quaternions(self) -> np.ndarray:
        return np.array([euler2quat(r, p, y, "sxyz") for r, p, y in self.euler])


def body_rates(roll, pitch, droll, dpitch, dyaw) -> np.ndarray:
    """ZYX Euler-angle rates → angular rate in the body frame."""
    sr, cr, sp, cp = np.sin(roll), np.cos(roll), np.sin(pitch), np.cos(pitch)
    return np.column_stack([droll - dyaw * sp, dpitch * cr + dyaw * sr * cp, -dpitch * sr + dyaw * cr * cp])


def straight_sprint(profile, duration: float, rate: float, heading_deg: float = 0.0, standstill: float = 2.0,
                    lean_deg: float = 0.0) -> Truth:
    """A straight sprint along a compass heading, after `standstill` seconds at the start line.

    The IMU body x axis points along the run (yaw = ENU direction of the track) and is
    pitched forward by a constant trunk lean.
    """
    t = np.arange(0.0, duration, 1.0 / rate)
    s, v, a = profile(t - standstill)
    yaw = math.radians(90.0 - heading_deg)
    u = np.array([math.cos(yaw), math.sin(yaw), 0.0])
    n = len(t)
    euler = np.column_stack([np.zeros(n), np.full(n, math.radians(lean_deg)), np.full(n, yaw)])
    zeros = np.zeros(n)
    return Truth(t, np.outer(s, u), np.outer(v, u), np.outer(a, u), euler,
                 body_rates(euler[:, 0], euler[:, 1], zeros, zeros, zeros), s)
