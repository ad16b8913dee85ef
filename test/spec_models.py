"""The spec's matrices written out literally (../shared/spec/fusion-model.md), as the independent
reference the filter kernels (which build no matrix) are checked against."""

import numpy as np


def cj_transition(dt: float) -> np.ndarray:
    """A_CJ for state (d, v, a, j)."""
    return np.array([[1.0, dt, dt**2 / 2, dt**3 / 6],
                     [0.0, 1.0, dt, dt**2 / 2],
                     [0.0, 0.0, 1.0, dt],
                     [0.0, 0.0, 0.0, 1.0]])


def ca_transition(dt: float) -> np.ndarray:
    """A_CA: A_CJ without the jerk row and column."""
    return np.array([[1.0, dt, dt**2 / 2],
                     [0.0, 1.0, dt],
                     [0.0, 0.0, 1.0]])


def diag_q(q_diag, per: str = "per_step"):
    """Q = diag(q), once per step or × Δt; a function of Δt."""
    q = np.diag(np.asarray(q_diag, dtype=float))
    return lambda dt: q * (dt if per == "per_second" else 1.0)


def gain_q(sigma_q: float, per: str = "per_step"):
    """Q = G·Gᵀ·σ_q with G = (Δt²/2, Δt, 1)ᵀ; a function of Δt."""
    def Q(dt):
        g = np.array([dt**2 / 2, dt, 1.0])
        return np.outer(g, g) * sigma_q * (dt if per == "per_second" else 1.0)
    return Q
