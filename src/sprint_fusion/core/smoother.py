"""Fixed-interval smoothing (Rauch–Tung–Striebel) of KF2's track filter, offline.

A causal filter's estimate at t uses only what came before t; offline, the whole recording is
there. The forward pass is the filter as it ran: after each of its steps (an IMU sample, a GNSS
epoch) the filtered state x_k and covariance P_k are kept. Going back,

    P⁻ₖ₊₁ = A·Pₖ·Aᵀ + Q,  Cₖ = Pₖ·Aᵀ·(P⁻ₖ₊₁)⁻¹,
    xˢₖ = xₖ + Cₖ·(xˢₖ₊₁ − A·xₖ),  Pˢₖ = Pₖ + Cₖ·(Pˢₖ₊₁ − P⁻ₖ₊₁)·Cₖᵀ,

with A and Q of the step from k to k+1 (the filter's own motion and noise model; a step of Δt = 0
has A = I and no noise). One step of the forward filter lies between two kept states, so P⁻ is
recomputed rather than stored. A reset of the filters starts a new interval. Memory: 160 bytes
per kept state (a 10-minute session at 400 Hz: ~40 MB) — or none that grows, with
SpilledTrackSmoother (replay), which keeps them in a temporary file.
"""

from __future__ import annotations

import itertools
import os

import numpy as np

from . import kalman as kf
from .columns import KF2_STATE, WIDTH, Col
from .jit import jit

SMOOTHED = ("smoothed_distance", "smoothed_speed", "smoothed_speed_var")


@jit
def rts(t, x, P, noise, xs, Ps) -> None:
    """xs, Ps ← the smoothed states of the filtered (t, x, P) of one interval, in time order.
    Each step's small products and solve are written out over preallocated arrays: numpy's
    would allocate five temporaries a step, most of the backward pass's time (measured)."""
    n = x.shape[0]
    if n == 0:
        return
    last = n - 1
    xs[last] = x[last]
    Ps[last] = P[last]
    dim = x.shape[1]
    f = kf.Filter(np.zeros(dim), np.zeros((dim, dim)), np.zeros(1), noise, 1.0, np.zeros(dim))
    A = np.zeros((dim, dim))
    C = np.empty((dim, dim))  # A·Pₖ, then solved in place: (P⁻ₖ₊₁)⁻¹·A·Pₖ = Cₖᵀ
    lu = np.empty((dim, dim))
    D = np.empty((dim, dim))  # Cₖ·(Pˢₖ₊₁ − P⁻ₖ₊₁)
    dx = np.empty(dim)
    A_dt = -1.0  # the step A was built for: IMU steps mostly share one, so it is rebuilt rarely
    for k in range(n - 2, -1, -1):
        dt = t[k + 1] - t[k]
        for a in range(dim if dt != A_dt else 0):  # A of this step: a prediction of each unit vector
            f.x[:] = 0.0
            f.x[a] = 1.0
            if dt > 0.0:
                kf.predict(f, dt)
            A[:, a] = f.x
        A_dt = dt
        f.x[:] = x[k]
        f.P[:, :] = P[k]
        if dt > 0.0:
            kf.predict(f, dt)  # x⁻ₖ₊₁ = A·xₖ, P⁻ₖ₊₁ = A·Pₖ·Aᵀ + Q
        for i in range(dim):
            for j in range(dim):
                s = 0.0
                for m in range(dim):
                    s += A[i, m] * P[k, m, j]
                C[i, j] = s
        _solve(f.P, C, lu)  # Cₖᵀ = (Pₖ·Aᵀ·(P⁻)⁻¹)ᵀ, P⁻ and Pₖ symmetric: C[m, i] is Cₖ's (i, m)
        for i in range(dim):
            dx[i] = xs[k + 1, i] - f.x[i]
        for i in range(dim):  # xˢₖ = xₖ + Cₖ·(xˢₖ₊₁ − x⁻ₖ₊₁)
            s = x[k, i]
            for m in range(dim):
                s += C[m, i] * dx[m]
            xs[k, i] = s
        for i in range(dim):  # D = Cₖ·(Pˢₖ₊₁ − P⁻ₖ₊₁)
            for j in range(dim):
                s = 0.0
                for m in range(dim):
                    s += C[m, i] * (Ps[k + 1, m, j] - f.P[m, j])
                D[i, j] = s
        for i in range(dim):  # Pˢₖ = Pₖ + D·Cₖᵀ
            for j in range(dim):
                s = P[k, i, j]
                for m in range(dim):
                    s += D[i, m] * C[m, j]
                Ps[k, i, j] = s


