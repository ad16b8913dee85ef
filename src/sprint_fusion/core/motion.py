"""Motion models of the spec: constant jerk (4 states) and constant acceleration (3 states)."""

from __future__ import annotations

import numpy as np


def cj_transition(dt: float) -> np.ndarray:
    """A_CJ for state (d, v, a, j)."""
    return np.array(
        [
            [1.0, dt, dt * dt / 2.0, dt**3 / 6.0],
            [0.0, 1.0, dt, dt * dt / 2.0],
            [0.0, 0.0, 1.0, dt],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )


def ca_transition(dt: float) -> np.ndarray:
    """A_CA for state (x, ẋ, ẍ): A_CJ without the jerk row and column."""
    return cj_transition(dt)[:3, :3]


def gain_noise(dt: float, sigma_q: float) -> np.ndarray:
    """Q = G·Gᵀ·σ_q with G = (Δt²/2, Δt, 1)ᵀ, the spec's bias and speed filter noise."""
    g = np.array([dt * dt / 2.0, dt, 1.0])
    return np.outer(g, g) * sigma_q



def diag_noise(q_diag, process_noise: str):
    """Q(Δt) for a fixed diagonal Q: once per step (the paper) or as a rate × Δt."""
    Q = np.diag(np.asarray(q_diag, dtype=float))
    if process_noise == "per_second":
        return lambda dt: Q * dt
    return lambda dt: Q


def gain_noise_fn(sigma_q: float, process_noise: str):
    if process_noise == "per_second":
        return lambda dt: gain_noise(dt, sigma_q) * dt
    return lambda dt: gain_noise(dt, sigma_q)
