"""What the command groups share: filter parameters from --filters/--set, the sprint analysis
options, paths as the user typed them, progress bars, the printed run summary and trials."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.params import FilterParams, ParameterError, parse_override
from ..paths import config_file
from ..summary import summary


def with_filters(p):
    p.add_argument("--filters", default=str(config_file("filters", "accurate.yaml")),
                   help="filter parameter file (ROS 2 params YAML; default: the accurate profile; "
                        "config/filters/paper.yaml is the published model)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override one filter parameter, e.g. --set gnss.r_from=variance")
    return p


def with_force(p):
    p.add_argument("--force", action="store_true",
                   help="replace outputs that exist (without it an existing output is refused, untouched)")
    return p


def filter_params(args) -> FilterParams:
    overrides = dict(parse_override(text) for text in args.set)
    return FilterParams.from_yaml(args.filters, overrides)


def bag_filter_params(args, bag=None) -> FilterParams:
    """filter_params(), then (gnss.velocity_latency_estimate) the velocity's lag measured on the
    bag's own fixes, saying what was found."""
    from ..bags.reader import bag_params, parse_remap

    params, said = bag_params(filter_params(args), bag or args.bag, getattr(args, "namespace", ""),
                              parse_remap(getattr(args, "remap", [])))
    if said:
        print(said)
    return params


SPRINT_FLAGS = {"mass": "athlete.bodymass", "height": "athlete.bodyheight", "temperature": "air.temperature",
                "pressure": "air.pressure", "wind": "air.wind", "start_speed": "trial.start_speed",
                "min_top_speed": "trial.min_top_speed", "end_fraction": "trial.end_fraction",
                "max_bridge": "quality.max_bridge", "min_rtk_fixed": "quality.min_rtk_fixed_share",
                "detect_on": "trial.detect_on"}


def sprint_options(p) -> None:
    """The sprint analysis options: shortcuts into the sprint_analyzer parameter table
    (docs/sprint.md), whose defaults apply when a flag is not given."""
    from ..sprint.params import SPRINT_PARAMS

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


def sprint_values(args) -> dict:
    from ..core.params import read_params_file, validate_all
    from ..sprint.params import SPRINT_PARAMS

    values = read_params_file(args.sprint_params, "/**/sprint_analyzer") if args.sprint_params else {}
    values.update({name: getattr(args, flag) for flag, name in SPRINT_FLAGS.items() if getattr(args, flag) is not None})
    if args.distances:
        try:
            values["splits.distances"] = [float(x) for x in args.distances.split(",")]
        except ValueError:
            raise ParameterError(f"--distances {args.distances}: numbers in metres, e.g. 10,20,30") from None
    values.update(dict(parse_override(text) for text in args.sprint_set))
    return validate_all(SPRINT_PARAMS, values)


def analyzer(args):
    from ..sprint.params import analyzer_from

    return analyzer_from(sprint_values(args))


def shown(path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def progress(total: int | None, what: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=what, unit="msg", disable=None, leave=False)


def print_summary(bag, summaries: dict, stats, t0: float, namespace: str = "") -> None:
    from ..bags.reader import read_truth, topics_in
    from ..topics import TRUTH_TRACK, resolve

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
          f"{st.dropped} dropped, {st.duplicates} duplicates, {st.resets} resets")
    print_jumps(st, t0)


def print_jumps(stats, t0: float) -> None:
    """Where time went back and what the filters did; a diagnosis when one sensor keeps falling
    behind the other (their clocks disagree: the distances above are then of pieces)."""
    jumps = stats.jumps
    for before, back, kind in jumps[:3]:
        print(f"time went back: a {kind.upper()} sample stamped {back - t0:.3f} s came after {before - t0:.3f} s "
              f"({before - back:.3f} s earlier, confirmed by the samples after it): the filters restarted there")
    if stats.resets > len(jumps[:3]):
        print(f"  … {stats.resets - len(jumps[:3])} more")
    kinds = {kind for _, _, kind in jumps}
    if stats.resets > 2 and len(kinds) == 1:
        lag = float(np.median([before - back for before, back, _ in jumps]))
        other = "GNSS" if kinds == {"imu"} else "IMU"
        print(f"  the {kinds.pop().upper()} stamps lie ~{lag:.2f} s behind the {other}'s from {jumps[0][1] - t0:.3f} s "
              f"on: the two clocks disagree (a device clock reset? stamps taken on arrival?); every restart "
              f"loses the filters' state, so the distances above are of pieces between them")


def print_trials(trials) -> None:
    from ..sprint.analysis import trusted
    from ..sprint.quality import bridged

    print(f"{len(trials)} trial(s)")
    if any(tr.quality.outages for tr in trials):
        print("(* reached while the GNSS was out: timed by the IMU alone)")
    for tr in trials:
        note = " (cut off)" if tr.cut_off else ""
        print(f"trial {tr.index}: {tr.quality.verdict}{note} — {'; '.join(tr.quality.reasons)}")
        best = (trusted(tr) or (None,))[0]
        for name, e in tr.estimators.items():
            splits = "  ".join(f"{s.distance:g} m {s.time:.2f} s{'*' if bridged(s.time, tr.quality.outages) else ''}"
                               for s in e.splits[:6])
            mss = f"  MSS {e.profile.mss:.2f} TAU {e.profile.tau:.2f}" if e.profile else ""
            mark = "  ← the one to trust" if name == best and len(tr.estimators) > 1 else ""
            print(f"  {name.upper()}: top speed {e.top_speed:.2f} m/s at {e.top_speed_distance:.1f} m;  "
                  f"{splits}{mss}{mark}")
