"""Velocity from successive fixes, for sources that give none (a bag with /fix alone, NMEA
without RMC): the displacement between two fixes over their time difference, with the
covariance that implies, and the heading of motion from it (reported as unusable, 180°,
below four standard deviations of speed). The velocity belongs to the interval's midpoint, so
it lags by half a fix period: a documented degradation, not a receiver's Doppler velocity.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pymap3d

from .samples import GnssFix


class PositionDifferencer:
    def __init__(self, max_gap: float = 2.0):
        self.max_gap = max_gap
        self.prev: GnssFix | None = None

    def reset(self) -> None:
        self.prev = None

    def fill(self, fix: GnssFix) -> GnssFix:
        prev, self.prev = self.prev, fix
        if fix.velocity is not None or prev is None:
            return fix
        dt = fix.stamp - prev.stamp
        if not 0.0 < dt <= self.max_gap:
            return fix
        d = np.array(pymap3d.geodetic2enu(fix.latitude, fix.longitude, fix.altitude, prev.latitude, prev.longitude,
                                          prev.altitude))
        v = d / dt
        vcov = (fix.position_covariance + prev.position_covariance) / (dt * dt)
        speed = math.hypot(v[0], v[1])
        sigma = math.sqrt(max(vcov[0, 0] + vcov[1, 1], 0.0) / 2.0)
        heading = math.degrees(math.atan2(v[0], v[1])) % 360.0
        accuracy = min(180.0, math.degrees(sigma / speed)) if speed > 4.0 * sigma else 180.0
        return dataclasses.replace(fix, velocity=v, velocity_covariance=vcov, heading=heading,
                                   heading_accuracy=accuracy, velocity_differenced=True)
