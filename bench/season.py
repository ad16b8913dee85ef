"""A season offline: many session bags through the KF5 + KF2 chain and the sprint analysis, in
parallel across cores; prints the wall time for 1…N processes and the speed-up.

    python bench/season.py [--bags 8] [--minutes 5]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

from common import session_bag


def analyze(bag: str) -> int:
    from sprint_fusion.bags.reader import read_blocks
    from sprint_fusion.sprint.session import analyze_blocks

    result = analyze_blocks(read_blocks(bag))
    return len(result.trials)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bags", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=5.0)
    args = parser.parse_args()
    bags = [str(session_bag(args.minutes))] * args.bags  # the same bag, n times: n sessions of work
    base = None
    for workers in range(1, (os.cpu_count() or 1) + 1):
        start = time.perf_counter()
        with ProcessPoolExecutor(workers) as pool:
            trials = sum(pool.map(analyze, bags))
        wall = time.perf_counter() - start
        base = base or wall
        hours = args.bags * args.minutes / 60
        print(f"{workers} process(es): {args.bags} × {args.minutes:g} min sessions ({trials} trials) in {wall:.0f} s "
              f"— {hours * 3600 / wall:.0f}× real time, speed-up {base / wall:.2f}")


if __name__ == "__main__":
    main()
