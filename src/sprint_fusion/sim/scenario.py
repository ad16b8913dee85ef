"""Scenarios in YAML (config/scenarios/): the athlete's run and the sensors that observe it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from ..core.samples import FixType
from .profiles import ConstantAccelerationRamp, MonoExponential
from .sensors import GnssModel, ImuModel, Simulated, simulate
from .truth import straight_sprint


class ScenarioError(ValueError):
    pass


PROFILES = {"mono_exponential": MonoExponential, "constant_acceleration": ConstantAccelerationRamp}


def _build(cls, spec: Mapping[str, Any], where: str):
    known = {f.name for f in fields(cls)}
    unknown = set(spec) - known
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
    return cls(**values)


def load_scenario(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    if not isinstance(doc, Mapping) or "run" not in doc:
        raise ScenarioError(f"{path}: expected a mapping with 'run', 'gnss' and 'imu'")
    return doc


def build(doc: Mapping[str, Any], where: str = "scenario") -> Simulated:
    run = dict(doc["run"])
    profile_spec = dict(run.pop("profile"))
    model = profile_spec.pop("model", None)
    if model not in PROFILES:
        raise ScenarioError(f"{where}: run.profile.model must be one of {sorted(PROFILES)}")
    profile = _build(PROFILES[model], profile_spec, f"{where}: run.profile")
    gnss_spec = dict(doc.get("gnss", {}))
    if "fix_type" in gnss_spec:
        try:
            gnss_spec["fix_type"] = FixType[str(gnss_spec["fix_type"]).upper()]
        except KeyError:
            raise ScenarioError(f"{where}: gnss.fix_type must be one of rtk_fixed, rtk_float, single") from None
    gnss = _build(GnssModel, gnss_spec, f"{where}: gnss")
    imu = _build(ImuModel, dict(doc.get("imu", {})), f"{where}: imu")
    seed = int(run.pop("seed", 0))
    try:
        truth = straight_sprint(profile, rate=imu.rate, **run)
    except TypeError as err:
        raise ScenarioError(f"{where}: run: {err}") from None
    return simulate(truth, gnss, imu, seed)


def simulate_file(path: str | Path) -> Simulated:
    return build(load_scenario(path), str(path))
