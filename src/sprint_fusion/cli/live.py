"""The live graph without launch_ros, and ros2 bag's record and play without ROS."""

from __future__ import annotations

import sys

from ..core.params import FilterParams, parse_override
from ..paths import config_file
from .common import shown, with_filters


def cmd_graph(args) -> int:
    from ..nodes.runner import run as run_graph

    given = dict(parse_override(x) for x in args.set)
    valid = FilterParams.from_yaml(args.filters, given)  # refuse bad values early, in the table's types
    overrides = {name: valid[name] for name in given}  # 0 → 0.0: ROS parameters are typed
    paths = {"gnss_driver": {"path": args.gnss_path}, "imu_driver": {"path": args.imu_path, "tag_path": args.imu_tag}}
    node_overrides = {node: {k: v for k, v in values.items() if v} for node, values in paths.items()}
    return run_graph(None if args.no_drivers else args.sensors, args.filters, args.namespace, args.use_sim_time,
                     drivers=not args.no_drivers, overrides=overrides, executor=args.executor, sprint=args.sprint,
                     node_overrides=node_overrides, local=not args.all_dds)


def _ros_args(use_sim_time: bool) -> list[str]:
    return ["--ros-args", "-p", f"use_sim_time:={'true' if use_sim_time else 'false'}"]


def cmd_record(args) -> int:
    from ..nodes.recorder import BagRecorder
    from ..nodes.runner import init, serve

    stop = init(_ros_args(args.use_sim_time))
    made = []

    def make():
        made.append(BagRecorder(args.output, args.topics, args.flush_period))
        return made

    code = serve(make, "single", "sprint-fusion record: error", stop)
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

    from ..bags.reader import parse_remap
    from ..bags.salvage import BagDamageError
    from ..nodes.player import BagPlayer

    rclpy.init(args=_ros_args(False))
    player = None
    try:
        player = BagPlayer(args.bag, args.rate, args.clock, args.topics, parse_remap(args.remap), args.start_timeout)
        for note in player.stats.skipped_topics:
            print(f"not played: {note}", file=sys.stderr)
        stats = player.play(threading.Event())
        print(f"{shown(args.bag)}: {stats.published} messages played")
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



def add_parsers(sub) -> None:
    graph = with_filters(sub.add_parser("graph", help="run the node graph in one process (no launch_ros needed)"))
    graph.add_argument("--sensors", default=str(config_file("sensors", "f9p_external_imu.yaml")),
                       help="sensor config for the drivers (config/sensors/*.yaml)")
    graph.add_argument("--sprint", default=str(config_file("sprint", "analysis.yaml")),
                       help="sprint analysis parameters for sprint_analyzer (config/sprint/analysis.yaml)")
    graph.add_argument("--namespace", default="", help="one athlete's namespace, e.g. athlete1")
    graph.add_argument("--use-sim-time", action="store_true", help="follow /clock (bag replay)")
    graph.add_argument("--no-drivers", action="store_true", help="fusion nodes only (input from a bag player)")
    for name, what in (("--gnss-path", "GNSS log / RTKLIB .pos"), ("--imu-path", "IMU log"),
                       ("--imu-tag", "RTKLIB .tag of the IMU log")):
        graph.add_argument(name, default="", help=f"{what}, for file-based sensor configs (as the launch "
                                                  f"argument {name[2:].replace('-', '_')}:=)")
    graph.add_argument("--all-dds", action="store_true",
                       help="every hop between the graph's nodes over DDS (by default they hand each other their "
                            "messages in memory, and DDS carries what a subscriber elsewhere listens to)")
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