@jit
def _solve(M, B, lu) -> None:
    """B ← M⁻¹·B by Gaussian elimination with partial pivoting (lu: room for M's factors)."""
    dim = M.shape[0]
    lu[:, :] = M
    for c in range(dim):
        p = c
        for r in range(c + 1, dim):
            if abs(lu[r, c]) > abs(lu[p, c]):
                p = r
        if p != c:
            for j in range(dim):
                lu[c, j], lu[p, j] = lu[p, j], lu[c, j]
                B[c, j], B[p, j] = B[p, j], B[c, j]
        for r in range(c + 1, dim):
            g = lu[r, c] / lu[c, c]
            for j in range(c, dim):
                lu[r, j] -= g * lu[c, j]
            for j in range(dim):
                B[r, j] -= g * B[c, j]
    for c in range(dim - 1, -1, -1):
        for j in range(dim):
            s = B[c, j]
            for m in range(c + 1, dim):
                s -= lu[c, m] * B[m, j]
            B[c, j] = s / lu[c, c]


class TrackSmoother:
    """Keeps KF2's filtered states as the filter runs — after each fused row it updated (add_rows)
    and each GNSS epoch (add_fix) — and smooths them (smoothed_states); intervals break where the
    filter restarted (time going back)."""

    def __init__(self, noise: kf.ProcessNoise):
        self.noise = noise
        self.t: list[np.ndarray] = []
        self.x: list[np.ndarray] = []
        self.P: list[np.ndarray] = []
        self.from_row: list[np.ndarray] = []  # per kept state: from a fused row (else an epoch)
        self.row_kept: list[np.ndarray] = []  # per fused row: its state was kept
        self.pending: list = []  # row tables and epoch states (t, x, P) in the order they came

    def add_rows(self, rows: np.ndarray) -> None:
        """Fused rows (columns.Col) as the chain wrote them (kept by reference until settle())."""
        self.pending.append(rows)

    def add_fix(self, f: kf.Filter) -> None:
        """The track filter after a GNSS epoch (once started)."""
        if kf.is_started(f):
            self.pending.append((f.t[0], f.x.copy(), f.P.copy()))

    def settle(self) -> None:
        """What add_rows and add_fix gave since the last settle, kept in the order it came in one
        add_states: offline, a run of rows between two epochs is a few dozen samples, and keeping
        each run on its own cost a tenth of replay's main thread (measured)."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        tables, epochs, epoch_after = [], [], []  # epoch_after: the rows that came before each epoch
        rows_so_far = 0
        for item in pending:
            if isinstance(item, np.ndarray):
                tables.append(item)
                rows_so_far += len(item)
            else:
                epochs.append(item)
                epoch_after.append(rows_so_far)
        rows = np.concatenate(tables) if tables else np.empty((0, WIDTH))
        updated = rows[:, Col.kf2_updated] == 1.0
        self.row_kept.append(updated)
        kept = rows[updated]
        kept_before = np.concatenate([[0], np.cumsum(updated)])[epoch_after].astype(int)
        from_row = np.ones(len(kept) + len(epochs), dtype=bool)
        from_row[kept_before + np.arange(len(epochs))] = False
        t, x, P = np.empty(len(from_row)), np.empty((len(from_row), 4)), np.empty((len(from_row), 4, 4))
        t[from_row], x[from_row] = kept[:, Col.t], kept[:, KF2_STATE]
        P[from_row] = kept[:, Col.kf2_P00:Col.kf2_P00 + 16].reshape(-1, 4, 4)
        if epochs:
            t[~from_row] = [e[0] for e in epochs]
            x[~from_row], P[~from_row] = np.array([e[1] for e in epochs]), np.array([e[2] for e in epochs])
        self.add_states(t, x, P, from_row)

    def add_states(self, t, x, P, from_row=False) -> None:
        """Filtered states: times (n,), states (n, 4), covariances (n, 4, 4); from_row, one for all
        or per state."""
        if not len(t):
            return
        self.t.append(np.asarray(t, dtype=float))
        self.x.append(np.asarray(x, dtype=float))
        self.P.append(np.asarray(P, dtype=float))
        self.from_row.append(np.broadcast_to(np.asarray(from_row, dtype=bool), (len(t),)).copy())

    def smoothed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(t, xs, Ps) of every kept state, each interval smoothed on its own."""
        self.settle()
        if not self.t:
            return np.empty(0), np.empty((0, 4)), np.empty((0, 4, 4))
        t, x, P = np.concatenate(self.t), np.concatenate(self.x), np.concatenate(self.P)
        xs, Ps = np.empty_like(x), np.empty_like(P)
        breaks = [0, *(np.flatnonzero(np.diff(t) < 0) + 1), len(t)]
        for a, b in itertools.pairwise(breaks):
            rts(t[a:b], np.ascontiguousarray(x[a:b]), np.ascontiguousarray(P[a:b]), self.noise, xs[a:b], Ps[a:b])
        return t, xs, Ps

    def smoothed_states(self) -> dict[str, np.ndarray]:
        """The smoothed track at the fused rows where KF2 ran: 't' and SMOOTHED columns."""
        t, xs, Ps = self.smoothed()
        rows = np.concatenate(self.from_row) if self.from_row else np.zeros(0, dtype=bool)
        return {"t": t[rows], "smoothed_distance": xs[rows, 0], "smoothed_speed": xs[rows, 1],
                "smoothed_speed_var": Ps[rows, 1, 1]}

    def close(self) -> None:
        """Nothing to release in memory (SpilledTrackSmoother removes its files)."""

    def smoothed_rows(self, n_rows: int) -> dict[str, np.ndarray]:
        """The SMOOTHED columns for every fused row so far (n_rows of them, to check), NaN where KF2
        did not run."""
        self.settle()
        return self.per_row(self.smoothed_states(), n_rows)

    def per_row(self, states: dict[str, np.ndarray], n_rows: int) -> dict[str, np.ndarray]:
        """The SMOOTHED columns for every fused row so far (n_rows of them, to check), NaN where KF2
        did not run, from the smoothed states at the rows where it ran (smoothed_states(), or
        smoothed_blocks() put together)."""
        kept = np.concatenate(self.row_kept) if self.row_kept else np.zeros(0, dtype=bool)
        if len(kept) != n_rows:
            raise ValueError(f"{n_rows} rows given, {len(kept)} fused")
        out = {name: np.full(n_rows, np.nan) for name in SMOOTHED}
        for name in SMOOTHED:
            out[name][kept] = states[name]
        return out


