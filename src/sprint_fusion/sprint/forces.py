"""Air resistance and the sprint force–velocity profile, computed as the R package shorts
does (`get_air_resistance`, `make_FV_profile`), so its published numbers are reproduced.

Air resistance (Arsac & Locatelli 2002; van Ingen Schenau et al. 1991):
F_air = k·(v − v_wind)·|v − v_wind|, k = ½·ρ·A·C_d, ρ = 1.293·(P/760)·273/(273 + T),
A = 0.2025·h^0.725·m^0.425·0.266 (frontal area from the Du Bois body surface), C_d = 0.9.
F0 and V0 are the ends of the model's force–velocity line with air resistance (analytic);
RF = F_h / |F| with F_v = m·9.81 over the model's first 6 s at 600 points; RFmax and D_RF
use t > 0.3 s.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .model import acceleration_at, velocity_at

GRAVITY_SHORTS = 9.81  # shorts' value for the vertical force


@dataclass(frozen=True)
class Conditions:
    bodymass: float = 75.0  # kg
    bodyheight: float = 1.75  # m
    pressure: float = 760.0  # barometric, Torr (mmHg)
    temperature: float = 25.0  # air, °C
    wind: float = 0.0  # m/s, positive from behind (tail wind), negative head wind

    def __post_init__(self):
        checks = {"bodymass": (20.0, 250.0), "bodyheight": (1.0, 2.5), "pressure": (400.0, 850.0),
                  "temperature": (-30.0, 50.0), "wind": (-20.0, 20.0)}
        for name, (lo, hi) in checks.items():
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and lo <= value <= hi):
                raise ValueError(f"{name} {value!r}: must be within [{lo}, {hi}]")


def drag_constant(c: Conditions) -> float:
    """k in N/(m/s)²."""
    density = 1.293 * (c.pressure / 760.0) * (273.0 / (273.0 + c.temperature))
    frontal_area = 0.2025 * c.bodyheight ** 0.725 * c.bodymass ** 0.425 * 0.266
    return 0.5 * density * frontal_area * 0.9


def air_resistance(v, c: Conditions):
    rel = np.asarray(v, dtype=float) - c.wind
    return drag_constant(c) * np.sign(rel) * rel ** 2


@dataclass(frozen=True)
class ForceVelocityProfile:
    F0: float  # N, horizontal force at zero velocity
    V0: float  # m/s, velocity at zero horizontal force
    Pmax: float  # W, F0·V0/4
    FV_slope: float  # (N/kg)/(m/s): −F0/(m·V0), relative to body mass as shorts reports it
    F0_rel: float  # N/kg
    Pmax_rel: float  # W/kg
    RFmax: float  # maximal ratio of horizontal to resultant force after the cut-off
    Drf: float  # slope of that ratio on velocity, per m/s
    RSE_Drf: float

    def as_dict(self) -> dict:
        return asdict(self)


def fv_profile(mss: float, mac: float, c: Conditions | None = None, max_time: float = 6.0,
               frequency: float = 100.0, rf_cutoff: float = 0.3) -> ForceVelocityProfile:
    """F0, V0 analytically from the model's force F(v) = m·MAC·(1 − v/MSS) + F_air(v), as shorts'
    create_FVP; RFmax and D_RF from the model sampled over max_time (Samozino et al. 2016)."""
    c = c or Conditions()
    m, k, w = c.bodymass, drag_constant(c), c.wind
    f0 = m * mac + float(air_resistance(0.0, c))
    # the lower root of k·(v − w)² − (m·MAC/MSS)·v + m·MAC = 0: where the force falls to zero
    b = m * mac / mss + 2.0 * k * w
    v0 = (b - math.sqrt(b * b - 4.0 * k * (m * mac + k * w * w))) / (2.0 * k)
    tau = mss / mac
    t = np.linspace(0.0, max_time, int(round(frequency * max_time)))
    v = velocity_at(t, mss, tau)
    horizontal = m * acceleration_at(t, mss, tau) + air_resistance(v, c)
    rf = horizontal / np.hypot(horizontal, m * GRAVITY_SHORTS)
    late = t > rf_cutoff
    drf, intercept = np.polyfit(v[late], rf[late], 1)
    resid = rf[late] - (intercept + drf * v[late])
    return ForceVelocityProfile(
        F0=f0, V0=v0, Pmax=f0 * v0 / 4.0, FV_slope=-(f0 / m) / v0, F0_rel=f0 / m, Pmax_rel=f0 * v0 / 4.0 / m,
        RFmax=float(rf[late].max()), Drf=float(drf),
        RSE_Drf=math.sqrt(float(np.sum(resid ** 2)) / (late.sum() - 2)))
