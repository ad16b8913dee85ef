"""The `sprint-fusion` command."""

from __future__ import annotations

import argparse
import sys

import numpy as np

from .core.fusion import run
from .core.params import FilterParams, ParameterError, markdown_table, parse_override
from .paths import config_file
from .summary import RunSummary, summarize


def _filter_params(args) -> FilterParams:
    overrides = dict(parse_override(text) for text in args.set)
    return FilterParams.from_yaml(args.filters, overrides)


def cmd_demo(args) -> int:
    from .sim.scenario import simulate_file

    params = _filter_params(args)
    sim = simulate_file(args.scenario)
    result = run(sim.merged(), params)
    truth = sim.truth
    i = int(np.argmax(truth.speed))
    rows = [("truth", RunSummary(float(truth.distance[-1]), float(truth.speed[i]), float(truth.t[i])))]
    rows += list(summarize(result).items())
    print(f"scenario {args.scenario}: {len(sim.imu)} IMU samples, {len(sim.gnss)} GNSS fixes")
    print(f"filters  {args.filters}")
    print(f"{'':6}{'distance [m]':>14}{'top speed [m/s]':>17}{'at [s]':>9}")
    for name, s in rows:
        print(f"{name:6}{s.distance:14.2f}{s.top_speed:17.2f}{s.top_speed_time:9.2f}")
    st = result.stats
    print(f"samples: {st.imu} IMU, {st.gnss} GNSS, {st.rejected} rejected, {st.dropped} dropped, {st.resets} resets")
    return 0


def cmd_params(args) -> int:
    if args.markdown:
        print(markdown_table())
    else:
        for name, value in _filter_params(args).items():
            print(f"{name}: {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sprint-fusion", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def with_filters(p):
        p.add_argument("--filters", default=str(config_file("filters", "paper.yaml")),
                       help="filter parameter file (ROS 2 params YAML; default: the paper profile)")
        p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="override one filter parameter, e.g. --set gnss.r_from=variance")
        return p

    demo = with_filters(sub.add_parser("demo", help="simulate a sprint and run KF2 and KF5 on it"))
    demo.add_argument("--scenario", default=str(config_file("scenarios", "sprint_40m.yaml")))
    demo.set_defaults(func=cmd_demo)

    params = with_filters(sub.add_parser("params", help="print the effective filter parameters"))
    params.add_argument("--markdown", action="store_true", help="the README table of every parameter")
    params.set_defaults(func=cmd_params)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ParameterError, ValueError, OSError) as err:
        print(f"sprint-fusion: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
