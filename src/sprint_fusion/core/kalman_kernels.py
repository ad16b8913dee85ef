"""The steps every filter of the model takes, in place on the filter's own arrays.

A filter is three arrays: state x (n), covariance P (n×n) and clock (1: the time of x, NaN until
the filter starts). Motion is the spec's constant jerk (n = 4) or constant acceleration (n = 3,
the same matrix without the jerk row and column); process noise is a fixed diagonal Q or the
spec's Q = G·Gᵀ·σ_q, once per step (the paper) or as a rate × Δt.

predict:  x ← A·x,  P ← A·P·Aᵀ + Q
update:   one scalar measurement z of state entry i with variance r:
          K = P[:, i] / (P[i, i] + r),  x ← x + K·(z − x[i]),  P ← P − K·P[i, :],
          then P symmetrised against round-off (a change of ~1e-17).

Every H of the model selects a state entry and every R is diagonal, so a correction is a
sequence of these scalar updates — algebraically the joint K = P⁻Hᵀ(HP⁻Hᵀ + R)⁻¹ without an
inverse. Compiled (numba), predict and update are in-place loops that build no matrix;
uncompiled, numpy on the matrices — equal to round-off (test_kalman_vs_filterpy.py checks
both against filterpy).
"""

from __future__ import annotations

import math

import numpy as np

from .jit import COMPILED, jit

# What a stage's step did (the compiled steps return these; kalman.checked reads them in Python)
UPDATED, NOT_STARTED, TIME_BACK = 1, 0, -1


def predict_numpy(x, P, A, Q) -> None:
    x[:] = A @ x
    P[:, :] = A @ P @ A.T + Q


def update_numpy(x, P, z, i, r) -> None:
    Pi = P[:, i].copy()
    K = Pi / (Pi[i] + r)
    x += K * (z - x[i])
    P -= np.outer(K, Pi)
    P += P.T
    P *= 0.5


def update_loops(x, P, z, i, r) -> None:
    """In place: row i (P's i-th row = its i-th column, P being symmetric) is updated last, so
    every other row reads it unchanged."""
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


update = jit(update_loops) if COMPILED else update_numpy


@jit
def transition_into(A, dt) -> None:
    """A_CJ (n = 4) or A_CA (n = 3: A_CJ without the jerk row and column)."""
    n = A.shape[0]
    steps = (dt, dt * dt / 2.0, dt * dt * dt / 6.0)
    for a in range(n):
        for b in range(n):
            A[a, b] = 1.0 if a == b else (steps[b - a - 1] if b > a else 0.0)


@jit
def noise_into(Q, dt, gain, q, per_second) -> None:
    """Diagonal Q = diag(q), or (gain) Q = G·Gᵀ·q[0] with G = (Δt²/2, Δt, 1)ᵀ; × Δt if per second."""
    n = Q.shape[0]
    g = (dt * dt / 2.0, dt, 1.0)
    for a in range(n):
        for b in range(n):
            if gain:
                Q[a, b] = g[a] * g[b] * q[0]
            else:
                Q[a, b] = q[a] if a == b else 0.0
            if per_second:
                Q[a, b] *= dt


def predict_motion_numpy(x, P, dt, gain, q, per_second) -> None:
    A, Q = np.empty(P.shape), np.empty(P.shape)
    transition_into(A, dt)
    noise_into(Q, dt, gain, q, per_second)
    predict_numpy(x, P, A, Q)


def predict_motion_loops(x, P, dt, gain, q, per_second) -> None:
    """predict() for the model's A, in place: A is upper triangular with constant diagonals
    c = (1, Δt, Δt²/2, Δt³/6), so x ← A·x, P ← A·P and P ← P·Aᵀ can each overwrite their input
    in order (every new entry reads only entries not yet overwritten) — no matrices built."""
    n = x.shape[0]
    c = (1.0, dt, dt * dt / 2.0, dt * dt * dt / 6.0)
    for a in range(n):
        s = 0.0
        for b in range(a, n):
            s += c[b - a] * x[b]
        x[a] = s
    for col in range(n):  # P ← A·P, column by column, top down
        for a in range(n):
            s = 0.0
            for b in range(a, n):
                s += c[b - a] * P[b, col]
            P[a, col] = s
    for row in range(n):  # P ← P·Aᵀ, row by row, left to right
        for a in range(n):
            s = 0.0
            for b in range(a, n):
                s += P[row, b] * c[b - a]
            P[row, a] = s
    g = (dt * dt / 2.0, dt, 1.0)
    scale = dt if per_second else 1.0
    for a in range(n):
        if gain:
            for b in range(n):
                P[a, b] += g[a] * g[b] * q[0] * scale
        else:
            P[a, a] += q[a] * scale


predict_motion = jit(predict_motion_loops) if COMPILED else predict_motion_numpy


@jit
def advance(x, P, clock, t, gain, q, per_second) -> bool:
    """Predict from the filter's time to t; False (and nothing changed) if t is before it. A Δt
    of zero adds no process noise: two measurements at one stamp form one step."""
    dt = t - clock[0]
    if dt < 0.0:
        return False
    if dt > 0.0:
        predict_motion(x, P, dt, gain, q, per_second)
        clock[0] = t
    return True


@jit
def start(x, P, clock, t, first, p0) -> None:
    """x = (first, 0, …), P = p0·I (the spec: the identity), time t."""
    n = x.shape[0]
    for a in range(n):
        x[a] = 0.0
        for b in range(n):
            P[a, b] = p0 if a == b else 0.0
    x[0] = first
    clock[0] = t


@jit
def started(clock) -> bool:
    return not math.isnan(clock[0])


@jit
def step_to(f, t) -> bool:
    """advance() on a filter given as the tuple (x, P, clock, gain, q, per_second)."""
    return advance(f[0], f[1], f[2], t, f[3], f[4], f[5])
