"""Sprint profiles from every timing source, and the agreement between two of them:

    sprint-fusion profile gates FILE.csv [--model simple|tc|fd] [--flying-distance M | --time-correction S]
                                         [--reaction-time S]
    sprint-fusion profile trace FILE.csv [--observed-mss]        (radar, laser, GNSS speed export)
    sprint-fusion profile in-situ BAG|FILE.csv [--speed-threshold V]
    sprint-fusion compare SOURCE_A SOURCE_B [--plot FILE.svg]

Each prints the profile per athlete and trial and writes it with --json FILE (SI units)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from ..files import claim, write_text
from .common import shown

UNITS = {"mss": "m/s", "mac": "m/s²", "tau": "s", "pmax": "W/kg", "time_correction": "s", "flying_distance": "m",
         "reaction_time": "s", "rse": "s (gates) or m/s (trace)", "F0": "N", "V0": "m/s", "Pmax": "W",
         "FV_slope": "(N/kg)/(m/s)", "RFmax": "ratio", "Drf": "1/(m/s)", "speed_threshold": "m/s"}


def _conditions(args, bodymass: float | None):
    from ..sprint.forces import Conditions

    mass = args.mass if args.mass is not None else bodymass
    if mass is None:
        return None
    return Conditions(mass, args.height, args.pressure, args.temperature, args.wind)


def _with_fv(doc: dict, args, bodymass: float | None) -> dict:
    from ..sprint.forces import fv_profile

    conditions = _conditions(args, bodymass)
    doc["force_velocity"] = fv_profile(doc["mss"], doc["mac"], conditions).as_dict() if conditions else None
    doc["bodymass"] = conditions.bodymass if conditions else None
    return doc


def _print(label: str, doc: dict) -> None:
    parts = [f"MSS {doc['mss']:.3f} m/s", f"MAC {doc['mac']:.3f} m/s²", f"TAU {doc['tau']:.3f} s",
             f"PMAX {doc['pmax']:.2f} W/kg"]
    if doc.get("time_correction") is not None:
        parts.append(f"time correction {doc['time_correction']:+.3f} s")
    if doc.get("flying_distance") is not None:
        parts.append(f"flying distance {doc['flying_distance']:.3f} m")
    fv = doc.get("force_velocity")
    if fv:
        parts.append(f"F0 {fv['F0']:.1f} N, V0 {fv['V0']:.3f} m/s, Pmax {fv['Pmax']:.0f} W, RFmax {fv['RFmax']:.3f}, "
                     f"DRF {fv['Drf']:.4f} per m/s")
    print(f"{label}: " + ", ".join(parts))


def _write(args, kind: str, results: list[dict]) -> int:
    if args.json:
        doc = {"kind": kind, "source": str(args.file), "units": UNITS, "profiles": results}
        write_text(args.json, json.dumps(doc, indent=2, ensure_ascii=False))
        print(f"json: {shown(args.json)}")
    return 0


def cmd_gates(args) -> int:
    from ..sprint.gates import fit_gates
    from ..sprint.inputs import read_trials

    claim([args.json], args.force)
    results = []
    for trial in read_trials(args.file, "distance", "time", args.athlete):
        try:
            fit = fit_gates(trial.x, trial.y, args.model, args.flying_distance, args.time_correction,
                            args.reaction_time)
        except ValueError as e:
            raise ValueError(f"{trial.label}: {e}") from None
        doc = _with_fv({"athlete": trial.athlete, "trial": trial.trial, **fit.as_dict()}, args, trial.bodymass)
        if args.model == "tc":
            doc["TC"] = fit.profile.time_correction  # shorts' sign: time = t(d) + TC
        _print(trial.label, doc)
        results.append(doc)
    return _write(args, "gates", results)


def cmd_trace(args) -> int:
    from ..sprint.inputs import read_trials
    from ..sprint.trace import fit_trace

    claim([args.json], args.force)
    results = []
    for trial in read_trials(args.file, "time", "velocity", args.athlete):
        try:
            p = fit_trace(trial.x, trial.y, args.observed_mss)
        except ValueError as e:
            raise ValueError(f"{trial.label}: {e}") from None
        doc = {"athlete": trial.athlete, "trial": trial.trial, "model": "observed MSS" if args.observed_mss else
               "radar", "mss": p.mss, "mac": p.mac, "tau": p.tau, "pmax": p.pmax,
               "time_correction": p.time_correction, "rse": p.rse, "n": p.n}
        doc = _with_fv(doc, args, trial.bodymass)
        _print(trial.label, doc)
        results.append(doc)
    return _write(args, "trace", results)


def cmd_in_situ(args) -> int:
    from ..sprint.in_situ import session_profile

    claim([args.json], args.force)
    path = Path(args.file)
    if path.suffix.lower() == ".csv":
        from ..sprint.inputs import read_trials

        trials = read_trials(path, "time", "velocity", args.athlete)
        found = [(t.label, session_profile(t.x, t.y, args.speed_threshold), t.bodymass) for t in trials]
    else:
        found = [(path.name, _bag_profile(args), None)]
    results = []
    for label, p, mass in found:
        if p is None:
            print(f"{label}: no in-situ profile — too few accelerations above the threshold, or acceleration not "
                  "falling with speed", file=sys.stderr)
            continue
        doc = _with_fv({"source": label, "mss": p.mss, "mac": p.mac, "tau": p.tau, "pmax": p.pmax,
                        "speed_threshold": p.speed_threshold, "points": p.points, "r_squared": p.r_squared},
                       args, mass)
        _print(label, doc)
        print(f"  from {p.points} observations at speeds ≥ {p.speed_threshold:.2f} m/s, R² {p.r_squared:.3f}")
        results.append(doc)
    _write(args, "in-situ", results)
    return 0 if results else 1


def _bag_profile(args):
    """The in-situ profile of a bag's session: its speed through the filters, smoothed."""
    from ..bags.reader import parse_remap, read_blocks
    from ..sprint.in_situ import session_profile
    from ..sprint.session import analyze_blocks
    from .common import bag_filter_params

    session = analyze_blocks(read_blocks(args.file, args.namespace, remap=parse_remap(args.remap)),
                             bag_filter_params(args, args.file))  # as report runs it
    fused = session.fused
    speed = fused.smoothed["smoothed_speed"] if fused.smoothed is not None else fused["kf2_speed"]
    return session_profile(fused["t"], speed, args.speed_threshold)


