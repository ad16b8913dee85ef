"""Accuracy of the fused speed on the validation set (sim/validation.py): recorded sprints with
realistic receivers, the receiver's own speed against KF2 and KF5 of each filter profile.

    python bench/accuracy.py [--profiles paper,default] [--seeds 2] [--receivers rtk_fixed,...]
    python bench/accuracy.py --profiles accurate@time.fix_delay=0,accurate   # a profile changed

Per receiver, the mean over runs of: speed RMSE from the start of motion, RMSE by phase (s after
the start), the worst split-time error at 5/10/20/30 m, and the distance error at the end.
"""

from __future__ import annotations

import argparse

import numpy as np
from common import ROOT

from sprint_fusion.core.params import FilterParams, parse_override
from sprint_fusion.paths import config_file
from sprint_fusion.sim import validation as val

SHARED = ROOT.parent / "shared" / "data" / "sprint"


def profile(spec: str) -> FilterParams:
    """A profile by name, or NAME@PARAM=VALUE[@…]: that profile with those values changed."""
    name, *changes = spec.split("@")
    return FilterParams.from_yaml(config_file("filters", f"{name}.yaml"), dict(parse_override(c) for c in changes))


def evaluate(receiver: str, profiles: list[str], seeds: int) -> dict[str, list]:
    out: dict[str, list] = {}
    for spec in val.traces(SHARED).values():
        for seed in range(seeds):
            sc = val.scenario(spec, receiver, seed)
            truth, start = sc.simulated.truth, val.start_of_motion(sc.simulated.truth)
            out.setdefault("receiver", []).append(val.score(*val.receiver_speed(sc), truth, start))
            for name in profiles:
                res = val.fused(sc, profile(name), smooth=True)
                out.setdefault(f"{name}: KF2", []).append(val.score(res["t"], res["kf2_speed"], truth, start))
                out.setdefault(f"{name}: KF5", []).append(val.score(res["t"], res["kf5_speed"], truth, start))
                out.setdefault(f"{name}: smoothed", []).append(val.score(res["t"], res["smoothed_speed"], truth,
                                                                         start))
    return out


def table(results: dict[str, list]) -> str:
    head = ["estimator", "RMSE", *(f"{a:g}–{b:g} s" for a, b in val.PHASES), "worst split [ms]", "distance"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, scores in results.items():
        phases = np.nanmean([s.phases for s in scores], axis=0)
        worst = np.nanmax([np.nanmax(np.abs(s.splits)) for s in scores]) * 1e3
        dist = np.nanmean([s.distance for s in scores]) * 100
        rows.append(f"| {name} | {np.nanmean([s.rmse for s in scores]):.3f} | "
                    + " | ".join(f"{p:.3f}" for p in phases) + f" | {worst:.0f} | {dist:+.2f} % |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profiles", default="paper")
    parser.add_argument("--receivers", default=",".join(val.RECEIVERS))
    parser.add_argument("--seeds", type=int, default=1)
    args = parser.parse_args()
    for receiver in args.receivers.split(","):
        print(f"\n**{receiver}** (RMSE m/s from the start of motion, by phase; mean of the runs):\n")
        print(table(evaluate(receiver, args.profiles.split(","), args.seeds)))


if __name__ == "__main__":
    main()
