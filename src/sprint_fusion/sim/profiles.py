"""Forward speed profiles: (s, v, a)(t) for t seconds after the start, zero before it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MonoExponential:
    """The sprint model v(t) = MSS·(1 − e^(−t/τ)) (Furusawa; Samozino/Morin)."""

    mss: float
    tau: float

    def __call__(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        moving = t > 0.0
        t = np.where(moving, t, 0.0)
        e = np.exp(-t / self.tau)
        s = self.mss * (t + self.tau * e) - self.mss * self.tau
        return s, self.mss * (1.0 - e), np.where(moving, self.mss / self.tau * e, 0.0)


@dataclass(frozen=True)
class ConstantAccelerationRamp:
    """Constant acceleration up to a top speed, then constant speed."""

    accel: float
    top_speed: float

    def __call__(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        moving = t > 0.0
        t = np.where(moving, t, 0.0)
        t1 = self.top_speed / self.accel
        ramp = moving & (t < t1)
        v = np.where(t < t1, self.accel * t, self.top_speed)
        s = np.where(t < t1, 0.5 * self.accel * t * t, 0.5 * self.accel * t1 * t1 + self.top_speed * (t - t1))
        a = np.where(ramp, self.accel, 0.0)
        return s, v, a


@dataclass(frozen=True)
class Repetition:
    mss: float
    tau: float
    run_time: float  # s of sprinting (mono-exponential from standstill)
    decel: float = 4.0  # m/s², constant deceleration to a stop after it
    rest: float = 10.0  # s standing before the next repetition


class SprintSession:
    """Repeated sprints: each from a standstill, decelerating to a stop, then a rest — the
    kind of recording sprint diagnostics has to cut into trials."""

    def __init__(self, repetitions):
        self.reps = [r if isinstance(r, Repetition) else Repetition(**r) for r in repetitions]
        if not self.reps:
            raise ValueError("a session needs at least one repetition")
        for r in self.reps:
            if min(r.mss, r.tau, r.run_time, r.decel) <= 0 or r.rest < 0:
                raise ValueError(f"repetition {r}: mss, tau, run_time, decel must be > 0, rest ≥ 0")

    @property
    def starts(self) -> list[float]:
        """When each repetition starts, s after the profile's t = 0."""
        out, t0 = [], 0.0
        for r in self.reps:
            out.append(t0)
            t0 += r.run_time + self.stop(r)[0] + r.rest
        return out

    @staticmethod
    def stop(r: Repetition) -> tuple[float, float]:
        """(duration, end speed) of the deceleration after the sprint."""
        v_end = r.mss * (1.0 - math.exp(-r.run_time / r.tau))
        return v_end / r.decel, v_end

    def __call__(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = np.asarray(t, dtype=float)
        s, v, a = np.zeros_like(t), np.zeros_like(t), np.zeros_like(t)
        s_base = 0.0
        for t0, r in zip(self.starts, self.reps, strict=True):
            sprint = MonoExponential(r.mss, r.tau)
            stop_time, v_end = self.stop(r)
            s_run = float(sprint(np.array([r.run_time]))[0][0])
            tr = t - t0
            run = (tr > 0) & (tr <= r.run_time)
            ss, vs, acc = sprint(np.where(run, tr, 0.0))
            s = np.where(run, s_base + ss, s)
            v = np.where(run, vs, v)
            a = np.where(run, acc, a)
            td = tr - r.run_time
            slowing = (td > 0) & (td <= stop_time)
            s = np.where(slowing, s_base + s_run + v_end * td - 0.5 * r.decel * td * td, s)
            v = np.where(slowing, v_end - r.decel * td, v)
            a = np.where(slowing, -r.decel, a)
            s_base += s_run + v_end * stop_time / 2
            s = np.where(td > stop_time, s_base, s)
        return s, v, a


class RecordedTrace:
    """A recorded velocity trace (time, velocity), e.g. radar or laser, as a smooth profile.

    A smoothing spline through the samples gives v; its derivative and antiderivative give a
    and s, so the three stay exactly consistent. Time is shifted so the trace starts at 0.
    """

    def __init__(self, t, v, smoothing: float | None = None):
        from scipy.interpolate import make_smoothing_spline

        t = np.asarray(t, dtype=float)
        v = np.asarray(v, dtype=float)
        order = np.argsort(t)
        t, v = t[order] - t[order][0], v[order]
        self.duration = float(t[-1])
        self._v = make_smoothing_spline(t, v, lam=smoothing)
        self._a = self._v.derivative()
        self._s = self._v.antiderivative()
        self._s0 = float(self._s(0.0))

    @classmethod
    def from_csv(cls, path, athlete: str | None = None, smoothing: float | None = None) -> RecordedTrace:
        """CSV with 'time' and 'velocity' columns (and 'athlete' to pick one of several)."""
        import csv

        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        if athlete is not None:
            rows = [r for r in rows if r.get("athlete") == athlete]
        if not rows:
            raise ValueError(f"{path}: no rows" + (f" for athlete '{athlete}'" if athlete else ""))
        return cls([float(r["time"]) for r in rows], [float(r["velocity"]) for r in rows], smoothing)

    def __call__(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = np.asarray(t, dtype=float)
        moving = t > 0.0
        tc = np.clip(t, 0.0, self.duration)
        beyond = np.clip(t - self.duration, 0.0, None)  # hold the last speed after the trace ends
        v = np.where(moving, self._v(tc), 0.0)
        s = np.where(moving, self._s(tc) - self._s0 + v * beyond, 0.0)
        a = np.where(moving & (t <= self.duration), self._a(tc), 0.0)
        return s, v, a
