"""Offline throughput and memory: a long 400 Hz IMU + 20 Hz GNSS session bag
(a) merely read and deserialised with rosbags, (b) read and through the whole KF5 + KF2 chain
(what `demo`, `tune` and the athlete import do: IMU decoded in columns, runs of samples through
the compiled IMU step), (c) through `replay` (also writing every graph topic and the CSV, so
sample by sample). The compiled code is cached on disk beforehand, so no phase pays numba's
compilation.
Each phase runs in its own process, on one core (--all-cores: not pinned), so its peak memory is
its own.

    python bench/replay_throughput.py --minutes 60          # the issue's case (makes the bag once)
    python bench/replay_throughput.py --minutes 5 --minutes 60   # memory against bag length
    python bench/replay_throughput.py --minutes 60 --phases read,chain
    python bench/replay_throughput.py --minutes 10 --phases read,replay --repeat 5   # a noisy machine

--repeat N runs the phases in turn N times and reports each phase's median and the median of the
rounds' ratios to the read: a machine whose speed drifts within minutes moves both phases of a round.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import ROOT, cpu_seconds, peak_rss_mb, session_bag


def read_imu_count(bag: Path) -> int:
    from sprint_fusion.bags.reader import read_blocks
    from sprint_fusion.core.samples import ImuBlock

    return sum(len(item) for block in read_blocks(bag) for item in block if isinstance(item, ImuBlock))


def phase(name: str, bag: Path) -> dict:
    from rosbags.highlevel import AnyReader

    from sprint_fusion.bags.reader import read_blocks
    from sprint_fusion.bags.writer import typestore
    from sprint_fusion.core.fusion import SprintFusion

    start, cpu0 = time.perf_counter(), cpu_seconds()
    imu = 0
    if name == "read":
        with AnyReader([bag], default_typestore=typestore()) as reader:
            for conn, _, raw in reader.messages():
                reader.deserialize(raw, conn.msgtype)
                imu += conn.topic == "/imu/data"
    elif name == "chain":  # streaming: each block's rows are dropped, as replay writes them out
        fusion = SprintFusion()
        for block in read_blocks(bag):
            fusion.push_block(block)
        fusion.flush()
        imu = fusion.stats.imu
    else:  # `sprint-fusion replay BAG -o OUT` as a user runs it: the default (accurate) profile, the
        # velocity's lag measured on the bag first, every topic, the CSV, the summary and trials printed
        from sprint_fusion.cli import main as cli

        with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
            if cli(["replay", str(bag), "-o", str(Path(tmp) / "out")]) != 0:
                raise RuntimeError("replay failed")
        imu = None
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
    if imu is None:  # counted after the timing
        imu = read_imu_count(bag)
    return {"phase": name, "wall_s": wall, "cpu_s": cpu, "imu_samples": imu,
            "imu_per_s": imu / wall, "peak_rss_mb": peak_rss_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, action="append", help="session length (repeatable; default 60)")
    parser.add_argument("--phases", default="read,chain,replay", help="which phases (default: all three)")
    parser.add_argument("--all-cores", action="store_true",
                        help="do not pin each phase to one core (replay compresses and writes its CSV beside itself)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the phases, run in turn (default 1)")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--bag", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, Path(args.bag))))
        return
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    from sprint_fusion.bags.reader import read_blocks
    from sprint_fusion.core.fusion import run_blocks

    run_blocks(read_blocks(ROOT / "bags" / "sprint_40m"))  # numba's cache filled before timing
    for minutes in args.minutes or [60.0]:
        bag = session_bag(minutes)
        rounds = []
        for _ in range(args.repeat):
            results = {}
            for name in args.phases.split(","):
                pin = [] if args.all_cores else ["taskset", "-c", "0"]
                out = subprocess.run([*pin, sys.executable, __file__, "--phase", name, "--bag", str(bag)],
                                     capture_output=True, text=True, env=env, check=True)
                results[name] = json.loads(out.stdout.strip().splitlines()[-1])
            rounds.append(results)
        print(f"{minutes:g} min bag ({rounds[0]['read']['imu_samples']} IMU samples)"
              + (f", median of {len(rounds)} rounds:" if len(rounds) > 1 else ":"))
        for name in rounds[0]:
            wall = np.median([r[name]["wall_s"] for r in rounds])
            ratios = [r[name]["wall_s"] / r["read"]["wall_s"] for r in rounds]
            spread = f" ({min(ratios):.1f}–{max(ratios):.1f})" if len(rounds) > 1 else ""
            print(f"  {name:7} {wall:8.1f} s  {rounds[0][name]['imu_samples'] / wall:9.0f} IMU samples/s  "
                  f"×{np.median(ratios):4.1f}{spread} the bare read  "
                  f"peak RSS {max(r[name]['peak_rss_mb'] for r in rounds):6.0f} MB")


if __name__ == "__main__":
    main()