STATE = np.dtype([("t", "<f8"), ("x", "<f8", 4), ("P", "<f8", (4, 4)), ("from_row", "<f8")])
OUT = np.dtype([("t", "<f8"), ("smoothed_distance", "<f8"), ("smoothed_speed", "<f8"),
                ("smoothed_speed_var", "<f8")])


class SpilledTrackSmoother(TrackSmoother):
    """TrackSmoother whose filtered states go to a file as they come, smoothed window by window
    backwards and read forwards in slices (smoothed_blocks): memory does not grow with the length
    of the recording (an hour at 400 Hz is 250 MB of states). The same arithmetic, step for step."""

    WINDOW = 20_000  # states read back at a time: 3.5 MB (100 000 made the end of replay ~60–110 MB taller)

    def __init__(self, noise: kf.ProcessNoise, folder: str | None = None):
        import tempfile

        super().__init__(noise)
        self.folder = tempfile.TemporaryDirectory(prefix="sprint_fusion_smoother_", dir=folder)
        self.states = open(f"{self.folder.name}/states", "w+b")  # noqa: SIM115 — closed by close()
        self.count = 0

    def add_states(self, t, x, P, from_row=False) -> None:
        if not len(t):
            return
        block = np.empty(len(t), STATE)
        block["t"], block["x"], block["P"], block["from_row"] = t, x, P, from_row
        self.states.write(block.tobytes())
        self.count += len(t)

    def smoothed_blocks(self, size: int = 20_000):
        """The smoothed track at the fused rows where KF2 ran, in time order, `size` rows at a
        time: dicts as smoothed_states()."""
        self.settle()
        self.states.flush()
        with open(f"{self.folder.name}/smoothed", "w+b") as out:
            self._backward(out)
            out.flush()
            for a in range(0, self.count, size):
                out.seek(a * OUT.itemsize)
                rows = np.fromfile(out, OUT, min(size, self.count - a))
                rows = rows[~np.isnan(rows["t"])]  # the states of GNSS epochs are not rows
                if len(rows):
                    yield {name: rows[name].copy() for name in OUT.names}

    def _backward(self, out) -> None:
        """RTS over the file from its end, WINDOW states at a time; each window seeded with the
        smoothed state after it, unless the filter restarted between them (time went back)."""
        seed = None  # (t, xs, Ps) of the state after the window
        for end in range(self.count, 0, -self.WINDOW):
            start = max(0, end - self.WINDOW)
            self.states.seek(start * STATE.itemsize)
            s = np.fromfile(self.states, STATE, end - start)
            t = np.ascontiguousarray(s["t"])
            if seed is not None and seed[0] < t[-1]:
                seed = None
            xs, Ps = np.empty((len(s), 4)), np.empty((len(s), 4, 4))
            cuts = [0, *(np.flatnonzero(np.diff(t) < 0) + 1).tolist(), len(s)]
            for a, b in reversed(list(itertools.pairwise(cuts))):
                if seed is None or b < len(s):
                    rts(t[a:b], np.ascontiguousarray(s["x"][a:b]), np.ascontiguousarray(s["P"][a:b]), self.noise,
                        xs[a:b], Ps[a:b])
                else:  # the window's last interval goes on past it: end it with the state after it, smoothed
                    tt = np.append(t[a:b], seed[0])
                    x = np.concatenate([s["x"][a:b], seed[1][None]])
                    P = np.concatenate([s["P"][a:b], seed[2][None]])
                    xs_, Ps_ = np.empty_like(x), np.empty_like(P)
                    rts(tt, x, P, self.noise, xs_, Ps_)
                    xs[a:b], Ps[a:b] = xs_[:-1], Ps_[:-1]
            seed = (t[0], xs[0].copy(), Ps[0].copy())
            rows = np.empty(len(s), OUT)
            row = s["from_row"] == 1.0
            rows["t"] = np.where(row, t, np.nan)
            rows["smoothed_distance"], rows["smoothed_speed"], rows["smoothed_speed_var"] = xs[:, 0], xs[:, 1], \
                Ps[:, 1, 1]
            os.pwrite(out.fileno(), rows.tobytes(), start * OUT.itemsize)

    def smoothed(self):
        raise NotImplementedError("a spilled smoother gives smoothed_blocks()")

    def close(self) -> None:
        self.states.close()
        self.folder.cleanup()
