"""How long a GNSS outage the IMU bridges: 100 m sprints (MSS 9.5 m/s) with an outage at full
speed, through the filters and the sprint analysis; prints the worst split-time error and the
top speed against the run without an outage. The README's table of `quality.max_bridge` comes
from this script: python bench/outage_bridging.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sprint_fusion.scoring import crossing_times
from sprint_fusion.sim.scenario import build
from sprint_fusion.sprint.session import analyze_samples

OUTAGES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
SEEDS = (1, 2)
ONSET = 2.0  # s: the scenario's standstill
GATES = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])


def scenario(outage: float, seed: int):
    return build({
        "run": {"seed": seed, "duration": 20.0, "standstill": ONSET, "heading_deg": 30.0,
                "profile": {"model": "session", "repetitions": [
                    {"mss": 9.5, "tau": 1.2, "run_time": 9.0, "decel": 3.0, "rest": 3.0}]},
                "running": {"step_frequency": 4.5, "speed_oscillation": 0.05, "vertical_amplitude": 0.03,
                            "trunk_yaw_amplitude": 4.0, "lean_deg": 8.0}},
        "gnss": {"rate": 10.0, "fix_type": "rtk_fixed", "outages": [[ONSET + 4.0, outage]] if outage else []},
        "imu": {"rate": 100.0, "orientation": True}})


def main() -> None:
    base = {}
    head = ("outage [s]", "seed", "verdict", "KF2 split err [s]", "KF2 top [m/s]", "vs none")
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, (10, 5, 28, 18, 14, 8), strict=True)))
    for outage in OUTAGES:
        for seed in SEEDS:
            sc = scenario(outage, seed)
            truth = sc.simulated.truth
            (trial,) = analyze_samples(sc.simulated.merged()).trials
            kf2 = trial.estimators["kf2"]
            expected = crossing_times(truth.t, truth.distance, GATES) - ONSET
            got = np.array([s.time for s in kf2.splits if s.distance in GATES]) + trial.onset - ONSET
            err = np.max(np.abs(got - expected[: len(got)]))
            base.setdefault(seed, kf2.top_speed)
            change = kf2.top_speed / base[seed] - 1
            print(f"{outage:10.1f} {seed:5d} {trial.quality.verdict:>28} {err:18.3f} {kf2.top_speed:14.2f} "
                  f"{change:+8.1%}")


if __name__ == "__main__":
    main()
