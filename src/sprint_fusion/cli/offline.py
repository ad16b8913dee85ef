"""Offline fusion of recorded bags: demo, replay, tune, report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..files import claim, write_text
from ..paths import bag_dir
from ..summary import summarize
from .common import (
    analyzer,
    bag_filter_params,
    filter_params,
    print_summary,
    print_trials,
    progress,
    shown,
    sprint_options,
    with_filters,
    with_force,
)


def cmd_demo(args) -> int:
    from ..bags.reader import read_blocks
    from ..core.fusion import run_blocks

    params = bag_filter_params(args)
    damage = []
    result = run_blocks(read_blocks(args.bag, on_damage=damage.append), params)
    print(f"bag      {shown(args.bag)}")
    print(f"filters  {shown(args.filters)}")
    print_summary(args.bag, summarize(result), result.stats, result["t"][0] if len(result.table) else 0.0)
    return damaged(damage, "summarised up to there")


def cmd_replay(args) -> int:
    import functools
    import gc

    from ..bags.heap import keep_freed_memory
    from ..bags.read_ahead import ReadAhead
    from ..bags.reader import bag_params, measures_lag, parse_remap, read_beforehand

    keep_freed_memory()  # before the read-ahead child forks: it inherits the setting
    claim([args.output, args.csv or str(args.output).rstrip("/") + ".csv"], args.force)
    remap = parse_remap(args.remap)
    csv_path = args.csv or str(args.output).rstrip("/") + ".csv"
    # a child process reads what the lag is measured on (the bag's fixes and starts) and the start
    # signals, then the bag's blocks, while this one starts up (the replay modules, the compiled
    # steps), then measures it: that read loads no compiled steps, so numba's start (~0.4 s) is not
    # before it in the child too
    start = filter_params(args)
    prepare = functools.partial(read_beforehand, args.bag, args.namespace, remap, measures_lag(start))
    # what is loaded by now (and the compiled steps, below) lives as long as the command: frozen, the
    # garbage collector stops walking it at every full collection (~5 % of replay's time, measured)
    gc.freeze()
    try:
        with ReadAhead(args.bag, args.namespace, remap, prepare=prepare) as source:
            from ..bags.replay import replay, start_up

            start_up()
            gc.freeze()
            calibration, signals = source.prepared()
            params, said = bag_params(start, args.bag, args.namespace, remap, calibration)
            if said:
                print(said)
            with progress(None, "replaying") as bar:
                done = replay(args.bag, args.output, params, args.namespace, remap, args.storage, csv_path,
                              progress=bar.update, analyzer=analyzer(args), keep_table=False, force=args.force,
                              compression=args.compression, topics=args.topics, source=source,
                              start_signals=signals)
    finally:
        gc.unfreeze()  # a caller in this process (a script, a test) has its whole collector back
    print(f"{shown(args.output)}: {done.messages} messages (inputs and graph outputs)")
    for pattern in done.unmatched:  # a typo writes nothing of what was meant: say so
        print(f"sprint-fusion: warning: --topics {pattern} matched no topic of this replay", file=sys.stderr)
    print(f"fused state: {shown(csv_path)}")
    print_summary(args.bag, done.summary, done.result.stats, done.first_stamp, args.namespace)
    if done.fix_latency is not None:
        print(done.fix_latency.advice(params["time.fix_delay"]))
    print_trials(done.trials)
    return damaged([done.damage] if done.damage else [], "replayed up to there")


def damaged(damage: list, done: str) -> int:
    """Exit code of a command that read a damaged bag (a killed recording) up to the damage: its
    outputs are written from everything before it; the damage is an error all the same."""
    for err in damage:
        print(f"sprint-fusion: error: {err} ({done})", file=sys.stderr)
    return 1 if damage else 0


def cmd_tune(args) -> int:
    from ..bags.reader import parse_remap, read_truth
    from ..bags.tune import parse_grid, table, tune
    from ..core.params import params_file_text
    from ..scoring import from_truth, read_reference_csv

    claim([args.output], args.force)
    base = filter_params(args)
    grid = parse_grid(args.grid)
    if args.reference == "truth":
        truth = read_truth(args.bag, args.namespace)
        reference = from_truth(truth.t, truth.distance, truth.speed)
    else:
        reference = read_reference_csv(args.reference, args.time_offset)
    damage = []
    trials = tune(args.bag, reference, grid, base, args.estimator, args.metric, args.jobs, args.namespace,
                  parse_remap(args.remap), damage.append)
    metric = args.metric or reference.metrics[0]
    print(f"{len(trials)} runs of {args.estimator.upper()} on {shown(args.bag)} against {reference.name}, "
          f"ranked by {metric}:")
    print(table(trials, list(grid), reference.metrics))
    best = trials[0]
    start = next(tr for tr in trials if tr.baseline)
    values = {**base, **best.overrides}
    note = (f"Tuned by `sprint-fusion tune` on {Path(args.bag).name} against {reference.name}, {args.estimator}:\n"
            f"{metric} {best.scores[metric]:.4f} (start profile {start.scores[metric]:.4f}); changed: "
            f"{best.overrides or 'nothing (the start profile was best)'}")
    write_text(args.output, params_file_text(values, note))
    print(f"best parameters: {shown(args.output)}")
    return damaged(damage, "tuned on what came before it")


def cmd_report(args) -> int:
    from ..bags.reader import parse_remap
    from ..sprint.report import write_report
    from ..sprint.session import report_bag

    out = Path(args.output)
    claim([out] if out.exists() and any(out.iterdir()) else [], args.force)  # an empty folder is no report
    damage = []
    session, report = report_bag(args.bag, bag_filter_params(args), analyzer(args), args.namespace,
                                 parse_remap(args.remap), damage.append, args.timezone)
    paths = write_report(report, out, figures=not args.no_figures)
    print_trials(session.trials)
    for kind, path in paths.items():
        print(f"{kind}: {shown(path)}")
    return damaged(damage, "reported up to there")


def timezone_name(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise argparse.ArgumentTypeError(f"'{name}' is not an IANA time zone (such as Europe/Berlin or UTC)") from e
    return name


def bag_input(p, what: str = "rosbag2 (MCAP, sqlite3) or ROS 1 bag"):
    """The bag to read and how its topics map onto this package's."""
    p.add_argument("bag", help=what)
    p.add_argument("--namespace", default="", help="the athlete namespace of the bag's topics")
    p.add_argument("--remap", action="append", default=[], metavar="FROM:=TO",
                   help="read a bag topic as one of ours, e.g. --remap /fix:=gnss/fix --remap /imu/data:=imu/data")
    return p


