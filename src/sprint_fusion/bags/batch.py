"""A season of bags, each through `replay` and `report` exactly as run by hand: the jobs (from a
folder, a glob or a CSV manifest), one job's work (a plain function a Dask worker runs), and the
index page of them all. No Dask here: the command (cli/batch.py) schedules the jobs.

A job's outputs go to OUT/<name>/: replay/ (the bag with every graph topic), replay.csv, report/
(sprint.json, trials.csv, report.html and plots) and done.json (what was done, from which input
and settings). A job whose done.json matches its bag, settings, filter file and this package's
code (signature) is up to date and skipped.
"""

from __future__ import annotations

import csv
import functools
import glob
import hashlib
import html
import json
import math
import shutil
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST_COLUMNS = ("bag", "athlete", "date")  # required; mass, height optional


@dataclass(frozen=True)
class BagJob:
    bag: str
    name: str  # the output folder under OUT
    athlete: str = ""
    date: str = ""
    mass: float | None = None  # kg
    height: float | None = None  # m


@dataclass
class JobResult:
    name: str
    bag: str
    status: str  # "done", "damaged" (done up to the damage of a killed recording), "skipped" (up to date), "failed"
    error: str = ""
    trials: int = 0
    verdicts: list[str] = field(default_factory=list)
    top_speed: float | None = None  # m/s, the best trial's, from the trusted estimator
    sprint_json: str = ""
    athlete: str = ""
    date: str = ""


def is_bag(path: Path) -> bool:
    return (path.is_dir() and (path / "metadata.yaml").exists()) or path.suffix in (".mcap", ".bag", ".db3")


def discover(spec: str) -> list[BagJob]:
    """Bags from a folder (its bags, not recursing into them), a glob, or a CSV manifest with
    columns bag,athlete,date[,mass,height] (bag paths relative to the manifest)."""
    path = Path(spec)
    if path.suffix.lower() == ".csv" and path.is_file():
        return _manifest(path)
    if path.is_dir() and not is_bag(path):
        found = sorted(p for p in path.iterdir() if is_bag(p) and not p.name.startswith("."))
    else:
        found = sorted(Path(p) for p in glob.glob(spec) if is_bag(Path(p)))
    if not found:
        raise ValueError(f"{spec}: no bags there (a folder of bags, a glob, or a CSV manifest with "
                         f"columns {','.join(MANIFEST_COLUMNS)}[,mass,height])")
    return _named([BagJob(str(p), "") for p in found])


def _manifest(path: Path) -> list[BagJob]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in MANIFEST_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: manifest without column(s) {', '.join(missing)} (has: "
                             f"{', '.join(reader.fieldnames or [])})")
        jobs = []
        for lineno, row in enumerate(reader, start=2):
            bag = Path(row["bag"].strip())
            bag = bag if bag.is_absolute() else path.parent / bag
            try:
                mass = float(row["mass"]) if (row.get("mass") or "").strip() else None
                height = float(row["height"]) if (row.get("height") or "").strip() else None
            except ValueError:
                raise ValueError(f"{path}, row {lineno}: mass/height must be numbers") from None
            jobs.append(BagJob(str(bag), "", row["athlete"].strip(), row["date"].strip(), mass, height))
    if not jobs:
        raise ValueError(f"{path}: the manifest lists no bag")
    return _named(jobs)


def _named(jobs: list[BagJob]) -> list[BagJob]:
    """Output folder names: the bag's name, made unique (two athletes' 'session1')."""
    out, used = [], set()
    for job in jobs:
        stem = Path(job.bag).name.removesuffix(".mcap").removesuffix(".bag") or "bag"
        name, k = stem, 2
        while name in used:
            name, k = f"{stem}_{k}", k + 1
        used.add(name)
        out.append(BagJob(job.bag, name, job.athlete, job.date, job.mass, job.height))
    return out


