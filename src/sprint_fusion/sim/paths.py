"""Path geometry: where distance s along the run puts the athlete, facing which way.

Each path maps s to a local track-frame position (x, y), the direction of motion θ
(counter-clockwise from the x axis) and the curvature κ = dθ/ds. The scenario places the
path in ENU with the compass heading of its x axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# A standard 400 m track (World Athletics): two 84.39 m straights, lane 1 run 0.30 m outside
# a 36.50 m kerb radius, so 2·84.39 + 2π·36.80 = 400.0 m.
STRAIGHT = 84.39
LANE1_RADIUS = 36.80


@dataclass(frozen=True)
class Straight:
    def __call__(self, s: np.ndarray):
        s = np.asarray(s, dtype=float)
        zero = np.zeros_like(s)
        return s, zero, zero, zero


@dataclass(frozen=True)
class Track:
    """A lap of the oval, counter-clockwise. s = 0 is the finish line (start of the first bend,
    where a 400 m starts); the home straight runs along +x and ends at the finish line."""

    lane_radius: float = LANE1_RADIUS
    straight: float = STRAIGHT
    start_at: float = 0.0  # where on the lap the run starts, m after the finish line

    @property
    def lap(self) -> float:
        return 2.0 * self.straight + 2.0 * math.pi * self.lane_radius

    def __call__(self, s: np.ndarray):
        r, L = self.lane_radius, self.straight
        bend = math.pi * r
        u = np.mod(np.asarray(s, dtype=float) + self.start_at, self.lap)
        x, y, th, k = (np.empty_like(u) for _ in range(4))
        # bend 1 around (L/2, 0), back straight at y = r heading −x, bend 2 around (−L/2, 0), home straight.
        seg = [u < bend, (u >= bend) & (u < bend + L), (u >= bend + L) & (u < 2 * bend + L), u >= 2 * bend + L]
        a = u[seg[0]] / r
        x[seg[0]], y[seg[0]], th[seg[0]], k[seg[0]] = L / 2 + r * np.sin(a), -r * np.cos(a), a, 1.0 / r
        d = u[seg[1]] - bend
        x[seg[1]], y[seg[1]], th[seg[1]], k[seg[1]] = L / 2 - d, r, math.pi, 0.0
        a = (u[seg[2]] - bend - L) / r
        x[seg[2]], y[seg[2]], th[seg[2]], k[seg[2]] = -L / 2 - r * np.sin(a), r * np.cos(a), math.pi + a, 1.0 / r
        d = u[seg[3]] - 2 * bend - L
        x[seg[3]], y[seg[3]], th[seg[3]], k[seg[3]] = -L / 2 + d, -r, 2 * math.pi, 0.0
        return x, y, np.unwrap(th) if th.size > 1 else th, k
