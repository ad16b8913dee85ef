"""Making bags: simulate a scenario, convert receiver logs (UBX, RTKLIB .pos + IMU CSV)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..files import claim, write_bytes
from ..sensors.driver_params import GNSS_DRIVER_PARAMS, IMU_DRIVER_PARAMS
from .common import progress, with_force


def cmd_simulate(args) -> int:
    from ..bags.simulation import simulation_records
    from ..bags.writer import typestore, write_bag
    from ..msgs import bag_types
    from ..sim.scenario import load
    from ..sim.ubx import ubx_log

    ubx = None if args.no_ubx else Path(str(args.output).rstrip("/") + ".ubx")
    claim([args.output, ubx], args.force)
    scenario = load(args.scenario)
    store = typestore()
    records = simulation_records(scenario, bag_types(store), args.namespace, truth=not args.no_truth)
    with progress(len(records), "writing bag") as bar:
        count = write_bag(args.output, records, store, args.storage, progress=bar.update, force=args.force)
    print(f"{args.output}: {count} messages ({args.storage})")
    if ubx is not None:
        write_bytes(ubx, ubx_log(scenario.simulated.epochs, scenario.start_utc))
        print(f"{ubx}: {len(scenario.simulated.epochs)} epochs (NAV-HPPOSLLH + NAV-PVT)")
    return 0


def cmd_ubx2bag(args) -> int:
    from ..bags.convert import driver_params, log_events, records

    claim([args.output], args.force)
    gnss = driver_params(args.sensors, "gnss_driver", GNSS_DRIVER_PARAMS)
    imu = driver_params(args.sensors, "imu_driver", IMU_DRIVER_PARAMS)
    events, counters = log_events(args.log, gnss, imu, args.strip_comments)
    if not events:  # no bag of nothing: say what was found instead
        found = ", ".join(f"{k} {v}" for k, v in counters.items())
        print(f"sprint-fusion: error: {args.log}: nothing decodes as {gnss['source']} ({found}); is the sensor "
              f"config's gnss_driver source right (--sensors)?", file=sys.stderr)
        return 1
    return _write_converted(args, records(events, gnss, imu, args.namespace, _bag_types()), counters)


def cmd_pos2bag(args) -> int:
    from ..bags.convert import driver_params, pos_events, records

    gnss = driver_params(args.sensors, "gnss_driver", GNSS_DRIVER_PARAMS)
    imu = driver_params(args.sensors, "imu_driver", IMU_DRIVER_PARAMS)
    events, counters = pos_events(args.pos, args.imu, imu, args.imu_tag)
    return _write_converted(args, records(events, gnss, imu, args.namespace, _bag_types()), counters)


def _bag_types():
    from ..bags.writer import typestore
    from ..msgs import bag_types

    return bag_types(typestore())


def _write_converted(args, recs, counters) -> int:
    from ..bags.writer import write_bag

    with progress(len(recs), "writing bag") as bar:
        count = write_bag(args.output, recs, storage=args.storage, progress=bar.update, force=args.force)
    print(f"{args.output}: {count} messages ({args.storage})")
    for key, value in counters.items():
        print(f"  {key}: {value}")
    return 0



def add_parsers(sub) -> None:
    sim = with_force(sub.add_parser("simulate", help="simulate a scenario into a rosbag2 (+ UBX log) with ground "
                                                     "truth"))
    sim.add_argument("scenario", help="scenario YAML (see config/scenarios/)")
    sim.add_argument("-o", "--output", required=True, help="bag folder to create; the UBX log goes to OUTPUT.ubx")
    sim.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
    sim.add_argument("--namespace", default="", help="topic namespace, e.g. /athlete1")
    sim.add_argument("--no-truth", action="store_true", help="leave out the truth/* topics")
    sim.add_argument("--no-ubx", action="store_true", help="do not write the UBX log")
    sim.set_defaults(func=cmd_simulate)

    def converter(name, help_text):
        p = with_force(sub.add_parser(name, help=help_text))
        p.add_argument("-o", "--output", required=True, help="bag folder to create")
        p.add_argument("--storage", choices=("mcap", "sqlite3"), default="mcap")
        p.add_argument("--namespace", default="", help="topic namespace, e.g. /athlete1")
        p.add_argument("--sensors", help="sensor config (config/sensors/*.yaml) for frames, noise, IMU format")
        return p

    ubx = converter("ubx2bag", "a receiver log → rosbag2 of the driver topics: u-blox UBX (NAV epochs, ESF IMU "
                           "data), or NMEA / RTKLIB lines as the sensor config's gnss_driver source says")
    ubx.add_argument("log")
    ubx.add_argument("--strip-comments", action="store_true", help="skip leading '#' lines (gpsd logs)")
    ubx.set_defaults(func=cmd_ubx2bag)

    pos = converter("pos2bag", "an RTKLIB .pos (+ IMU CSV and its .tag) → rosbag2 of the driver topics")
    pos.add_argument("pos")
    pos.add_argument("--imu", help="IMU CSV log (format from --sensors, section imu_driver)")
    pos.add_argument("--imu-tag", help="RTKLIB time tag of the IMU log (puts device ticks on GNSS time)")
    pos.set_defaults(func=cmd_pos2bag)
