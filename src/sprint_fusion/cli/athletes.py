"""The athlete store (sprint_fusion.monitoring, the `athletes` extra): import, report, list."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from ..files import claim, write_text
from ..paths import config_file
from .common import filter_params, shown, with_filters, with_force

EXTRA = "the athlete store needs its extra: pip install 'sprint_fusion[athletes]' (SQLAlchemy, Alembic)"


def cmd_athletes(args) -> int:
    try:
        from ..monitoring.store import Store
    except ModuleNotFoundError as err:
        if err.name not in ("sqlalchemy", "alembic"):
            raise
        raise RuntimeError(EXTRA) from None

    store = Store(args.db)
    try:
        return args.athletes_func(args, store)
    finally:
        store.close()


def _vbt_mapping(name: str, export: str):
    """The mapping named (a bundled vendor or a YAML file), or for "auto" the one bundled mapping
    whose columns the export's header has."""
    from ..monitoring.vbt import VbtMapping, detect_vendor

    folder = config_file("vbt", "generic.yaml").parent
    bundled = sorted(p.stem for p in folder.glob("*.yaml"))
    if name == "auto":
        name = detect_vendor(export, {n: VbtMapping.load(folder / f"{n}.yaml") for n in bundled})
        print(f"{export}: read as a {name} export (config/vbt/{name}.yaml)", file=sys.stderr)
    path = Path(name) if name.endswith((".yaml", ".yml")) else folder / f"{name}.yaml"
    if not path.exists():
        raise ValueError(f"vendor mapping {name!r}: no {path} (bundled: {', '.join(bundled)})")
    return VbtMapping.load(path)


def _progress(label: str):
    """A progress line on stderr when it is a terminal (a big export takes seconds)."""
    if not sys.stderr.isatty():
        return None

    def show(fraction: float) -> None:
        print(f"\r{label}: {100 * fraction:3.0f} % read", end="\n" if fraction >= 1 else "", file=sys.stderr,
              flush=True)

    return show


def athletes_import(args, store) -> int:
    from ..monitoring import ingest
    from ..monitoring.gps_load import LoadThresholds

    if args.kind in ("wellness", "incidents"):
        from ..monitoring.wellness import import_wellness

        print(import_wellness(store, args.file, args.kind))
        return 0
    if args.kind == "vbt":
        mapping = _vbt_mapping(args.vendor, args.file)
        if args.timezone:  # the export's local zone for this import (GymAware writes local times)
            mapping = dataclasses.replace(mapping, timezone=args.timezone)
        report = ingest.import_vbt(store, args.file, mapping, args.athlete, _progress(args.file))
    elif args.athlete is None:
        raise ValueError(f"import {args.kind}: --athlete NAME is required")
    elif args.kind == "sprint":
        report = ingest.import_sprint(store, args.file, args.athlete, args.timezone or "UTC")
    else:
        thresholds = LoadThresholds(hsr_speed=args.hsr_speed, sprint_speed=args.sprint_speed)
        report = ingest.import_gps_bag(store, args.file, args.athlete, filter_params(args), thresholds,
                                       args.timezone or "UTC")
    print(report)
    return 0


def athletes_report(args, store) -> int:
    import datetime as dt

    from ..monitoring.analysis import MonitoringParams
    from ..monitoring.report import html_page, table
    from ..monitoring.trends import athlete_trend

    if args.output:
        claim([args.output], args.force)
    params = MonitoringParams.from_yaml(args.settings) if args.settings else MonitoringParams()
    day = dt.date.fromisoformat
    trend = athlete_trend(store, args.athlete, params, day(args.date_from) if args.date_from else None,
                          day(args.date_to) if args.date_to else None)
    print(table(trend))
    if args.output:
        from ..monitoring.wellness import weekly_wellness

        write_text(args.output, html_page(trend, params, weekly_wellness(store, args.athlete)))
        print(f"report: {shown(args.output)}")
    return 0


def athletes_list(args, store) -> int:
    from sqlalchemy import func, select

    from ..monitoring.schema import Athlete, TrainingSession

    with store.transaction() as db:
        rows = db.execute(select(Athlete.name, TrainingSession.kind, func.count(TrainingSession.id))
                          .join(TrainingSession, TrainingSession.athlete_id == Athlete.id)
                          .group_by(Athlete.name, TrainingSession.kind).order_by(Athlete.name)).all()
    for name, kind, count in rows:
        print(f"{name:24} {kind:7} {count:4} session(s)")
    return 0



