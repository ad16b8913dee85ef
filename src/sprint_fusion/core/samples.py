"""Plain samples in, plain estimates out: the core never sees a ROS message.

Frames follow REP-103/105/145: IMU specific force [m/s²] and angular rate [rad/s] in the
sensor's body frame (x forward, y left, z up), gravity included; orientations are quaternions
(w, x, y, z) of body in a local east-north-up frame; local positions are ENU metres.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np

# Plausibility limits: beyond them a sample is a fault, not a measurement.
MAX_ACCEL = 32 * 9.80665  # m/s², the widest range MEMS IMUs offer (±32 g)
MAX_RATE = 70.0  # rad/s, about 4000 °/s
MAX_SPEED = 100.0  # m/s


class FixType(enum.IntEnum):
    """GNSS solution quality, ordered from worst to best (RTK fixed vs float kept apart)."""

    NO_FIX = 0
    DEAD_RECKONING = 1
    SINGLE = 2
    DGNSS = 3
    RTK_FLOAT = 4
    RTK_FIXED = 5


@dataclass(frozen=True)
class ImuSample:
    stamp: float
    accel: np.ndarray  # specific force, body frame, m/s²
    gyro: np.ndarray  # angular rate, body frame, rad/s
    orientation: np.ndarray | None = None  # the device's own (w, x, y, z), yaw may drift

    def is_valid(self) -> bool:
        """Finite and physically possible: a value no MEMS IMU on a runner reports is a fault."""
        # a NaN fails every comparison, so these bounds also refuse non-finite values
        ok = bool(np.abs(self.accel).max() <= MAX_ACCEL and np.abs(self.gyro).max() <= MAX_RATE
                  and math.isfinite(self.stamp))
        if self.orientation is not None:
            norm = float(np.linalg.norm(self.orientation))
            ok = ok and math.isfinite(norm) and abs(norm - 1.0) < 0.1
        return ok


@dataclass(frozen=True)
class GnssFix:
    stamp: float
    latitude: float  # degrees
    longitude: float  # degrees
    altitude: float  # metres above the ellipsoid
    position_covariance: np.ndarray  # 3×3 ENU, m²
    fix_type: FixType = FixType.RTK_FIXED
    velocity: np.ndarray | None = None  # ENU, m/s
    velocity_covariance: np.ndarray | None = None  # 3×3 ENU, (m/s)²
    heading: float | None = None  # heading of motion, degrees clockwise from north
    heading_accuracy: float | None = None  # degrees (1σ)

    def is_valid(self) -> bool:
        """Finite and possible: on the globe, near the ground, a covariance with no negative
        variance, a speed a runner (or a robot) can have."""
        vals = [self.latitude, self.longitude, self.altitude, self.stamp]
        cov = np.asarray(self.position_covariance, dtype=float)
        ok = bool(np.all(np.isfinite(vals)) and np.all(np.isfinite(cov)) and np.all(np.diag(cov) >= 0)
                  and abs(self.latitude) <= 90 and abs(self.longitude) <= 180 and -1000 <= self.altitude <= 10000)
        if self.velocity is not None:
            v = np.asarray(self.velocity, dtype=float)
            ok = ok and bool(np.all(np.isfinite(v)) and np.linalg.norm(v) <= MAX_SPEED)
        return ok

    @property
    def sigma_enu(self) -> np.ndarray:
        """Per-axis position standard deviation (east, north, up) in metres."""
        return np.sqrt(np.clip(np.diag(self.position_covariance), 0.0, None))

    @property
    def sigma_horizontal(self) -> float:
        """Horizontal accuracy as a receiver reports it (hAcc): √(σ_E² + σ_N²)."""
        c = self.position_covariance
        return float(np.sqrt(max(c[0, 0] + c[1, 1], 0.0)))


@dataclass(frozen=True)
class AlignedImu:
    """IMU acceleration rotated into local ENU with gravity removed (the alignment stage)."""

    stamp: float
    accel_enu: np.ndarray
    yaw: float  # filtered yaw, degrees, ENU (0 = east, counter-clockwise)
    yaw_variance: float
    bias: float  # filtered yaw bias of the device orientation, degrees
    bias_variance: float
    orientation: np.ndarray  # aligned (w, x, y, z)


@dataclass(frozen=True)
class SpeedEstimate:
    stamp: float
    speed: float  # m/s
    variance: float
    state: np.ndarray = field(repr=False)  # (v, v̇, v̈)
