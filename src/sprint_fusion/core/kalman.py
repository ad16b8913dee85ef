"""The linear Kalman filter of the spec, in place on a filter's own arrays.

A filter is a named record `Filter(x, P, t, noise, p0, ph)`: state x (n), covariance P (n×n), t (one
entry: the time of x, NaN until the filter starts), its process noise, P's start value p0 and
room for P·h (n): update_row's, so no step allocates (core/jit.py).
Motion is constant jerk (n = 4: d, v, a, j) or constant acceleration (n = 3: the same A without
the jerk row and column):

    A = | 1  Δt  Δt²/2  Δt³/6 |      Q = diag(q)                  (KF2, axis and yaw filters)
        | 0  1   Δt     Δt²/2 |   or Q = G·Gᵀ·q₀, G = (Δt²/2, Δt, 1)ᵀ   (bias and speed filters)
        | 0  0   1      Δt    |   added once per step (the paper) or × Δt (a rate)
        | 0  0   0      1     |

predict:  x⁻ = A·x,  P⁻ = A·P·Aᵀ + Q
update:   one scalar z of state entry i with variance r —
          K = P⁻[:, i] / (P⁻[i, i] + r),  x = x⁻ + K·(z − x⁻[i]),  P = P⁻ − K·P⁻[i, :]

Every H of the model selects a state entry and every R is diagonal, so a joint correction
K = P⁻Hᵀ(HP⁻Hᵀ + R)⁻¹ is a sequence of these scalar updates, without an inverse.

One implementation: loops over the few entries, building no matrix. numba compiles them for the
offline chain (core/jit.py); where numba is not used they run as written (test_kalman_vs_filterpy
checks both against filterpy).
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Sequence

import numpy as np

from .jit import jit

Filter = namedtuple("Filter", "x P t noise p0 ph")
# tau > 0: a fifth state, a first-order Gauss–Markov error of that correlation time (s) whose
# stationary variance is q[4] (the axis filters' acceleration bias, axis.accel_bias_tau)
ProcessNoise = namedtuple("ProcessNoise", "gain q per_second tau")

# What a step did (the compiled steps return these; checked() reads them in Python). PROVISIONAL:
# the alignment gave an acceleration along the GNSS direction of motion before a trusted heading.
UPDATED, NOT_STARTED, TIME_BACK, PROVISIONAL = 1, 0, -1, 2


class TimeWentBackwardsError(ValueError):
    """A sample is older than the filter's current time."""


def diag_noise(q_diag, process_noise: str = "per_step", tau: float = 0.0) -> ProcessNoise:
    """A fixed diagonal Q: once per step (the paper) or as a rate × Δt; with tau, one more entry:
    the Gauss–Markov state's stationary variance."""
    return ProcessNoise(False, np.asarray(q_diag, dtype=float), process_noise == "per_second", float(tau))


def gain_noise(sigma_q: float, process_noise: str = "per_step") -> ProcessNoise:
    """Q = G·Gᵀ·σ_q with G = (Δt²/2, Δt, 1)ᵀ, the spec's bias and speed filter noise."""
    return ProcessNoise(True, np.array([float(sigma_q)]), process_noise == "per_second", 0.0)


def new_filter(dim: int, noise: ProcessNoise, p0: float = 1.0) -> Filter:
    """A filter not started yet: x = 0, P = p0·I (the spec: the identity). 5 states: constant jerk
    and a Gauss–Markov error (noise.tau > 0)."""
    if dim not in (3, 4, 5) or (not noise.gain and len(noise.q) != dim) or ((dim == 5) != (noise.tau > 0)):
        raise ValueError(f"a {dim}-state filter needs a {dim}-entry diagonal Q (3 or 4 states; 5 with a "
                         "Gauss–Markov error of correlation time tau > 0)")
    return Filter(np.zeros(dim), np.eye(dim) * p0, np.array([np.nan]), noise, float(p0), np.zeros(dim))


def reset(f: Filter) -> None:
    f.x[:] = 0.0
    f.P[:, :] = np.eye(len(f.x)) * f.p0
    f.t[0] = np.nan


def is_started(f) -> bool:
    """Whether f has started (taken its first measurement): started() for Python callers, without
    a compiled call's overhead (~1 µs, several times per fix)."""
    return not math.isnan(f.t[0])


started = jit(is_started)


