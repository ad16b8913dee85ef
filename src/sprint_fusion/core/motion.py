"""Motion models of the spec: constant jerk (4 states) and constant acceleration (3 states),
and the two kinds of process noise, as matrices (the filters build them in kalman_kernels)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kalman_kernels import noise_into, transition_into


def cj_transition(dt: float) -> np.ndarray:
    """A_CJ for state (d, v, a, j)."""
    A = np.empty((4, 4))
    transition_into(A, float(dt))
    return A


def ca_transition(dt: float) -> np.ndarray:
    """A_CA for state (x, ẋ, ẍ): A_CJ without the jerk row and column."""
    A = np.empty((3, 3))
    transition_into(A, float(dt))
    return A


@dataclass(frozen=True)
class Noise:
    """Process noise of one filter: diag(q), or (gain) G·Gᵀ·q[0]; per step, or × Δt (per second).
    Called with Δt it gives the matrix."""

    dim: int
    gain: bool
    q: np.ndarray
    per_second: bool

    def __call__(self, dt: float) -> np.ndarray:
        Q = np.empty((self.dim, self.dim))
        noise_into(Q, float(dt), self.gain, self.q, self.per_second)
        return Q


def diag_noise(q_diag, process_noise: str) -> Noise:
    """A fixed diagonal Q: once per step (the paper) or as a rate × Δt."""
    q = np.asarray(q_diag, dtype=float)
    return Noise(len(q), False, q, process_noise == "per_second")


def gain_noise_fn(sigma_q: float, process_noise: str) -> Noise:
    """Q = G·Gᵀ·σ_q with G = (Δt²/2, Δt, 1)ᵀ, the spec's bias and speed filter noise."""
    return Noise(3, True, np.array([float(sigma_q)]), process_noise == "per_second")


def gain_noise(dt: float, sigma_q: float) -> np.ndarray:
    return gain_noise_fn(sigma_q, "per_step")(dt)
