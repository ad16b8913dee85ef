"""The `sprint-fusion` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .core.fusion import run
from .core.params import FilterParams, ParameterError, markdown_table, parse_override
from .paths import bag_dir, config_file
from .summary import summarize, summary


def _filter_params(args) -> FilterParams:
    overrides = dict(parse_override(text) for text in args.set)
    return FilterParams.from_yaml(args.filters, overrides)


def cmd_demo(args) -> int:
    from .bags.reader import read_samples, read_truth, topics_in

    params = _filter_params(args)
    result = run(((kind, sample) for kind, sample, _ in read_samples(args.bag)), params)
    rows = []
    if any(t.endswith("/truth/track") for t in topics_in(args.bag)):
        truth = read_truth(args.bag)
        rows.append(("truth", summary(truth.t, truth.distance, truth.speed)))
    rows += list(summarize(result).items())
    t0 = result["t"][0] if len(result.table) else 0.0
    print(f"bag      {args.bag}")
    print(f"filters  {args.filters}")
    print(f"{'':6}{'distance [m]':>14}{'top speed [m/s]':>17}{'at [s]':>9}   (top speed: best 0.5 s mean)")
    for name, s in rows:
        print(f"{name:6}{s.distance:14.2f}{s.top_speed:17.2f}{s.top_speed_time - t0:9.2f}")
    st = result.stats
    print(f"samples: {st.imu} IMU, {st.gnss} GNSS, {st.no_fix} without fix, {st.rejected} rejected, "
          f"{st.dropped} dropped, {st.resets} resets")
    return 0


def cmd_simulate(args) -> int:
    from .bags.simulation import simulation_records
    from .bags.writer import typestore, write_bag
    from .msgs import bag_types
    from .sim.scenario import load
    from .sim.ubx import ubx_log

    scenario = load(args.scenario)
    store = typestore()
    records = simulation_records(scenario, bag_types(store), args.namespace, truth=not args.no_truth)
    with _progress(len(records), "writing bag") as bar:
        count = write_bag(args.output, records, store, args.storage, progress=bar.update)
    print(f"{args.output}: {count} messages ({args.storage})")
    if not args.no_ubx:
        ubx = Path(str(args.output).rstrip("/") + ".ubx")
        ubx.write_bytes(ubx_log(scenario.simulated.epochs, scenario.start_utc))
        print(f"{ubx}: {len(scenario.simulated.epochs)} epochs (NAV-HPPOSLLH + NAV-PVT)")
    return 0


def _progress(total: int, what: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=what, unit="msg", disable=None, leave=False)


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

    demo = with_filters(sub.add_parser("demo", help="run KF2 and KF5 on a bag, print distance and top speed"))
    demo.add_argument("bag", nargs="?", default=str(bag_dir() / "sprint_40m"),
                      help="rosbag2 or ROS 1 bag (default: the bundled 40 m sprint)")
    demo.set_defaults(func=cmd_demo)

    sim = sub.add_parser("simulate", help="simulate a scenario into a rosbag2 (+ UBX log) with ground truth")
    sim.add_argument("scenario", help="scenario YAML (see config/scenarios/)")
    sim.add_argument("-o", "--output", required=True, help="bag folder to create; the UBX log goes to OUTPUT.ubx")
    sim.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    sim.add_argument("--namespace", default="", help="topic namespace, e.g. /athlete1")
    sim.add_argument("--no-truth", action="store_true", help="leave out the truth/* topics")
    sim.add_argument("--no-ubx", action="store_true", help="do not write the UBX log")
    sim.set_defaults(func=cmd_simulate)

    params = with_filters(sub.add_parser("params", help="print the effective filter parameters"))
    params.add_argument("--markdown", action="store_true", help="the README table of every parameter")
    params.set_defaults(func=cmd_params)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ParameterError, ValueError, OSError, RuntimeError) as err:
        print(f"sprint-fusion: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