@jit(nrt=False)
def start(f, t, first) -> None:
    """x = (first, 0, …), P = p0·I, time t."""
    n = f.x.shape[0]
    for a in range(n):
        f.x[a] = 0.0
        for b in range(n):
            f.P[a, b] = f.p0 if a == b else 0.0
    f.x[0] = first
    if n == 5:  # the Gauss–Markov error starts at its stationary spread
        f.P[4, 4] = f.noise.q[4]
    f.t[0] = t


@jit(nrt=False)
def predict(f, dt) -> None:
    """x ← A·x, P ← A·P·Aᵀ + Q in place. A is upper triangular with constant diagonals
    c = (1, Δt, Δt²/2, Δt³/6), so each product can overwrite its input in order (every new entry
    reads only entries not yet overwritten). A fifth, Gauss–Markov state decays by
    φ = e^(−Δt/τ) and gains q₄·(1 − φ²): it keeps its stationary variance q₄.
    Written out for the 3 or 4 motion states, not as loops over c: the compiler then keeps the
    entries in registers (8× faster, the same sums in the same order: the same bits)."""
    x, P, noise = f.x, f.P, f.noise
    n = x.shape[0]
    c1, c2, c3 = dt, dt * dt / 2.0, dt * dt * dt / 6.0
    if n == 3:
        x[0], x[1] = x[0] + c1 * x[1] + c2 * x[2], x[1] + c1 * x[2]
        _motion3(P, n, c1, c2)
    else:
        x[0], x[1], x[2] = (x[0] + c1 * x[1] + c2 * x[2] + c3 * x[3], x[1] + c1 * x[2] + c2 * x[3],
                            x[2] + c1 * x[3])
        _motion4(P, n, c1, c2, c3)
    m = 4 if n == 5 else n  # the motion states
    g = (c2, c1, 1.0)
    scale = dt if noise.per_second else 1.0
    for a in range(m):  # P ← P + Q
        if noise.gain:
            for b in range(m):
                P[a, b] += g[a] * g[b] * noise.q[0] * scale
        else:
            P[a, a] += noise.q[a] * scale
    if n == 5:
        phi = math.exp(-dt / noise.tau)
        x[4] *= phi
        for k in range(n):
            P[4, k] *= phi
            P[k, 4] *= phi
        P[4, 4] += noise.q[4] * (1.0 - phi * phi)


@jit(nrt=False)
def _motion4(P, n, c1, c2, c3) -> None:
    """P ← A·P·Aᵀ over the four motion states (d, v, a, j), a fifth row and column carried along."""
    for col in range(n):  # A·P, column by column
        p0, p1, p2, p3 = P[0, col], P[1, col], P[2, col], P[3, col]
        P[0, col] = p0 + c1 * p1 + c2 * p2 + c3 * p3
        P[1, col] = p1 + c1 * p2 + c2 * p3
        P[2, col] = p2 + c1 * p3
    for row in range(n):  # ·Aᵀ, row by row
        p0, p1, p2, p3 = P[row, 0], P[row, 1], P[row, 2], P[row, 3]
        P[row, 0] = p0 + c1 * p1 + c2 * p2 + c3 * p3
        P[row, 1] = p1 + c1 * p2 + c2 * p3
        P[row, 2] = p2 + c1 * p3


@jit(nrt=False)
def _motion3(P, n, c1, c2) -> None:
    """P ← A·P·Aᵀ over three motion states (d, v, a)."""
    for col in range(n):
        p0, p1, p2 = P[0, col], P[1, col], P[2, col]
        P[0, col] = p0 + c1 * p1 + c2 * p2
        P[1, col] = p1 + c1 * p2
    for row in range(n):
        p0, p1, p2 = P[row, 0], P[row, 1], P[row, 2]
        P[row, 0] = p0 + c1 * p1 + c2 * p2
        P[row, 1] = p1 + c1 * p2


@jit(nrt=False)
def update(f, z, i, r) -> None:
    """The scalar correction of x[i] by z with variance r. Row i of P (= its column i, P being
    symmetric) is updated last, so every other row reads it unchanged; then P is symmetrised
    against round-off."""
    x, P = f.x, f.P
    n = x.shape[0]
    s = P[i, i] + r
    innovation = z - x[i]
    for a in range(n):
        if a != i:
            K = P[a, i] / s
            x[a] += K * innovation
            for b in range(n):
                P[a, b] -= K * P[i, b]
    K = P[i, i] / s
    x[i] += K * innovation
    for b in range(n):
        P[i, b] -= K * P[i, b]
    for a in range(n):
        for b in range(a + 1, n):
            m = 0.5 * (P[a, b] + P[b, a])
            P[a, b] = m
            P[b, a] = m


