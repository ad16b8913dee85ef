"""Plain samples in, plain estimates out: the core never sees a ROS message.

Frames follow REP-103/105/145: IMU specific force [m/s²] and angular rate [rad/s] in the
sensor's body frame (x forward, y left, z up), gravity included; orientations are quaternions
(w, x, y, z) of body in a local east-north-up frame; local positions are ENU metres.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

# Plausibility limits: beyond them a sample is a fault, not a measurement.
MAX_ACCEL = 32 * 9.80665  # m/s², the widest range MEMS IMUs offer (±32 g)
MAX_RATE = 70.0  # rad/s, about 4000 °/s
MAX_SPEED = 100.0  # m/s
# Variance of a quantity that is not measured at all: large enough that every consumer ignores it.
UNKNOWN_VARIANCE = 1e6


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
    velocity_differenced: bool = False  # the velocity comes from successive positions, not the receiver

    def is_valid(self) -> bool:
        """Finite and possible: on the globe, near the ground, a covariance with no negative
        variance, a speed a runner (or a robot) can have."""
        # in plain Python: a check per fix of a few numbers, where numpy's calls cost 20 µs
        vals = [float(self.latitude), float(self.longitude), float(self.altitude), float(self.stamp)]
        cov = np.asarray(self.position_covariance, dtype=float).reshape(3, 3).ravel().tolist()
        ok = (all(map(math.isfinite, vals)) and all(map(math.isfinite, cov)) and cov[0] >= 0 and cov[4] >= 0
              and cov[8] >= 0 and abs(vals[0]) <= 90 and abs(vals[1]) <= 180 and -1000 <= vals[2] <= 10000)
        if self.velocity is not None:
            v = np.asarray(self.velocity, dtype=float).ravel().tolist()
            ok = ok and all(map(math.isfinite, v)) and math.hypot(*v) <= MAX_SPEED
        return ok

    @property
    def sigma_enu(self) -> tuple[float, float, float]:
        """Per-axis position standard deviation (east, north, up) in metres (a negative variance as
        0). Floats, not an array: KF5 reads them at every fix, where numpy's calls cost 4 µs."""
        e, n, u = np.asarray(self.position_covariance, dtype=float).diagonal().tolist()
        return math.sqrt(max(e, 0.0)), math.sqrt(max(n, 0.0)), math.sqrt(max(u, 0.0))

    @property
    def sigma_horizontal(self) -> float:
        """Horizontal accuracy as a receiver reports it (hAcc): √(σ_E² + σ_N²)."""
        c = self.position_covariance
        return float(np.sqrt(max(c[0, 0] + c[1, 1], 0.0)))


@dataclass(frozen=True)
class ImuBlock:
    """IMU samples as columns, in arrival order: what an offline reader hands the chain in one
    go. orientation rows of samples without one (has_orientation False) are zeros."""

    stamps: np.ndarray  # (n,)
    accel: np.ndarray  # (n, 3)
    gyro: np.ndarray  # (n, 3)
    orientation: np.ndarray  # (n, 4)
    has_orientation: np.ndarray  # (n,) bool

    def __len__(self) -> int:
        return len(self.stamps)

    @classmethod
    def of(cls, samples: list[ImuSample]) -> ImuBlock:
        has = np.array([s.orientation is not None for s in samples], dtype=bool)
        return cls(np.array([s.stamp for s in samples], dtype=float).reshape(-1),
                   np.array([s.accel for s in samples], dtype=float).reshape(-1, 3),
                   np.array([s.gyro for s in samples], dtype=float).reshape(-1, 3),
                   np.array([s.orientation if s.orientation is not None else np.zeros(4) for s in samples],
                            dtype=float).reshape(-1, 4), has)

    @classmethod
    def concat(cls, blocks: list[ImuBlock]) -> ImuBlock:
        return cls(*(np.concatenate([getattr(b, f) for b in blocks]) for f in
                     ("stamps", "accel", "gyro", "orientation", "has_orientation")))

    def take(self, index) -> ImuBlock:
        return ImuBlock(self.stamps[index], self.accel[index], self.gyro[index], self.orientation[index],
                        self.has_orientation[index])

    def samples(self) -> list[ImuSample]:
        return [ImuSample(float(t), a, g, q if has else None) for t, a, g, q, has in
                zip(self.stamps, self.accel, self.gyro, self.orientation, self.has_orientation, strict=True)]

    def valid(self) -> np.ndarray:
        """ImuSample.is_valid of every sample, at once."""
        ok = ((np.abs(self.accel) <= MAX_ACCEL).all(axis=1) & (np.abs(self.gyro) <= MAX_RATE).all(axis=1)
              & np.isfinite(self.stamps))
        norm = np.linalg.norm(self.orientation, axis=1)
        return ok & (~self.has_orientation | (np.isfinite(norm) & (np.abs(norm - 1.0) < 0.1)))
