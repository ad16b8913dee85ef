"""The two steps every filter of the model takes, in place on the filter's own arrays:

predict:  x ← A·x,  P ← A·P·Aᵀ + Q
update:   one scalar measurement z of state entry i with variance r:
          K = P[:, i] / (P[i, i] + r),  x ← x + K·(z − x[i]),  P ← P − K·P[i, :],
          then P symmetrised against round-off (a change of ~1e-17).

Two implementations with the same numbers: numpy (always available) and loops compiled by numba
(optional: about 1 µs a step against 6 µs — per-sample Python overhead dominates otherwise).
"""

from __future__ import annotations

import numpy as np


def predict_numpy(x: np.ndarray, P: np.ndarray, A: np.ndarray, Q: np.ndarray) -> None:
    x[:] = A @ x
    P[:, :] = A @ P @ A.T + Q


def update_numpy(x: np.ndarray, P: np.ndarray, z: float, i: int, r: float) -> None:
    Pi = P[:, i].copy()
    K = Pi / (Pi[i] + r)
    x += K * (z - x[i])
    P -= np.outer(K, Pi)
    P += P.T
    P *= 0.5


def predict_loops(x, P, A, Q):
    n = x.shape[0]
    xn = np.zeros(n)
    AP = np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            xn[a] += A[a, b] * x[b]
            for c in range(n):
                AP[a, b] += A[a, c] * P[c, b]
    for a in range(n):
        x[a] = xn[a]
        for b in range(n):
            s = Q[a, b]
            for c in range(n):
                s += AP[a, c] * A[b, c]
            P[a, b] = s


def update_loops(x, P, z, i, r):
    n = x.shape[0]
    Pi = P[:, i].copy()
    s = Pi[i] + r
    innovation = z - x[i]
    for a in range(n):
        K = Pi[a] / s
        x[a] += K * innovation
        for b in range(n):
            P[a, b] -= K * Pi[b]
    for a in range(n):
        for b in range(a + 1, n):
            m = 0.5 * (P[a, b] + P[b, a])
            P[a, b] = m
            P[b, a] = m


class Kernels:
    def __init__(self, name: str, predict, update):
        self.name, self.predict, self.update = name, predict, update


def select(choice: str = "auto") -> Kernels:
    """'numba' (compiled; refuses if numba is missing), 'numpy', or 'auto' (numba if installed)."""
    if choice not in ("auto", "numba", "numpy"):
        raise ValueError(f"SPRINT_FUSION_KERNELS={choice!r}: auto, numba or numpy")
    if choice != "numpy":
        try:
            import numba
        except ImportError:
            if choice == "numba":
                raise
        else:
            jit = numba.njit(cache=True)
            return Kernels("numba", jit(predict_loops), jit(update_loops))
    return Kernels("numpy", predict_numpy, update_numpy)