def signature(bag: str | Path, settings: dict) -> str:
    """What a job's outputs depend on: the bag's files (names, sizes, times), the settings, the
    filter parameter file's contents (edited in place, it is the same path) and this package's
    code (an upgrade redoes what an older version wrote)."""
    bag = Path(bag)
    files = sorted(bag.rglob("*")) if bag.is_dir() else [bag]
    h = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    for f in files:
        if f.is_file():
            st = f.stat()
            h.update(f"{f.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    filters = Path(settings.get("filters") or "")
    h.update(filters.read_bytes() if filters.is_file() else b"")
    h.update(code_version().encode())
    return h.hexdigest()


@functools.cache
def code_version() -> str:
    """A digest of this package's Python sources (once per process)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def run_job(job: BagJob, out: str, settings: dict) -> JobResult:
    """replay + report of one bag into OUT/<name>/ (a Dask worker's task; never raises: a failure
    comes back as a result saying why). settings: filters (file), set (overrides), sprint
    (values of the sprint analysis flags), force."""
    target = Path(out) / job.name
    sig = signature(job.bag, {**settings, "job": asdict(job)})
    done = target / "done.json"
    try:
        if done.exists() and not settings.get("force"):
            record = json.loads(done.read_text(encoding="utf-8"))
            if record.get("signature") == sig:
                return JobResult(**{**record["result"], "status": "skipped"})
        if target.exists():
            shutil.rmtree(target)  # a stale or half-written job's outputs (OUT is the batch's own)
        target.mkdir(parents=True)
        result = _replay_and_report(job, target, settings)
        done.write_text(json.dumps({"signature": sig, "result": asdict(result)}, indent=2), encoding="utf-8")
        return result
    except Exception as err:  # one bag's failure is reported, the others go on
        detail = "".join(traceback.format_exception_only(type(err), err)).strip()
        return JobResult(job.name, job.bag, "failed", detail, athlete=job.athlete, date=job.date)


def _replay_and_report(job: BagJob, target: Path, settings: dict) -> JobResult:
    from ..core.params import FilterParams, parse_override
    from ..sprint.analysis import trusted
    from ..sprint.params import SPRINT_PARAMS, analyzer_from
    from ..sprint.report import write_report
    from ..sprint.session import session_report
    from .reader import bag_params
    from .replay import replay

    params = FilterParams.from_yaml(settings["filters"], dict(parse_override(t) for t in settings.get("set", [])))
    params = bag_params(params, job.bag)[0]  # as demo, replay and report run
    sprint = {p.name: p.default for p in SPRINT_PARAMS}
    sprint.update(settings.get("sprint", {}))
    if job.mass:
        sprint["athlete.bodymass"] = job.mass
    if job.height:
        sprint["athlete.bodyheight"] = job.height
    # one pass for both: the report's analysis (the trials on the smoothed track, as `report`
    # finds them) rides along the replay instead of reading and filtering the bag again
    report = analyzer_from(sprint)
    replayed = replay(job.bag, target / "replay", params, csv_path=target / "replay.csv",
                      analyzer=analyzer_from(sprint), helpers=False, report=report)  # a worker: one core
    session = replayed.session
    paths = write_report(session_report(Path(job.bag).name, session, report), target / "report", figures=True)
    tops = [tr.estimators[trusted(tr)[0]].top_speed for tr in session.trials if trusted(tr)]
    damaged = replayed.damage  # a killed recording: everything before the damage, as the commands read it
    return JobResult(job.name, job.bag, "damaged" if damaged else "done", str(damaged or ""),
                     trials=len(session.trials),
                     verdicts=[tr.quality.verdict for tr in session.trials],
                     top_speed=max(tops) if tops else None, sprint_json=str(paths["json"]),
                     athlete=job.athlete, date=job.date)


def index_page(results: list[JobResult], title: str = "Sprint sessions") -> str:
    """OUT/index.html: a row per bag — athlete, date, what happened, trials and the fastest, a link
    to its report (or the error)."""
    e = html.escape
    rows = []
    for r in sorted(results, key=lambda r: (r.date, r.athlete, r.name)):
        if r.status == "failed":
            what = f"<td colspan='3' class='error'>failed: {e(r.error)}</td>"
        elif r.status == "damaged" and not r.trials:
            what = f"<td colspan='3' class='error'>{e(r.error)} (read up to there; no trial)</td>"
        else:
            top = f"{r.top_speed:.2f}" if r.top_speed is not None and math.isfinite(r.top_speed) else "–"
            link = f"<a href='{e(r.name)}/report/report.html'>report</a>" if r.trials else "no trial"
            if r.error:  # a killed recording, read up to its damage
                link += f" <small class='error'>{e(r.error)} (read up to there)</small>"
            what = f"<td>{r.trials} ({e(', '.join(r.verdicts))})</td><td>{top}</td><td>{link}</td>"
        rows.append(f"<tr><td>{e(r.date)}</td><td>{e(r.athlete)}</td><td>{e(r.name)}</td>"
                    f"<td>{e(r.status)}</td>{what}</tr>")
    failed = sum(r.status == "failed" for r in results)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:0 auto;padding:0 .8em;max-width:60em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.2em .5em}}th{{background:#f4f4f4}}
.scroll{{overflow-x:auto}}.error{{color:#cf222e}}</style></head><body><h1>{e(title)}</h1>
<p>{len(results)} bag(s): {len(results) - failed} done, {failed} failed.</p>
<div class='scroll'><table><tr><th>date</th><th>athlete</th><th>bag</th><th>status</th>
<th>trials (verdicts)</th><th>top speed [m/s]</th><th></th></tr>{''.join(rows)}</table></div></body></html>"""