def athletes_ack(args, store) -> int:
    import datetime as dt

    from ..monitoring.manage import acknowledge
    from ..monitoring.trends import athlete_trend

    try:
        start = dt.date.fromisoformat(args.date)
    except ValueError:
        raise ValueError(f"--date {args.date}: a date, YYYY-MM-DD (the week or session day the report shows)") from None
    if not args.rule.startswith("day-"):  # a week's flag: any day of the week names it
        start -= dt.timedelta(days=start.weekday())
    flags = athlete_trend(store, args.athlete).flags
    print(acknowledge(store, args.athlete, start, args.rule, args.by, args.note, flags))
    return 0


def athletes_squad(args, store) -> int:
    from ..monitoring.analysis import MonitoringParams
    from ..monitoring.squad import squad_page, squad_trends

    claim([args.output], args.force)
    params = MonitoringParams.from_yaml(args.settings) if args.settings else MonitoringParams()
    trends = squad_trends(store, params)
    write_text(args.output, squad_page(trends, args.title))
    print(f"{len(trends)} athlete(s), {sum(len(t.flags) for t in trends)} flag(s) in all: {shown(args.output)}")
    return 0


def athletes_plan(args, store) -> int:
    from ..monitoring.autoregulation import history_profile, plan

    def pair(text: str) -> tuple[float, float]:
        try:
            load, velocity = text.split(":")
            return float(load), float(velocity)
        except ValueError:
            raise ValueError(f"--warmup {text}: LOAD:VELOCITY in kg and m/s, e.g. 60:1.05") from None

    zone = None
    if args.zone:
        try:
            zone = tuple(float(x) for x in args.zone.split("-"))
        except ValueError:
            raise ValueError(f"--zone {args.zone}: LOW-HIGH in m/s, e.g. 0.70-0.80") from None
    profile, sd = history_profile(store, args.athlete, args.exercise)
    result = plan([pair(w) for w in args.warmup], args.target, profile, sd, zone, args.loss)
    basis = (f"slope from {profile.points} sets of earlier sessions" if profile is not None
             else "today's warm-ups alone (no history)")
    print(f"{args.athlete}, {args.exercise}: {result.describe()} [{basis}]")
    return 0


def athletes_manage(args, store) -> int:
    from ..monitoring import manage

    if args.athletes_command == "rename":
        print(manage.rename(store, args.old, args.new))
    elif args.athletes_command == "merge":
        print(manage.merge(store, args.source, args.target))
    elif args.athletes_command == "reassign":
        print(manage.reassign(store, args.session, args.athlete))
    elif args.athletes_command == "delete-session":
        print(manage.delete_session(store, args.session))
    elif args.athletes_command == "sessions":
        for sid, kind, started, source in manage.sessions_of(store, args.athlete):
            print(f"{sid:6}  {kind:6} {started:%Y-%m-%d %H:%M} UTC  {source}")
    else:
        for at, action, detail in manage.audit_trail(store):
            print(f"{at:%Y-%m-%d %H:%M:%S} UTC  {action:15} {detail}")
    return 0


