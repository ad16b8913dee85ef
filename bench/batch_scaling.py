"""`sprint-fusion batch` on 1 and on 2 local Dask workers: N copies of a session bag (400 Hz IMU +
20 Hz GNSS, made once under bench/out/), each through replay and report; wall time and speed-up.

    python bench/batch_scaling.py [--bags 6] [--minutes 1]
"""

from __future__ import annotations

import argparse
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
    args = ap.parse_args()
    bag = session_bag(args.minutes)
    cli = str(Path(sys.executable).with_name("sprint-fusion"))
    with tempfile.TemporaryDirectory() as tmp:
        season = Path(tmp) / "season"
        season.mkdir()
        for k in range(args.bags):
            (season / f"session_{k:02d}").symlink_to(bag, target_is_directory=True)
        walls = {}
        for workers in (1, 2):
            start = time.perf_counter()
            subprocess.run([cli, "batch", str(season), "-o", str(Path(tmp) / f"out{workers}"), "--workers",
                            str(workers)], check=True, capture_output=True)
            walls[workers] = time.perf_counter() - start
            print(f"{args.bags} × {args.minutes:g}-minute bags on {workers} worker(s): {walls[workers]:.1f} s")
    print(f"speed-up with 2 workers: ×{walls[1] / walls[2]:.2f}")


if __name__ == "__main__":
    main()