def load_source(spec: str, args):
    """A compare source: a gates CSV, a trace CSV, or a report (sprint.json or its folder) with
    :kf5 / :kf2 / :smoothed (default: each trial's trusted filter)."""
    from ..sprint.agreement import Measured, trace_splits
    from ..sprint.gates import fit_gates
    from ..sprint.inputs import column, read_trials
    from ..sprint.trace import fit_trace

    path_text, _, estimator = spec.partition(":") if not Path(spec).exists() else (spec, "", "")
    path = Path(path_text)
    if path.is_dir() or path.suffix.lower() == ".json":
        doc = json.loads((path / "sprint.json" if path.is_dir() else path).read_text(encoding="utf-8"))
        out = []
        for trial in doc["trials"]:
            name = estimator or trial.get("trusted") or "kf2"
            e = trial.get(name)
            if e is None:
                raise ValueError(f"{spec}: trial {trial['index']} has no {name} result")
            profile = e.get("profile") or {}
            out.append(Measured(f"trial {trial['index']} {name}",
                                {s["distance"]: s["time"] for s in e["splits"] if s["time"] is not None},
                                profile.get("MSS"), profile.get("MAC")))
        return out
    with open(path, encoding="utf-8-sig") as fh:
        header = fh.readline().strip().split(",")
    if any((column(name) or ("",))[0] == "distance" for name in header):  # a gates file
        out = []
        for trial in read_trials(path, "distance", "time", args.athlete):
            fit = fit_gates(trial.x, trial.y)
            out.append(Measured(trial.label, dict(zip(trial.x.tolist(), trial.y.tolist(), strict=True)),
                                fit.profile.mss, fit.profile.mac))
        return out
    out = []
    for trial in read_trials(path, "time", "velocity", args.athlete):
        p = fit_trace(trial.x, trial.y)
        out.append(Measured(trial.label, trace_splits(trial.x, trial.y, p), p.mss, p.mac))
    return out


def cmd_compare(args) -> int:
    from ..sprint.agreement import agreement_plot, compare

    claim([args.json, args.plot], args.force)
    a, b = load_source(args.a, args), load_source(args.b, args)
    rows = compare(a, b)
    if not rows:
        raise ValueError("the two sources share no split distance and no profile to compare")
    print(f"A: {args.a} ({len(a)} trial(s)); B: {args.b}")
    print(f"{'':22s} {'n':>3s} {'bias A−B':>12s} {'SD':>10s} {'95 % limits of agreement':>28s}")
    for r in rows:
        scale, unit = (1000.0, "ms") if r.unit == "s" else (1.0, r.unit)
        limits = (f"{r.lower * scale:+.1f} … {r.upper * scale:+.1f} {unit}" if math.isfinite(r.sd)
                  else "(one pair: none)")
        sd = f"{r.sd * scale:.1f}" if math.isfinite(r.sd) else "–"
        print(f"{r.quantity:22s} {r.n:3d} {r.bias * scale:+9.1f} {unit:3s}{sd:>9s}  {limits:>28s}")
    if args.plot:
        write_text(args.plot, agreement_plot(a, b, (Path(args.a).stem or "A", Path(args.b).stem or "B")))
        print(f"plot: {shown(args.plot)}")
    if args.json:
        write_text(args.json, json.dumps({"a": args.a, "b": args.b, "agreement": [r.as_dict() for r in rows]},
                                         indent=2, ensure_ascii=False))
        print(f"json: {shown(args.json)}")
    return 0


