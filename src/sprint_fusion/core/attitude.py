"""Orientation of the IMU: the device's own output, or a complementary-filter estimate.

The published bias filter needs an IMU orientation whose yaw drifts; roll and pitch are
needed to remove gravity. A device without orientation output gets a Mahony-style estimate:
gyro integration, with roll/pitch pulled toward the accelerometer's gravity direction only
while the specific-force magnitude is close to g (sprinting accelerations would tilt it).
Its yaw is gyro-only and drifts — exactly what the bias filter is there to remove.
"""

from __future__ import annotations

import math

import numpy as np

from . import quaternion
from .samples import ImuSample


class AttitudeSource:
    def __init__(self, source: str = "auto", gain: float = 1.0, accel_gate: float = 0.2,
                 gravity: float = 9.80665):
        self.source, self.gain, self.accel_gate, self.gravity = source, gain, accel_gate, gravity
        self.reset()

    @classmethod
    def from_params(cls, params) -> AttitudeSource:
        return cls(params["attitude.source"], params["attitude.gain"], params["attitude.accel_gate"],
                   params["gravity"])

    def reset(self) -> None:
        self.q: np.ndarray | None = None
        self.t: float | None = None

    def update(self, s: ImuSample) -> np.ndarray | None:
        """Body→ENU quaternion (w, x, y, z) at this sample, or None if none is available."""
        use_device = self.source == "device" or (self.source == "auto" and s.orientation is not None)
        if use_device:
            if s.orientation is None:
                return None
            q = np.asarray(s.orientation, dtype=float)
            self.q, self.t = q / np.linalg.norm(q), s.stamp
            return self.q
        if self.q is None:
            self.q, self.t = self._level(s.accel), s.stamp
            return self.q
        dt = s.stamp - self.t
        self.t = s.stamp
        omega = np.asarray(s.gyro, dtype=float)
        f = np.asarray(s.accel, dtype=float)
        fn = np.linalg.norm(f)
        if fn > 0.0 and abs(fn - self.gravity) < self.accel_gate:
            up_pred = quaternion.to_matrix(self.q)[2]  # ENU up seen in the body frame
            omega = omega + self.gain * np.cross(f / fn, up_pred)
        angle = np.linalg.norm(omega) * dt
        if angle > 0.0:
            self.q = quaternion.multiply(self.q, quaternion.from_axis_angle(omega, angle))
            self.q /= np.linalg.norm(self.q)
        return self.q

    @staticmethod
    def _level(f: np.ndarray) -> np.ndarray:
        """Roll and pitch from the gravity direction, yaw zero (arbitrary until aligned)."""
        roll = math.atan2(f[1], f[2])
        pitch = math.atan2(-f[0], math.hypot(f[1], f[2]))
        return quaternion.from_roll_pitch(roll, pitch)
