"""The same KF5 + KF2 chain with its filter steps done by filterpy's KalmanFilter: same inputs,
same outputs (checked), and the time per filter step against this package's own.

    python bench/filterpy_chain.py [BAG]        # default: the bundled 400 m bag

Every predict and update of the chain goes through core/kalman.py (predict, update). Run
uncompiled (SPRINT_FUSION_KERNELS=python, in a child process) those are module functions that can
be swapped: once for a recorder (the chain's calls, in order), once for filterpy objects (one per
filter: filterpy's predict(F, Q) and update(z, R, H) with the spec's matrices, the state copied
in and out around each call, as the chain's own code reads and writes it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
from common import ROOT


def spec_matrices(n: int, dt: float, gain: bool, q, per_second: bool) -> tuple[np.ndarray, np.ndarray]:
    """A (constant jerk, or constant acceleration for n = 3) and Q of the spec, written out."""
    A = np.array([[1.0, dt, dt**2 / 2, dt**3 / 6], [0, 1, dt, dt**2 / 2], [0, 0, 1, dt], [0, 0, 0, 1]])[:n, :n]
    if gain:
        g = np.array([dt**2 / 2, dt, 1.0])
        Q = np.outer(g, g) * q[0]
    else:
        Q = np.diag(np.asarray(q, dtype=float))
    return A, Q * (dt if per_second else 1.0)


def child(bag: str, mode: str) -> None:
    from sprint_fusion.bags.reader import read_samples
    from sprint_fusion.core import kalman
    from sprint_fusion.core.fusion import run

    samples = [(k, s) for k, s, _ in read_samples(bag)]
    calls = []
    filters = {}
    own_predict, own_update = kalman.predict, kalman.update

    def fp(f):
        from filterpy.kalman import KalmanFilter

        ref = filters.get(id(f.x))
        if ref is None:
            ref = filters[id(f.x)] = KalmanFilter(dim_x=len(f.x), dim_z=1)
        ref.x, ref.P = f.x.reshape(-1, 1).copy(), f.P.copy()
        return ref

    def noise(f) -> list:
        return [bool(f.noise.gain), [float(v) for v in f.noise.q], bool(f.noise.per_second)]

    def predict(f, dt):
        n = f.noise
        if mode == "record":
            calls.append(("p", len(f.x), id(f.x), noise(f), dt))
            return own_predict(f, dt)
        ref = fp(f)
        A, Q = spec_matrices(len(f.x), dt, n.gain, n.q, n.per_second)
        ref.predict(F=A, Q=Q)
        f.x[:], f.P[:, :] = ref.x.ravel(), ref.P

    def update(f, z, i, r):
        if mode == "record":
            calls.append(("u", len(f.x), id(f.x), noise(f), float(z), int(i), float(r)))
            return own_update(f, z, i, r)
        ref = fp(f)
        H = np.zeros((1, len(f.x)))
        H[0, i] = 1.0
        ref.update(np.array([[z]]), R=np.array([[r]]), H=H)
        f.x[:], f.P[:, :] = ref.x.ravel(), ref.P

    kalman.predict, kalman.update = predict, update
    start = time.perf_counter()
    result = run(samples)
    seconds = time.perf_counter() - start
    out = {"seconds": seconds, "table": result.table.tolist()}
    if mode == "record":
        out["calls"] = calls
    print(json.dumps(out))


def in_child(bag: str, mode: str) -> dict:
    env = {**os.environ, "SPRINT_FUSION_KERNELS": "python"}
    done = subprocess.run([sys.executable, __file__, "--child", mode, bag], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def replay(calls, kind: str, repeat: int = 3) -> float:
    """The recorded calls, in order, on fresh filters: this package's steps (compiled where numba
    is in use) called from Python, or filterpy's: best seconds."""
    from filterpy.kalman import KalmanFilter

    from sprint_fusion.core import kalman

    best = float("inf")
    for _ in range(repeat):
        state = {}
        prepared = []
        for op, n, key, noise, *args in calls:  # matrices and arrays made before timing: only steps timed
            if key not in state:
                if kind == "filterpy":
                    state[key] = KalmanFilter(dim_x=n, dim_z=1)
                    state[key].P = np.eye(n)
                else:
                    gain, q, per_second = noise
                    state[key] = kalman.new_filter(n, kalman.ProcessNoise(gain, np.array(q), per_second))
            if kind != "filterpy":
                prepared.append((op, state[key], tuple(args)))
            elif op == "p":
                prepared.append((op, state[key], spec_matrices(n, args[0], *noise)))
            else:
                z, i, r = args
                H = np.zeros((1, n))
                H[0, i] = 1.0
                prepared.append((op, state[key], (np.array([[z]]), np.array([[r]]), H)))
        start = time.perf_counter()
        if kind == "filterpy":
            for op, f, args in prepared:
                if op == "p":
                    f.predict(F=args[0], Q=args[1])
                else:
                    f.update(args[0], R=args[1], H=args[2])
        else:
            predict, update = kalman.predict, kalman.update
            for op, f, args in prepared:
                if op == "p":
                    predict(f, *args)
                else:
                    update(f, *args)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[3], sys.argv[2])
        return
    bag = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "bags" / "track_400m")
    from sprint_fusion.bags.reader import read_blocks
    from sprint_fusion.core import jit
    from sprint_fusion.core.fusion import run_blocks

    recorded = in_child(bag, "record")
    theirs = in_child(bag, "filterpy")
    blocks = list(read_blocks(bag))
    run_blocks(blocks)  # compile (or load the cache) before timing
    start = time.perf_counter()
    ours = run_blocks(blocks)
    ours_t = time.perf_counter() - start
    same = np.allclose(ours.table, np.array(theirs["table"], dtype=float), rtol=1e-9, atol=1e-9, equal_nan=True)
    calls = recorded["calls"]
    ours_f, theirs_f = replay(calls, "ours"), replay(calls, "filterpy")
    print(f"{bag}: {len(calls)} filter steps (predictions and updates) in the chain, kernels: {jit.NAME}; "
          f"the filterpy-built chain's output equals this package's to 1e-9: {same}")
    print(f"  per step, the chain's steps replayed one call each from Python: this package "
          f"{1e6 * ours_f / len(calls):5.2f} µs, filterpy {1e6 * theirs_f / len(calls):5.2f} µs → "
          f"{theirs_f / ours_f:.1f}×")
    print(f"  whole chain (without reading the bag): this package {ours_t:5.2f} s (runs of IMU samples, {jit.NAME}), "
          f"filterpy-built {theirs['seconds']:5.2f} s → {theirs['seconds'] / ours_t:.0f}×; "
          f"per step {1e6 * ours_t / len(calls):5.2f} µs against {1e6 * theirs['seconds'] / len(calls):5.2f} µs")


if __name__ == "__main__":
    main()
