"""Fixed-interval smoothing (Rauch–Tung–Striebel) of KF2's track filter, offline.

A causal filter's estimate at t uses only what came before t; offline, the whole recording is
there. The forward pass is the filter as it ran: after each of its steps (an IMU sample, a GNSS
epoch) the filtered state x_k and covariance P_k are kept. Going back,

    P⁻ₖ₊₁ = A·Pₖ·Aᵀ + Q,  Cₖ = Pₖ·Aᵀ·(P⁻ₖ₊₁)⁻¹,
    xˢₖ = xₖ + Cₖ·(xˢₖ₊₁ − A·xₖ),  Pˢₖ = Pₖ + Cₖ·(Pˢₖ₊₁ − P⁻ₖ₊₁)·Cₖᵀ,

with A and Q of the step from k to k+1 (the filter's own motion and noise model; a step of Δt = 0
has A = I and no noise). One step of the forward filter lies between two kept states, so P⁻ is
recomputed rather than stored. A reset of the filters starts a new interval. Memory: 160 bytes
per kept state (a 10-minute session at 400 Hz: ~40 MB).
"""

from __future__ import annotations

import itertools

import numpy as np

from . import kalman as kf
from .jit import jit


@jit
def rts(t, x, P, noise, xs, Ps) -> None:
    """xs, Ps ← the smoothed states of the filtered (t, x, P) of one interval, in time order."""
    n = x.shape[0]
    last = x.shape[0] - 1
    xs[last] = x[last]
    Ps[last] = P[last]
    dim = x.shape[1]
    f = kf.Filter(np.zeros(dim), np.zeros((dim, dim)), np.zeros(1), noise, 1.0)
    A = np.zeros((dim, dim))
    for k in range(n - 2, -1, -1):
        dt = t[k + 1] - t[k]
        for a in range(dim):  # A of this step: a prediction of each unit vector from zero covariance
            f.x[:] = 0.0
            f.x[a] = 1.0
            f.P[:, :] = 0.0
            if dt > 0.0:
                kf.predict(f, dt)
            A[:, a] = f.x
        f.x[:] = x[k]
        f.P[:, :] = P[k]
        if dt > 0.0:
            kf.predict(f, dt)  # x⁻ₖ₊₁ = A·xₖ, P⁻ₖ₊₁ = A·Pₖ·Aᵀ + Q
        C = np.linalg.solve(f.P, A @ P[k]).T  # Pₖ·Aᵀ·(P⁻)⁻¹, P⁻ and Pₖ symmetric
        xs[k] = x[k] + C @ (xs[k + 1] - f.x)
        Ps[k] = P[k] + C @ (Ps[k + 1] - f.P) @ C.T


class TrackSmoother:
    """Collects KF2's filtered states as the filter runs (add, add_row_states), then smooths them
    (smoothed); intervals break where the filter restarted (time going back)."""

    def __init__(self, noise: kf.ProcessNoise):
        self.noise = noise
        self.t: list[np.ndarray] = []
        self.x: list[np.ndarray] = []
        self.P: list[np.ndarray] = []

    def add(self, t: np.ndarray, x: np.ndarray, P: np.ndarray) -> None:
        """Filtered states: times (n,), states (n, 4), covariances (n, 4, 4)."""
        if len(t):
            self.t.append(np.asarray(t, dtype=float))
            self.x.append(np.asarray(x, dtype=float))
            self.P.append(np.asarray(P, dtype=float))

    def smoothed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t, xs, Ps) of every kept state, each interval smoothed on its own."""
        if not self.t:
            return np.empty(0), np.empty((0, 4)), np.empty((0, 4, 4))
        t, x, P = np.concatenate(self.t), np.concatenate(self.x), np.concatenate(self.P)
        xs, Ps = np.empty_like(x), np.empty_like(P)
        breaks = [0, *(np.flatnonzero(np.diff(t) < 0) + 1), len(t)]
        for a, b in itertools.pairwise(breaks):
            rts(t[a:b], np.ascontiguousarray(x[a:b]), np.ascontiguousarray(P[a:b]), self.noise, xs[a:b], Ps[a:b])
        return t, xs, Ps
