"""Sprint profiles from a velocity trace — a radar or laser gun, or a GNSS / fused speed export —
fitted as shorts' `model_radar_gun` (model.fit_velocity), with the checks a trace needs before
its profile means anything: time running forwards, speeds in m/s, and the start in the data."""

from __future__ import annotations

import numpy as np

from .model import ProfileError, SprintProfile, check_sprint, fit_velocity

MIN_SAMPLES = 10
STILL = 0.2  # m/s: standing, within a radar's noise
STANDSTILL = 0.1  # s


def check_trace(t, v) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(t, dtype=float)
    v = np.asarray(v, dtype=float)
    if t.shape != v.shape or t.ndim != 1:
        raise ProfileError("times and velocities must be two columns of equal length")
    ok = np.isfinite(t) & np.isfinite(v)
    t, v = t[ok], v[ok]
    if len(t) < MIN_SAMPLES:
        raise ProfileError(f"a trace needs at least {MIN_SAMPLES} samples with a time and a velocity, got {len(t)}")
    back = np.flatnonzero(np.diff(t) <= 0)
    if len(back):
        i = int(back[0])
        raise ProfileError(f"times must increase sample after sample: {t[i]:g} s then {t[i + 1]:g} s (row {i + 2} "
                           "of the data); sort the export by time")
    if v.min() < -0.5:
        raise ProfileError(f"a velocity of {v.min():.2f} m/s: a sprint trace runs forwards (is the device facing "
                           "the other way?)")
    return t, v


def from_the_start(t: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A trace that recorded the athlete standing (more than STANDSTILL s below STILL m/s before
    the rise through 1 m/s) from its last standstill sample on: the model has no standstill, and
    a second of zeros pulls its TC and TAU (a trace from the start, as shorts' data, is kept whole)."""
    moving = np.flatnonzero(v >= 1.0)
    if not len(moving):
        return t, v
    still = np.flatnonzero(v[: moving[0]] <= STILL)
    if len(still) and t[still[-1]] - t[0] > STANDSTILL:
        return t[still[-1]:], v[still[-1]:]
    return t, v


def fit_trace(t, v, observed_mss: bool = False) -> SprintProfile:
    """The model fitted with its time correction TC (shorts' convention: the start of the sprint
    on the trace's time axis); `observed_mss` holds MSS at the trace's peak velocity."""
    t, v = from_the_start(*check_trace(t, v))
    p = fit_velocity(t, v, time_correction=True, mss=float(v.max()) if observed_mss else None)
    check_sprint(p.mss, p.tau, "velocities")
    # the start must be in the trace: no earlier than a second before it, and before the speed
    # first reached half its maximum (a constant-speed trace puts it far before)
    half = t[int(np.argmax(v >= 0.5 * p.mss))] if (v >= 0.5 * p.mss).any() else t[-1]
    if not t[0] - 1.0 <= p.time_correction <= half:
        raise ProfileError(f"the trace does not hold the start of a sprint: the model puts it at "
                           f"{p.time_correction:.2f} s, the trace runs {t[0]:g}–{t[-1]:g} s and reaches half its "
                           f"top speed at {half:g} s")
    return p