def _common(p, athlete: bool = True):
    p.add_argument("--json", help="write the profiles here (SI units)")
    p.add_argument("--force", action="store_true", help="replace --json if it exists")
    if athlete:
        p.add_argument("--athlete", help="only this athlete's rows (an `athlete` column)")
    fv = p.add_argument_group("force–velocity profile (Samozino et al. 2016), with the athlete's mass")
    fv.add_argument("--mass", type=float, help="body mass, kg (else a bodymass/bodyweight column)")
    fv.add_argument("--height", type=float, default=1.75, help="body height, m (frontal area)")
    fv.add_argument("--temperature", type=float, default=25.0, help="air, °C")
    fv.add_argument("--pressure", type=float, default=760.0, help="barometric, mmHg")
    fv.add_argument("--wind", type=float, default=0.0, help="m/s along the run, + from behind")
    return p


def add_parsers(sub) -> None:
    from .common import with_filters

    prof = sub.add_parser("profile", help="sprint profile (MSS, MAC, TAU, PMAX, F–V) from timing gates, a "
                                          "radar/laser/GNSS speed trace, or a session's in-situ accelerations")
    kinds = prof.add_subparsers(dest="kind", required=True)
    gates = _common(kinds.add_parser("gates", help="split times: a CSV with distance,time (m, s; several "
                                                   "athletes/trials by athlete,trial columns)"))
    gates.add_argument("file")
    gates.add_argument("--model", choices=("simple", "tc", "fd"), default="simple",
                       help="simple; tc: estimate a time correction; fd: estimate a flying distance (shorts)")
    fixed = gates.add_mutually_exclusive_group()
    fixed.add_argument("--flying-distance", type=float, metavar="M", help="known flying start distance, m")
    fixed.add_argument("--time-correction", type=float, metavar="S",
                       help="seconds added to every split (e.g. 0.3 for a start behind the first gate)")
    gates.add_argument("--reaction-time", type=float, default=0.0, metavar="S",
                       help="seconds taken off every split (a gun start timed from the signal)")
    gates.set_defaults(func=cmd_gates)

    trace = _common(kinds.add_parser("trace", help="velocity trace: a CSV with time,velocity (radar, laser, a "
                                                   "GNSS or fused speed export; units in the column names)"))
    trace.add_argument("file")
    trace.add_argument("--observed-mss", action="store_true", help="hold MSS at the trace's peak (shorts)")
    trace.set_defaults(func=cmd_trace)

    situ = _common(with_filters(kinds.add_parser(
        "in-situ", help="the in-situ acceleration–speed profile of a session: a bag (through the filters) or a "
                        "CSV with time,velocity")))
    situ.add_argument("file", help="a bag (rosbag2 or ROS 1), or a CSV with time,velocity")
    situ.add_argument("--namespace", default="", help="the athlete namespace of the bag's topics")
    situ.add_argument("--remap", action="append", default=[], metavar="FROM:=TO", help="as for report")
    situ.add_argument("--speed-threshold", type=float, metavar="V",
                      help="fit speeds ≥ V m/s (default: the speed of the highest acceleration, as shorts)")
    situ.set_defaults(func=cmd_in_situ)

    comp = sub.add_parser("compare", help="agreement of two timing sources over the same trials (Bland–Altman): "
                                          "gates, radar/laser/GNSS traces, or a report's KF5/KF2/smoothed")
    comp.add_argument("a", help="gates CSV, trace CSV, or a report folder / sprint.json[:kf5|:kf2|:smoothed]")
    comp.add_argument("b", help="the same kinds; the reference (differences are A − B)")
    comp.add_argument("--athlete", help="only this athlete's rows of a CSV")
    comp.add_argument("--plot", help="write the Bland–Altman plot of the split times here (SVG)")
    comp.add_argument("--json", help="write the agreement here")
    comp.add_argument("--force", action="store_true", help="replace --plot / --json if they exist")
    comp.set_defaults(func=cmd_compare)