@jit(nrt=False)
def update_row(f, z, h, r) -> None:
    """The scalar correction by z = h·x + noise (variance r) for a general row h:
    K = P·h / (hᵀ·P·h + r), x ← x + K·(z − h·x), P ← P − K·(hᵀ·P), then symmetrised."""
    x, P, Ph = f.x, f.P, f.ph
    n = x.shape[0]
    for a in range(n):
        Ph[a] = 0.0
        for b in range(n):
            Ph[a] += P[a, b] * h[b]
    s = r
    innovation = z
    for a in range(n):
        s += h[a] * Ph[a]
        innovation -= h[a] * x[a]
    for a in range(n):
        K = Ph[a] / s
        x[a] += K * innovation
        for b in range(n):
            P[a, b] -= K * Ph[b]
    for a in range(n):
        for b in range(a + 1, n):
            m = 0.5 * (P[a, b] + P[b, a])
            P[a, b] = m
            P[b, a] = m


@jit(nrt=False)
def update_sum5(f, z, i, j, r) -> None:
    """update_row for a 5-state filter and h = e_i + e_j (i < j): z measures x[i] + x[j] (the
    acceleration with its bias, after every IMU step of the axis filters). The same sums in the
    same order, with P·h in five locals instead of update_row's scratch array (94 → 21 ns)."""
    x, P = f.x, f.P
    ph = (P[0, i] + P[0, j], P[1, i] + P[1, j], P[2, i] + P[2, j], P[3, i] + P[3, j], P[4, i] + P[4, j])
    s = r + ph[i] + ph[j]
    innovation = z - x[i] - x[j]
    for a in range(5):
        K = ph[a] / s
        x[a] += K * innovation
        for b in range(5):
            P[a, b] -= K * ph[b]
    for a in range(5):
        for b in range(a + 1, 5):
            m = 0.5 * (P[a, b] + P[b, a])
            P[a, b] = m
            P[b, a] = m


@jit(nrt=False)
def reanchor(f, i, z, r) -> None:
    """State entry i starts anew at z with variance r, uncorrelated with the rest (the others keep
    what they know): how a filter recovers from a measurement it had gated out too long."""
    f.x[i] = z
    f.P[i, :] = 0.0
    f.P[:, i] = 0.0
    f.P[i, i] = r


@jit(nrt=False)
def consistent(f, z, h, r, gate) -> bool:
    """Whether z lies within `gate` standard deviations of its prediction h·x (variance
    hᵀ·P·h + r): the innovation test that keeps a GNSS jump out; gate 0 accepts everything."""
    if gate <= 0.0:
        return True
    n = f.x.shape[0]
    s = r
    innovation = z
    for a in range(n):
        innovation -= h[a] * f.x[a]
        for b in range(n):
            s += h[a] * f.P[a, b] * h[b]
    return innovation * innovation <= gate * gate * s


@jit(nrt=False)
def advance(f, t) -> bool:
    """Predict from the filter's time to t; False (and nothing changed) if t is before it. A Δt
    of zero adds no process noise: two measurements at one stamp form one step."""
    dt = t - f.t[0]
    if dt < 0.0:
        return False
    if dt > 0.0:
        predict(f, dt)
        f.t[0] = t
    return True


def checked(code: int, t: float) -> bool:
    """A step's outcome for Python callers: updated or not; time going back raises."""
    if code == TIME_BACK:
        raise TimeWentBackwardsError(f"stamp {t:.6f} is before the filter time")
    return code == UPDATED


def predict_to(f: Filter, t: float) -> None:
    if not started(f):
        raise RuntimeError("filter not started")
    if not advance(f, float(t)):
        raise TimeWentBackwardsError(f"stamp {t:.6f} is {f.t[0] - t:.6f} s before the filter time {f.t[0]:.6f}")


def correct(f: Filter, z: Sequence[float], idx: Sequence[int], r: Sequence[float]) -> None:
    """Correct with measurements z[k] of state entry idx[k], noise variance r[k]."""
    if len(z) != len(idx) or len(idx) != len(r):
        raise ValueError("z, idx and r must have one entry per measurement")
    for zk, i, rk in zip(z, idx, r, strict=True):
        update(f, float(zk), int(i), float(rk))


def step(f: Filter, t: float, z: Sequence[float], idx: Sequence[int], r: Sequence[float]) -> None:
    """predict_to(t), then correct: a negative Δt raises TimeWentBackwardsError and leaves the filter
    untouched, so the caller decides between dropping the sample and resetting."""
    predict_to(f, t)
    correct(f, z, idx, r)
