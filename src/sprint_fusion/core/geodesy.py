"""Geodetic → local east/north/up around a datum (the start line or the first fix)."""

from __future__ import annotations

import numpy as np
import pymap3d

from .samples import GnssFix


class LocalFrame:
    def __init__(self, mode: str = "first_fix", latitude: float = 0.0, longitude: float = 0.0,
                 altitude: float = 0.0):
        self.mode = mode
        self.fixed = (latitude, longitude, altitude)
        self.reset()

    @classmethod
    def from_params(cls, params) -> LocalFrame:
        return cls(params["datum.mode"], params["datum.latitude"], params["datum.longitude"],
                   params["datum.altitude"])

    def reset(self) -> None:
        self.datum: tuple[float, float, float] | None = self.fixed if self.mode == "fixed" else None

    def to_enu(self, fix: GnssFix) -> np.ndarray:
        if self.datum is None:
            self.datum = (fix.latitude, fix.longitude, fix.altitude)
        e, n, u = pymap3d.geodetic2enu(fix.latitude, fix.longitude, fix.altitude, *self.datum)
        return np.array([e, n, u], dtype=float)