def add_parsers(sub) -> None:
    demo = with_filters(sub.add_parser("demo", help="run KF2 and KF5 on a bag, print distance and top speed"))
    demo.add_argument("bag", nargs="?", default=str(bag_dir() / "sprint_40m"),
                      help="rosbag2 or ROS 1 bag (default: the bundled 40 m sprint)")
    demo.set_defaults(func=cmd_demo)

    rep = with_force(with_filters(sub.add_parser(
        "replay", help="a bag through KF2 + KF5 offline → bag with the graph's outputs, CSV of the fused state, "
                       "summary")))
    bag_input(rep)
    rep.add_argument("-o", "--output", required=True, help="bag folder to create")
    rep.add_argument("--csv", help="fused-state CSV (default: OUTPUT.csv)")
    rep.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    rep.add_argument("--compression", choices=("zstd", "lz4", "none"), default="zstd",
                     help="MCAP chunk compression (default zstd, as ros2 bag record's zstd presets)")
    rep.add_argument("--topics", nargs="+", metavar="PATTERN",
                     help="write only these topics (patterns: 'fusion/speed' 'fusion/kf2/*' 'imu/*'); default all")
    sprint_options(rep)
    rep.set_defaults(func=cmd_replay)

    tun = with_force(with_filters(sub.add_parser(
        "tune", help="replay a bag over a parameter grid, rank against a reference, write the best parameter file")))
    bag_input(tun)
    tun.add_argument("--reference", required=True,
                     help="'truth' (a simulated bag's truth topics), a timing-gate CSV (distance,time) or a "
                          "radar/laser CSV (time,velocity); times on the bag clock in s")
    tun.add_argument("--time-offset", type=float, default=0.0,
                     help="seconds added to the reference's times (e.g. the bag time of the start signal)")
    tun.add_argument("--grid", action="append", required=True, metavar="NAME=V1,V2,…",
                     help="values to try for one parameter, e.g. --grid speed.r=5,10,20,40 (repeat for more)")
    tun.add_argument("--estimator", choices=("kf5", "kf2"), default="kf5")
    tun.add_argument("--metric", choices=("velocity", "split", "distance"),
                     help="ranking score (default: velocity when the reference has speeds, else split)")
    tun.add_argument("--jobs", type=int, help="parallel processes (default: one per core)")
    tun.add_argument("-o", "--output", default="tuned.yaml", help="best parameter file (default tuned.yaml)")
    tun.set_defaults(func=cmd_tune)

    rpt = with_force(with_filters(sub.add_parser(
        "report", help="sprint diagnostics of a bag (or a replay's output): sprint.json, trials.csv, plots, an HTML "
                       "page")))
    bag_input(rpt, "rosbag2 (MCAP, sqlite3) or ROS 1 bag, or the output of replay")
    rpt.add_argument("-o", "--output", required=True, help="folder for the report files")
    rpt.add_argument("--no-figures", action="store_true", help="only sprint.json and trials.csv")
    rpt.add_argument("--timezone", type=timezone_name, metavar="ZONE",
                     help="IANA time zone of the page's times, e.g. Europe/Berlin (default: this computer's)")
    sprint_options(rpt)
    rpt.set_defaults(func=cmd_report)