def add_parsers(sub) -> None:
    ath = sub.add_parser("athletes", help="the athlete store: import sprint, GPS-load and VBT data; trends, flags")
    ath.add_argument("--db", default="athletes.db",
                     help="SQLite file, or a database URL such as postgresql+psycopg://user@host/db "
                          "(default athletes.db)")
    ath.set_defaults(func=cmd_athletes)
    ath_sub = ath.add_subparsers(dest="athletes_command", required=True)
    imp = with_filters(ath_sub.add_parser("import", help="import one file (one transaction; twice adds nothing)"))
    imp.add_argument("kind", choices=("sprint", "gps", "vbt", "wellness", "incidents"),
                     help="sprint: a sprint.json; gps: a whole session's bag; vbt: a VBT export CSV; wellness: a CSV "
                          "athlete,date[,rpe,session_minutes,rmssd,sleep_hours,soreness]; incidents: a CSV "
                          "athlete,date,kind,description")
    imp.add_argument("file")
    imp.add_argument("--athlete", help="whose data (sprint, gps; a VBT export without an athlete column)")
    imp.add_argument("--vendor", default="auto",
                     help="VBT column mapping: auto (the bundled one the header fits), gymaware, vitruve, output, "
                          "enode, perch, repone, metric, generic, or a YAML file (config/vbt/)")
    imp.add_argument("--timezone", help="the zone whose calendar days group sessions (sprint, gps; default UTC), and "
                                        "of a VBT export's times written without an offset (default: the mapping's)")
    imp.add_argument("--hsr-speed", type=float, default=5.5, help="high-speed running from, m/s (default 5.5)")
    imp.add_argument("--sprint-speed", type=float, default=7.0, help="sprinting from, m/s (default 7.0)")
    imp.set_defaults(athletes_func=athletes_import)
    arep = with_force(ath_sub.add_parser("report", help="an athlete's weekly trends and flags: table, optional HTML "
                                                        "page"))
    arep.add_argument("--athlete", required=True)
    arep.add_argument("--from", dest="date_from", help="first day shown, YYYY-MM-DD")
    arep.add_argument("--to", dest="date_to", help="last day shown, YYYY-MM-DD")
    arep.add_argument("--settings", help="monitoring settings YAML (see config/monitoring.yaml)")
    arep.add_argument("-o", "--output", help="write the HTML report here")
    arep.set_defaults(athletes_func=athletes_report)
    ath_sub.add_parser("list", help="athletes and their sessions").set_defaults(athletes_func=athletes_list)
    ses = ath_sub.add_parser("sessions", help="one athlete's sessions with their ids and files")
    ses.add_argument("--athlete", required=True)
    ren = ath_sub.add_parser("rename", help="rename an athlete (audited)")
    ren.add_argument("old")
    ren.add_argument("new")
    mer = ath_sub.add_parser("merge", help="move every session of one athlete to another, remove the first (audited)")
    mer.add_argument("source")
    mer.add_argument("target")
    rea = ath_sub.add_parser("reassign", help="move a session (imported under the wrong athlete) to another (audited)")
    rea.add_argument("session", type=int, help="session id (athletes sessions --athlete NAME)")
    rea.add_argument("athlete")
    dele = ath_sub.add_parser("delete-session", help="delete a session; its file may then be imported again "
                                                     "(audited)")
    dele.add_argument("session", type=int)
    ath_sub.add_parser("audit", help="every change made by hand, when")
    ack = ath_sub.add_parser("ack", help="acknowledge a flag: who, and what was decided (the report shows it)")
    ack.add_argument("--athlete", required=True)
    ack.add_argument("--date", "--week", dest="date", required=True,
                     help="the flag's week (any day of it) or, for a session day's flag (day-…), that day; YYYY-MM-DD")
    ack.add_argument("--rule", required=True, help="the flag's rule, e.g. velocity-down or day-top-speed-down")
    ack.add_argument("--by", required=True, help="who decided")
    ack.add_argument("--note", required=True, help="what was decided")
    ack.set_defaults(athletes_func=athletes_ack)
    sq = with_force(ath_sub.add_parser("squad", help="one page for the squad: latest values, trends, open flags"))
    sq.add_argument("-o", "--output", required=True, help="the HTML page to write")
    sq.add_argument("--title", default="Squad")
    sq.add_argument("--settings", help="monitoring settings YAML (see config/monitoring.yaml)")
    sq.set_defaults(athletes_func=athletes_squad)
    pl = ath_sub.add_parser("plan", help="today's load for a target velocity from the warm-ups and the athlete's "
                                         "load-velocity profile, with its uncertainty; the velocity-loss cut-off")
    pl.add_argument("--athlete", required=True)
    pl.add_argument("--exercise", default="back squat")
    pl.add_argument("--warmup", action="append", required=True, metavar="LOAD:VELOCITY",
                    help="a warm-up set: load kg and its best mean velocity m/s (repeat)")
    pl.add_argument("--target", type=float, required=True, help="the working sets' target velocity, m/s")
    pl.add_argument("--zone", help="a velocity zone LOW-HIGH, m/s (its load range is shown)")
    pl.add_argument("--loss", type=float, help="allowed velocity loss in a set, %% of its first rep")
    pl.set_defaults(athletes_func=athletes_plan)
    for p in (ses, ren, mer, rea, dele, ath_sub.choices["audit"]):
        p.set_defaults(athletes_func=athletes_manage)
