"""`sprint-fusion batch` on 1 and on 2 local Dask workers: N copies of a session bag (400 Hz IMU +
20 Hz GNSS, made once under bench/out/), each through replay and report; wall time and speed-up.
With --repeat N, N rounds of both (alternating which goes first: this machine's speed drifts within
minutes) and the median of the rounds' speed-ups. Each round also measures the machine's own
ceiling: a bare Python loop's throughput, two at once against one alone.

    python bench/batch_scaling.py [--bags 6] [--minutes 1] [--repeat 1]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import session_bag


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bags", type=int, default=6)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=1, help="rounds of both, alternating which runs first")
    args = ap.parse_args()
    bag = session_bag(args.minutes)
    cli = str(Path(sys.executable).with_name("sprint-fusion"))
    with tempfile.TemporaryDirectory() as tmp:
        season = Path(tmp) / "season"
        season.mkdir()
        for k in range(args.bags):
            (season / f"session_{k:02d}").symlink_to(bag, target_is_directory=True)
        ratios, ceilings = [], []
        for round_ in range(args.repeat):
            walls = {}
            for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
                out = Path(tmp) / f"out{workers}_{round_}"
                start = time.perf_counter()
                subprocess.run([cli, "batch", str(season), "-o", str(out), "--workers", str(workers)], check=True,
                               capture_output=True)
                walls[workers] = time.perf_counter() - start
                shutil.rmtree(out)  # GBs of replayed bags
                print(f"{args.bags} × {args.minutes:g}-minute bags on {workers} worker(s): {walls[workers]:.1f} s",
                      flush=True)
            ratios.append(walls[1] / walls[2])
            ceilings.append(_loop_ceiling())
            print(f"speed-up with 2 workers: ×{ratios[-1]:.2f} (a bare loop's, two at once: ×{ceilings[-1]:.2f})",
                  flush=True)
    if args.repeat > 1:
        print(f"median of {args.repeat} rounds: ×{statistics.median(ratios):.2f} "
              f"(rounds {', '.join(f'×{r:.2f}' for r in ratios)}); a bare loop's: "
              f"×{statistics.median(ceilings):.2f}")


LOOP = "s = 0\nfor i in range(20_000_000):\n    s += i * i"


def _loop_ceiling() -> float:
    """What two cores give here: a pure-Python loop (no memory traffic, no I/O) alone, then two
    copies at once; the throughput ratio (2 = two full cores)."""
    def timed(copies: int) -> float:
        start = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, "-c", LOOP]) for _ in range(copies)]
        for p in procs:
            p.wait()
        return time.perf_counter() - start

    return 2 * timed(1) / timed(2)


if __name__ == "__main__":
    main()
