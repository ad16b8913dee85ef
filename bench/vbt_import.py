"""A large VBT export into the athlete store: wall time and peak memory of one import.

    python bench/vbt_import.py [--reps 673000]

Writes a GymAware-style export (one row per rep, ~75 bytes a row: 673 k reps ≈ 50 MB) of 40
athletes over a season, then imports it into a fresh SQLite store in a child process and prints
the time and the child's peak resident memory.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = ["Athlete", "Recorded", "Exercise", "Bar Load", "Rep", "Mean Velocity", "Peak Velocity", "Mean Power",
          "Peak Power"]


def write_export(path: Path, reps: int) -> None:
    start = dt.datetime(2026, 1, 5, 9, 0)
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        n = session = 0
        while n < reps:
            athlete, day = session % 40, session // 40
            t = start + dt.timedelta(days=day, minutes=3 * athlete)
            for s, load in enumerate((60, 80, 100, 120, 140)):
                for rep in range(1, 6):
                    v = 1.5 - 0.007 * load - 0.02 * rep
                    when = t + dt.timedelta(minutes=4 * s, seconds=5 * rep)
                    out.writerow([f"Athlete {athlete:02d}", when.isoformat(), "Back Squat", load, rep, f"{v:.3f}",
                                  f"{v * 1.5:.3f}", f"{v * load * 9.8:.0f}", f"{v * load * 15:.0f}"])
                    n += 1
            session += 1


def child(export: str, db: str) -> None:
    from sprint_fusion.monitoring.ingest import import_vbt
    from sprint_fusion.monitoring.store import Store
    from sprint_fusion.monitoring.vbt import VbtMapping

    mapping = VbtMapping.load(Path(__file__).resolve().parents[1] / "config" / "vbt" / "gymaware.yaml")
    store = Store(db)
    start = time.perf_counter()
    report = import_vbt(store, export, mapping)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{report.added} sessions in {wall:.1f} s, peak RSS {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=673_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export.csv"
        write_export(export, args.reps)
        print(f"{args.reps} reps, {export.stat().st_size / 1e6:.1f} MB")
        subprocess.run([sys.executable, __file__, "--child", str(export), str(Path(tmp) / "a.db")], check=True)


if __name__ == "__main__":
    main()
