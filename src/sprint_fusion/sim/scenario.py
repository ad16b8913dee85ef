"""Scenarios in YAML (config/scenarios/): the athlete's run and the sensors that observe it.

    run:     seed, duration, standstill, heading_deg, start_utc, truth_rate,
             profile {model: mono_exponential|constant_acceleration|recorded, …},
             path {type: straight|track, …}, running {…}
    gnss:    GnssModel fields        imu: ImuModel fields

Unknown keys are refused by name. A recorded profile's `csv` is resolved against the
scenario file's folder, then the working directory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from ..core.samples import FixType
from .paths import Straight, Track
from .profiles import ConstantAccelerationRamp, MonoExponential, RecordedTrace, SprintSession
from .sensors import GnssModel, ImuModel, Simulated, simulate
from .truth import Running, sprint_truth


class ScenarioError(ValueError):
    pass


@dataclass
class Scenario:
    name: str
    simulated: Simulated
    start_utc: float  # Unix time of the scenario's t = 0 (stamps are start_utc + t)
    truth_rate: float


def _build(cls, spec: Mapping[str, Any], where: str):
    known = {f.name for f in fields(cls)}
    unknown = set(spec) - known
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    values = {k: tuple(v) if isinstance(v, list) and k not in ("schedule", "outages", "multipath") else v
              for k, v in spec.items()}
    try:
        return cls(**values)
    except (TypeError, ValueError) as err:
        raise ScenarioError(f"{where}: {err}") from None


def _profile(spec: Mapping[str, Any], where: str, base: Path):
    spec = dict(spec)
    model = spec.pop("model", None)
    if model == "mono_exponential":
        return _build(MonoExponential, spec, where)
    if model == "constant_acceleration":
        return _build(ConstantAccelerationRamp, spec, where)
    if model == "session":
        try:
            return SprintSession(spec.pop("repetitions", []))
        except (TypeError, ValueError) as err:
            raise ScenarioError(f"{where}: {err}") from None
    if model == "recorded":
        csv = Path(spec.pop("csv", ""))
        path = csv if csv.is_absolute() or not (base / csv).exists() else base / csv
        unknown = set(spec) - {"athlete", "smoothing"}
        if unknown:
            raise ScenarioError(f"{where}: unknown key(s) {sorted(unknown)}; known: csv, athlete, smoothing")
        try:
            return RecordedTrace.from_csv(path, spec.get("athlete"), spec.get("smoothing"))
        except (OSError, KeyError, ValueError) as err:
            raise ScenarioError(f"{where}: {err}") from None
    raise ScenarioError(f"{where}.model must be mono_exponential, constant_acceleration, session or recorded")


def _path(spec: Mapping[str, Any] | None, where: str):
    spec = dict(spec or {"type": "straight"})
    kind = spec.pop("type", "straight")
    if kind == "straight":
        return _build(Straight, spec, where)
    if kind == "track":
        return _build(Track, spec, where)
    raise ScenarioError(f"{where}.type must be straight or track")


def _fix_type(value, where: str) -> FixType:
    try:
        return FixType[str(value).upper()]
    except KeyError:
        raise ScenarioError(f"{where}: '{value}' is not one of {', '.join(k.name.lower() for k in FixType)}") from None


def build(doc: Mapping[str, Any], where: str = "scenario", base: Path = Path(".")) -> Scenario:
    if not isinstance(doc, Mapping) or "run" not in doc:
        raise ScenarioError(f"{where}: expected a mapping with 'run', 'gnss' and 'imu'")
    run = dict(doc["run"])
    unknown = set(doc) - {"run", "gnss", "imu"}
    if unknown:
        raise ScenarioError(f"{where}: unknown section(s) {sorted(unknown)}")
    profile = _profile(run.pop("profile", {}), f"{where}: run.profile", base)
    path = _path(run.pop("path", None), f"{where}: run.path")
    running = _build(Running, run.pop("running", {}), f"{where}: run.running")
    seed = int(run.pop("seed", 0))
    start = run.pop("start_utc", "2026-05-01T10:00:00Z")
    start_utc = dt.datetime.fromisoformat(str(start).replace("Z", "+00:00")).timestamp()
    truth_rate = float(run.pop("truth_rate", 100.0))

    gnss_spec = dict(doc.get("gnss", {}))
    if "fix_type" in gnss_spec:
        gnss_spec["fix_type"] = _fix_type(gnss_spec["fix_type"], f"{where}: gnss.fix_type")
    for k, item in enumerate(gnss_spec.get("schedule", [])):
        if len(item) != 3:
            raise ScenarioError(f"{where}: gnss.schedule[{k}] must be [t_from, t_to, fix_type]")
        _fix_type(item[2], f"{where}: gnss.schedule[{k}]")
    gnss = _build(GnssModel, gnss_spec, f"{where}: gnss")
    imu = _build(ImuModel, dict(doc.get("imu", {})), f"{where}: imu")
    if not 1.0 <= gnss.rate <= 20.0:
        raise ScenarioError(f"{where}: gnss.rate {gnss.rate} Hz is outside 1–20 Hz")
    if not 100.0 <= imu.rate <= 1000.0:
        raise ScenarioError(f"{where}: imu.rate {imu.rate} Hz is outside 100–1000 Hz")
    try:
        truth = sprint_truth(profile, rate=imu.rate, path=path, running=running, **run)
        sim = simulate(truth, gnss, imu, seed)
    except (TypeError, ValueError) as err:
        raise ScenarioError(f"{where}: run: {err}") from None
    return Scenario(Path(where).stem, sim, start_utc, truth_rate)


def load(path: str | Path) -> Scenario:
    path = Path(path)
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    return build(doc, str(path), path.parent)
