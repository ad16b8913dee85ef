"""The same KF5 + KF2 chain with its filter steps done by filterpy's KalmanFilter: same inputs,
same outputs (checked), and the time per filter step against this package's own.

    python bench/filterpy_chain.py [BAG]        # default: the bundled 400 m bag

Every predict and update of the chain goes through core/kalman_kernels.py (predict_motion,
update). Run uncompiled (SPRINT_FUSION_KERNELS=numpy, in a child process) those are module
functions that can be swapped: once for a recorder (the chain's calls, in order), once for
filterpy objects (one per filter: filterpy's predict(F, Q) and update(z, R, H), the state
copied in and out around each call, as the chain's own code reads and writes it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
from common import ROOT


def child(bag: str, mode: str) -> None:
    from sprint_fusion.bags.reader import read_samples
    from sprint_fusion.core import kalman_kernels as kk
    from sprint_fusion.core.fusion import run

    samples = [(k, s) for k, s, _ in read_samples(bag)]
    calls = []
    filters = {}

    def matrices(n, dt, gain, q, per_second):
        A, Q = np.empty((n, n)), np.empty((n, n))
        kk.transition_into(A, dt)
        kk.noise_into(Q, dt, gain, q, per_second)
        return A, Q

    def fp(x, P):
        from filterpy.kalman import KalmanFilter

        f = filters.get(id(x))
        if f is None:
            f = filters[id(x)] = KalmanFilter(dim_x=len(x), dim_z=1)
        f.x, f.P = x.reshape(-1, 1).copy(), P.copy()
        return f

    def predict(x, P, dt, gain, q, per_second):
        if mode == "record":
            calls.append(("p", len(x), id(x), dt, bool(gain), [float(v) for v in q], bool(per_second)))
            return kk.predict_motion_numpy(x, P, dt, gain, q, per_second)
        f = fp(x, P)
        A, Q = matrices(len(x), dt, gain, q, per_second)
        f.predict(F=A, Q=Q)
        x[:], P[:, :] = f.x.ravel(), f.P

    def update(x, P, z, i, r):
        if mode == "record":
            calls.append(("u", len(x), id(x), float(z), int(i), float(r)))
            return kk.update_numpy(x, P, z, i, r)
        f = fp(x, P)
        H = np.zeros((1, len(x)))
        H[0, i] = 1.0
        f.update(np.array([[z]]), R=np.array([[r]]), H=H)
        x[:], P[:, :] = f.x.ravel(), f.P

    kk.predict_motion, kk.update = predict, update
    start = time.perf_counter()
    result = run(samples)
    seconds = time.perf_counter() - start
    out = {"seconds": seconds, "table": result.table.tolist()}
    if mode == "record":
        out["calls"] = calls
    print(json.dumps(out))


def in_child(bag: str, mode: str) -> dict:
    env = {**os.environ, "SPRINT_FUSION_KERNELS": "numpy"}
    done = subprocess.run([sys.executable, __file__, "--child", mode, bag], env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def replay(calls, kind: str, repeat: int = 3) -> float:
    """The recorded calls, in order, on fresh filters: this package's compiled steps called from
    Python, or filterpy's: best seconds."""
    from filterpy.kalman import KalmanFilter

    from sprint_fusion.core import kalman_kernels as kk

    best = float("inf")
    for _ in range(repeat):
        state = {}
        prepared = []
        for c in calls:  # matrices and arrays made before timing: only the steps are timed
            n, key = c[1], c[2]
            if key not in state:
                if kind == "filterpy":
                    f = KalmanFilter(dim_x=n, dim_z=1)
                    f.P = np.eye(n)
                    state[key] = f
                else:
                    state[key] = (np.zeros(n), np.eye(n))
            if c[0] == "p":
                if kind == "filterpy":
                    A, Q = np.empty((n, n)), np.empty((n, n))
                    kk.transition_into(A, c[3])
                    kk.noise_into(Q, c[3], c[4], np.array(c[5]), c[6])
                    prepared.append(("p", state[key], (A, Q)))
                else:
                    prepared.append(("p", state[key], (c[3], c[4], np.array(c[5]), c[6])))
            else:
                if kind == "filterpy":
                    H = np.zeros((1, n))
                    H[0, c[4]] = 1.0
                    prepared.append(("u", state[key], (np.array([[c[3]]]), np.array([[c[5]]]), H)))
                else:
                    prepared.append(("u", state[key], (c[3], c[4], c[5])))
        start = time.perf_counter()
        if kind == "filterpy":
            for op, f, args in prepared:
                if op == "p":
                    f.predict(F=args[0], Q=args[1])
                else:
                    f.update(args[0], R=args[1], H=args[2])
        else:
            predict, update = kk.predict_motion, kk.update
            for op, (x, P), args in prepared:
                if op == "p":
                    predict(x, P, *args)
                else:
                    update(x, P, *args)
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
    print(f"  whole chain (without reading the bag): this package {ours_t:5.2f} s (compiled runs of IMU samples), "
          f"filterpy-built {theirs['seconds']:5.2f} s → {theirs['seconds'] / ours_t:.0f}×; "
          f"per step {1e6 * ours_t / len(calls):5.2f} µs against {1e6 * theirs['seconds'] / len(calls):5.2f} µs")


if __name__ == "__main__":
    main()
