"""The `sprint-fusion` command."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .core.params import FilterParams, ParameterError, markdown_table, parse_override
from .paths import bag_dir, config_file
from .sensors.driver_params import GNSS_DRIVER_PARAMS, IMU_DRIVER_PARAMS
from .summary import summarize, summary


def _filter_params(args) -> FilterParams:
    overrides = dict(parse_override(text) for text in args.set)
    return FilterParams.from_yaml(args.filters, overrides)


def cmd_demo(args) -> int:
    from .bags.reader import read_blocks
    from .core.fusion import run_blocks

    params = _filter_params(args)
    result = run_blocks(read_blocks(args.bag), params)
    print(f"bag      {_shown(args.bag)}")
    print(f"filters  {_shown(args.filters)}")
    _print_summary(args.bag, summarize(result), result.stats, result["t"][0] if len(result.table) else 0.0)
    return 0


def cmd_replay(args) -> int:
    from .bags.reader import parse_remap
    from .bags.replay import replay

    params = _filter_params(args)
    csv_path = args.csv or str(args.output).rstrip("/") + ".csv"
    with _progress(None, "replaying") as bar:
        done = replay(args.bag, args.output, params, args.namespace, parse_remap(args.remap), args.storage, csv_path,
                      progress=bar.update, analyzer=_analyzer(args), keep_table=False)
    print(f"{_shown(args.output)}: {done.messages} messages (inputs and graph outputs)")
    print(f"fused state: {_shown(csv_path)}")
    _print_summary(args.bag, done.summary, done.result.stats, done.first_stamp, args.namespace)
    _print_trials(done.trials)
    if done.damage:
        print(f"sprint-fusion: error: {done.damage} (replayed up to there)", file=sys.stderr)
        return 1
    return 0


def cmd_tune(args) -> int:
    from .bags.reader import parse_remap, read_truth
    from .bags.tune import parse_grid, table, tune
    from .core.params import params_file_text
    from .scoring import from_truth, read_reference_csv

    base = _filter_params(args)
    grid = parse_grid(args.grid)
    if args.reference == "truth":
        truth = read_truth(args.bag, args.namespace)
        reference = from_truth(truth.t, truth.distance, truth.speed)
    else:
        reference = read_reference_csv(args.reference, args.time_offset)
    trials = tune(args.bag, reference, grid, base, args.estimator, args.metric, args.jobs, args.namespace,
                  parse_remap(args.remap))
    metric = args.metric or reference.metrics[0]
    print(f"{len(trials)} runs of {args.estimator.upper()} on {_shown(args.bag)} against {reference.name}, "
          f"ranked by {metric}:")
    print(table(trials, list(grid), reference.metrics))
    best = trials[0]
    start = next(tr for tr in trials if tr.baseline)
    values = {**base, **best.overrides}
    note = (f"Tuned by `sprint-fusion tune` on {Path(args.bag).name} against {reference.name}, {args.estimator}:\n"
            f"{metric} {best.scores[metric]:.4f} (start profile {start.scores[metric]:.4f}); changed: "
            f"{best.overrides or 'nothing (the start profile was best)'}")
    Path(args.output).write_text(params_file_text(values, note), encoding="utf-8")
    print(f"best parameters: {_shown(args.output)}")
    return 0


SPRINT_FLAGS = {"mass": "athlete.bodymass", "height": "athlete.bodyheight", "temperature": "air.temperature",
                "pressure": "air.pressure", "wind": "air.wind", "start_speed": "trial.start_speed",
                "min_top_speed": "trial.min_top_speed", "end_fraction": "trial.end_fraction",
                "max_bridge": "quality.max_bridge", "min_rtk_fixed": "quality.min_rtk_fixed_share",
                "detect_on": "trial.detect_on"}


def _sprint_values(args) -> dict:
    from .core.params import read_params_file, validate_all
    from .sprint.params import SPRINT_PARAMS

    values = read_params_file(args.sprint_params, "/**/sprint_analyzer") if args.sprint_params else {}
    values.update({name: getattr(args, flag) for flag, name in SPRINT_FLAGS.items() if getattr(args, flag) is not None})
    if args.distances:
        try:
            values["splits.distances"] = [float(x) for x in args.distances.split(",")]
        except ValueError:
            raise ParameterError(f"--distances {args.distances}: numbers in metres, e.g. 10,20,30") from None
    values.update(dict(parse_override(text) for text in args.sprint_set))
    return validate_all(SPRINT_PARAMS, values)


def _analyzer(args):
    from .sprint.params import analyzer_from

    return analyzer_from(_sprint_values(args))


def _print_trials(trials) -> None:
    print(f"{len(trials)} trial(s)")
    for tr in trials:
        note = " (cut off)" if tr.cut_off else ""
        print(f"trial {tr.index}: {tr.quality.verdict}{note} — {'; '.join(tr.quality.reasons)}")
        for name, e in tr.estimators.items():
            splits = "  ".join(f"{s.distance:g} m {s.time:.2f} s" for s in e.splits[:6])
            mss = f"  MSS {e.profile.mss:.2f} TAU {e.profile.tau:.2f}" if e.profile else ""
            print(f"  {name.upper()}: top speed {e.top_speed:.2f} m/s at {e.top_speed_distance:.1f} m;  {splits}{mss}")


def cmd_report(args) -> int:
    from .bags.reader import parse_remap, read_blocks, read_start_signals
    from .sprint.report import SessionReport, write_report
    from .sprint.session import analyze_blocks

    analyzer = _analyzer(args)
    blocks = read_blocks(args.bag, args.namespace, remap=parse_remap(args.remap))
    session = analyze_blocks(blocks, _filter_params(args), analyzer, read_start_signals(args.bag, args.namespace))
    report = SessionReport(Path(args.bag).name, session.trials, analyzer.conditions, session.in_situ,
                           analyzer.distances)
    paths = write_report(report, args.output, figures=not args.no_figures)
    _print_trials(session.trials)
    for kind, path in paths.items():
        print(f"{kind}: {_shown(path)}")
    return 0


def cmd_athletes(args) -> int:
    from .monitoring.store import Store

    store = Store(args.db)
    try:
        return args.athletes_func(args, store)
    finally:
        store.close()


def _vbt_mapping(name: str):
    from .monitoring.vbt import VbtMapping

    path = Path(name) if name.endswith((".yaml", ".yml")) else config_file("vbt", f"{name}.yaml")
    if not path.exists():
        raise ValueError(f"vendor mapping {name!r}: no {path} (bundled: gymaware, generic)")
    return VbtMapping.load(path)


def athletes_import(args, store) -> int:
    from .monitoring import ingest
    from .monitoring.gps_load import LoadThresholds

    if args.kind == "vbt":
        report = ingest.import_vbt(store, args.file, _vbt_mapping(args.vendor))
    elif args.athlete is None:
        raise ValueError(f"import {args.kind}: --athlete NAME is required")
    elif args.kind == "sprint":
        report = ingest.import_sprint(store, args.file, args.athlete, args.timezone)
    else:
        thresholds = LoadThresholds(hsr_speed=args.hsr_speed, sprint_speed=args.sprint_speed)
        report = ingest.import_gps_bag(store, args.file, args.athlete, _filter_params(args), thresholds, args.timezone)
    print(report)
    return 0


def athletes_report(args, store) -> int:
    import datetime as dt

    from .monitoring.analysis import MonitoringParams
    from .monitoring.report import html_page, table
    from .monitoring.trends import athlete_trend

    params = MonitoringParams.from_yaml(args.settings) if args.settings else MonitoringParams()
    day = dt.date.fromisoformat
    trend = athlete_trend(store, args.athlete, params, day(args.date_from) if args.date_from else None,
                          day(args.date_to) if args.date_to else None)
    print(table(trend))
    if args.output:
        Path(args.output).write_text(html_page(trend, params), encoding="utf-8")
        print(f"report: {_shown(args.output)}")
    return 0


def athletes_list(args, store) -> int:
    from sqlalchemy import func, select

    from .monitoring.schema import Athlete, TrainingSession

    with store.transaction() as db:
        rows = db.execute(select(Athlete.name, TrainingSession.kind, func.count(TrainingSession.id))
                          .join(TrainingSession, TrainingSession.athlete_id == Athlete.id)
                          .group_by(Athlete.name, TrainingSession.kind).order_by(Athlete.name)).all()
    for name, kind, count in rows:
        print(f"{name:24} {kind:7} {count:4} session(s)")
    return 0


def _print_summary(bag, summaries: dict, stats, t0: float, namespace: str = "") -> None:
    from .bags.reader import read_truth, topics_in
    from .topics import TRUTH_TRACK, resolve

    rows = []
    if resolve(TRUTH_TRACK, namespace) in topics_in(bag):
        truth = read_truth(bag, namespace)
        rows.append(("truth", summary(truth.t, truth.distance, truth.speed)))
    rows += list(summaries.items())
    print(f"{'':6}{'distance [m]':>14}{'top speed [m/s]':>17}{'at [s]':>9}   (top speed: best 0.5 s mean)")
    for name, s in rows:
        print(f"{name:6}{s.distance:14.2f}{s.top_speed:17.2f}{s.top_speed_time - t0:9.2f}")
    st = stats
    print(f"samples: {st.imu} IMU, {st.gnss} GNSS, {st.no_fix} without fix, {st.rejected} rejected, "
          f"{st.dropped} dropped, {st.resets} resets")


def _shown(path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


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


def cmd_ubx2bag(args) -> int:
    from .bags.convert import driver_params, records, ubx_events

    gnss = driver_params(args.sensors, "gnss_driver", GNSS_DRIVER_PARAMS)
    imu = driver_params(args.sensors, "imu_driver", IMU_DRIVER_PARAMS)
    events, counters = ubx_events(args.log, imu, args.strip_comments)
    return _write_converted(args, records(events, gnss, imu, args.namespace, _bag_types()), counters)


def cmd_pos2bag(args) -> int:
    from .bags.convert import driver_params, pos_events, records

    gnss = driver_params(args.sensors, "gnss_driver", GNSS_DRIVER_PARAMS)
    imu = driver_params(args.sensors, "imu_driver", IMU_DRIVER_PARAMS)
    events, counters = pos_events(args.pos, args.imu, imu, args.imu_tag)
    return _write_converted(args, records(events, gnss, imu, args.namespace, _bag_types()), counters)


def _bag_types():
    from .bags.writer import typestore
    from .msgs import bag_types

    return bag_types(typestore())


def _write_converted(args, recs, counters) -> int:
    from .bags.writer import write_bag

    with _progress(len(recs), "writing bag") as bar:
        count = write_bag(args.output, recs, storage=args.storage, progress=bar.update)
    print(f"{args.output}: {count} messages ({args.storage})")
    for key, value in counters.items():
        print(f"  {key}: {value}")
    return 0


def cmd_graph(args) -> int:
    from .nodes.runner import run as run_graph

    given = dict(parse_override(x) for x in args.set)
    valid = FilterParams.from_yaml(args.filters, given)  # refuse bad values early, in the table's types
    overrides = {name: valid[name] for name in given}  # 0 → 0.0: ROS parameters are typed
    return run_graph(None if args.no_drivers else args.sensors, args.filters, args.namespace, args.use_sim_time,
                     drivers=not args.no_drivers, overrides=overrides, executor=args.executor, sprint=args.sprint)


def _init_ros(use_sim_time: bool) -> None:
    import rclpy

    rclpy.init(args=["--ros-args", "-p", f"use_sim_time:={'true' if use_sim_time else 'false'}"])


def cmd_record(args) -> int:
    from .nodes.recorder import BagRecorder
    from .nodes.runner import serve

    _init_ros(args.use_sim_time)
    made = []

    def make():
        made.append(BagRecorder(args.output, args.topics, args.flush_period))
        return made

    code = serve(make, "single", "sprint-fusion record: error")
    if made:
        bag = made[0].bag
        print(f"{args.output}: {sum(bag.counts.values())} messages")
        for topic, count in bag.counts.items():
            print(f"  {topic}: {count}")
        for topic in made[0].missing():
            print(f"  {topic}: never published", file=sys.stderr)
    return code


def cmd_play(args) -> int:
    import threading

    import rclpy

    from .bags.reader import parse_remap
    from .bags.salvage import BagDamageError
    from .nodes.player import BagPlayer

    _init_ros(False)
    player = None
    try:
        player = BagPlayer(args.bag, args.rate, args.clock, args.topics, parse_remap(args.remap), args.start_timeout)
        for note in player.stats.skipped_topics:
            print(f"not played: {note}", file=sys.stderr)
        stats = player.play(threading.Event())
        print(f"{_shown(args.bag)}: {stats.published} messages played")
    except BagDamageError as damage:
        print(f"sprint-fusion: error: {damage} (played up to there)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        if player is not None:
            player.destroy_node()
        rclpy.try_shutdown()
    return 0


def _progress(total: int, what: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=what, unit="msg", disable=None, leave=False)


def cmd_params(args) -> int:
    if args.markdown:
        from .core.params import FILTER_PARAMS
        from .sprint.params import SPRINT_PARAMS

        tables = {"filters": FILTER_PARAMS, "gnss_driver": GNSS_DRIVER_PARAMS, "imu_driver": IMU_DRIVER_PARAMS,
                  "sprint_analyzer": SPRINT_PARAMS}
        print(markdown_table(tables[args.table]))
    else:
        for name, value in _filter_params(args).items():
            print(f"{name}: {value}")
    return 0


def sprint_options(p) -> None:
    """The sprint analysis options: shortcuts into the sprint_analyzer parameter table (README,
    "Sprint diagnostics"), whose defaults apply when a flag is not given."""
    from .sprint.params import SPRINT_PARAMS

    table = {param.name: param for param in SPRINT_PARAMS}
    g = p.add_argument_group("sprint analysis")
    g.add_argument("--sprint-params", help="sprint analysis parameter file (config/sprint/analysis.yaml layout)")
    for flag, name in SPRINT_FLAGS.items():
        param = table[name]
        unit = f" [{param.unit}]" if param.unit else ""
        kind = {"choices": param.choices} if param.choices else {"type": float}
        g.add_argument("--" + flag.replace("_", "-"), **kind,
                       help=f"{param.description}{unit} (default {param.default}; {name})")
    g.add_argument("--distances", help="split distances, m, comma-separated (default 5,10,20,30,40,50,60,100,200,400)")
    g.add_argument("--sprint-set", action="append", default=[], metavar="NAME=VALUE",
                   help="any sprint_analyzer parameter, e.g. --sprint-set trial.onset_speed=0.3")


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

    rep = with_filters(sub.add_parser("replay", help="a bag through KF2 + KF5 offline → bag with the graph's "
                                                    "outputs, CSV of the fused state, summary"))
    rep.add_argument("bag", help="rosbag2 (MCAP, sqlite3) or ROS 1 bag")
    rep.add_argument("-o", "--output", required=True, help="bag folder to create")
    rep.add_argument("--csv", help="fused-state CSV (default: OUTPUT.csv)")
    rep.add_argument("--remap", action="append", default=[], metavar="FROM:=TO",
                     help="read a bag topic as one of ours, e.g. --remap /fix:=gnss/fix --remap /imu/data:=imu/data")
    rep.add_argument("--namespace", default="", help="the athlete namespace of the bag's topics")
    rep.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    sprint_options(rep)
    rep.set_defaults(func=cmd_replay)

    tun = with_filters(sub.add_parser("tune", help="replay a bag over a parameter grid, rank against a reference, "
                                                   "write the best parameter file"))
    tun.add_argument("bag", help="rosbag2 (MCAP, sqlite3) or ROS 1 bag")
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
    tun.add_argument("--namespace", default="", help="the athlete namespace of the bag's topics")
    tun.add_argument("--remap", action="append", default=[], metavar="FROM:=TO", help="as for replay")
    tun.set_defaults(func=cmd_tune)

    rpt = with_filters(sub.add_parser("report", help="sprint diagnostics of a bag (or a replay's output): "
                                                     "sprint.json, trials.csv, plots, an HTML page"))
    rpt.add_argument("bag", help="rosbag2 (MCAP, sqlite3) or ROS 1 bag, or the output of replay")
    rpt.add_argument("-o", "--output", required=True, help="folder for the report files")
    rpt.add_argument("--no-figures", action="store_true", help="only sprint.json and trials.csv")
    rpt.add_argument("--namespace", default="", help="the athlete namespace of the bag's topics")
    rpt.add_argument("--remap", action="append", default=[], metavar="FROM:=TO", help="as for replay")
    sprint_options(rpt)
    rpt.set_defaults(func=cmd_report)

    ath = sub.add_parser("athletes", help="the athlete store: import sprint, GPS-load and VBT data; trends, flags")
    ath.add_argument("--db", default="athletes.db",
                     help="SQLite file, or a database URL such as postgresql+psycopg://user@host/db "
                          "(default athletes.db)")
    ath.set_defaults(func=cmd_athletes)
    ath_sub = ath.add_subparsers(dest="athletes_command", required=True)
    imp = with_filters(ath_sub.add_parser("import", help="import one file (one transaction; twice adds nothing)"))
    imp.add_argument("kind", choices=("sprint", "gps", "vbt"),
                     help="sprint: a sprint.json; gps: a whole session's bag; vbt: a VBT export CSV")
    imp.add_argument("file")
    imp.add_argument("--athlete", help="whose data (sprint, gps; VBT exports name their athletes)")
    imp.add_argument("--vendor", default="gymaware", help="VBT column mapping: gymaware, generic or a YAML file")
    imp.add_argument("--timezone", default="UTC", help="the zone whose calendar days group sessions (sprint, gps)")
    imp.add_argument("--hsr-speed", type=float, default=5.5, help="high-speed running from, m/s (default 5.5)")
    imp.add_argument("--sprint-speed", type=float, default=7.0, help="sprinting from, m/s (default 7.0)")
    imp.set_defaults(athletes_func=athletes_import)
    arep = ath_sub.add_parser("report", help="an athlete's weekly trends and flags: table, optional HTML page")
    arep.add_argument("--athlete", required=True)
    arep.add_argument("--from", dest="date_from", help="first day shown, YYYY-MM-DD")
    arep.add_argument("--to", dest="date_to", help="last day shown, YYYY-MM-DD")
    arep.add_argument("--settings", help="monitoring settings YAML (see config/monitoring.yaml)")
    arep.add_argument("-o", "--output", help="write the HTML report here")
    arep.set_defaults(athletes_func=athletes_report)
    ath_sub.add_parser("list", help="athletes and their sessions").set_defaults(athletes_func=athletes_list)

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
    params.add_argument("--table", choices=("filters", "gnss_driver", "imu_driver", "sprint_analyzer"),
                        default="filters",
                        help="with --markdown: which parameter table")
    params.set_defaults(func=cmd_params)
    def converter(name, help_text):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("-o", "--output", required=True, help="bag folder to create")
        p.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
        p.add_argument("--namespace", default="", help="topic namespace, e.g. /athlete1")
        p.add_argument("--sensors", help="sensor config (config/sensors/*.yaml) for frames, noise, IMU format")
        return p

    graph = with_filters(sub.add_parser("graph", help="run the node graph in one process (no launch_ros needed)"))
    graph.add_argument("--sensors", default=str(config_file("sensors", "f9p_external_imu.yaml")),
                       help="sensor config for the drivers (config/sensors/*.yaml)")
    graph.add_argument("--sprint", default=str(config_file("sprint", "analysis.yaml")),
                       help="sprint analysis parameters for sprint_analyzer (config/sprint/analysis.yaml)")
    graph.add_argument("--namespace", default="", help="one athlete's namespace, e.g. athlete1")
    graph.add_argument("--use-sim-time", action="store_true", help="follow /clock (bag replay)")
    graph.add_argument("--no-drivers", action="store_true", help="fusion nodes only (input from a bag player)")
    graph.add_argument("--executor", choices=("events", "single", "multi"), default="events",
                       help="rclpy executor (see README: the multi-threaded one cannot keep up here)")
    graph.set_defaults(func=cmd_graph)

    rec = sub.add_parser("record", help="live topics → rosbag2 (MCAP), crash-safe (ros2 bag record without ROS)")
    rec.add_argument("-o", "--output", required=True, help="bag folder to create")
    rec.add_argument("topics", nargs="*", help="topics to record (default: all but /rosout, /parameter_events)")
    rec.add_argument("--flush-period", type=float, default=0.5,
                     help="seconds between flushes to disk: the most a crash can lose (default 0.5)")
    rec.add_argument("--use-sim-time", action="store_true", help="stamp messages with /clock time")
    rec.set_defaults(func=cmd_record)

    play = sub.add_parser("play", help="a bag onto live topics at its pace, optionally with /clock")
    play.add_argument("bag", help="rosbag2 (MCAP, sqlite3) or ROS 1 bag")
    play.add_argument("--rate", type=float, default=1.0, help="playback speed factor (default 1)")
    play.add_argument("--clock", type=float, nargs="?", const=40.0, default=0.0, metavar="HZ",
                      help="publish /clock at HZ (default 40 Hz when given) for use_sim_time graphs")
    play.add_argument("--topics", nargs="+", metavar="TOPIC", help="only these topics")
    play.add_argument("--remap", action="append", default=[], metavar="FROM:=TO",
                      help="publish a topic under another name")
    play.add_argument("--start-timeout", type=float, default=10.0,
                      help="seconds to wait for subscribers before playing anyway (default 10)")
    play.set_defaults(func=cmd_play)

    ubx = converter("ubx2bag", "a u-blox UBX log (NAV epochs, ESF IMU data) → rosbag2 of the driver topics")
    ubx.add_argument("log")
    ubx.add_argument("--strip-comments", action="store_true", help="skip leading '#' lines (gpsd logs)")
    ubx.set_defaults(func=cmd_ubx2bag)

    pos = converter("pos2bag", "an RTKLIB .pos (+ IMU CSV and its .tag) → rosbag2 of the driver topics")
    pos.add_argument("pos")
    pos.add_argument("--imu", help="IMU CSV log (format from --sensors, section imu_driver)")
    pos.add_argument("--imu-tag", help="RTKLIB time tag of the IMU log (puts device ticks on GNSS time)")
    pos.set_defaults(func=cmd_pos2bag)
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
