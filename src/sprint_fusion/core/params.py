"""Filter parameters: names, defaults, ranges and docs in one place.

The same table declares the ROS parameters (with descriptors), validates YAML for the CLI and
renders the README's parameter table. Defaults are the published "paper" profile.
YAML files use the ROS 2 parameter-file layout (``/**: ros__parameters: …``) so one file
serves `ros2 launch` and the pip-only CLI alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ParameterError(ValueError):
    """A parameter is unknown, of the wrong type or out of range."""


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    description: str
    unit: str = ""
    choices: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    any_length: bool = False  # a list of numbers of any (non-zero) length

    @property
    def length(self) -> int | None:
        return len(self.default) if isinstance(self.default, (list, tuple)) else None

    def validate(self, value: Any) -> Any:
        where = f"parameter '{self.name}'"
        if self.choices is not None:
            if value not in self.choices:
                raise ParameterError(f"{where} = {value!r}: must be one of {', '.join(self.choices)}")
            return value
        if isinstance(self.default, bool):
            if not isinstance(value, bool):
                raise ParameterError(f"{where} = {value!r}: must be true or false")
            return value
        if isinstance(self.default, str):
            if not isinstance(value, str):
                raise ParameterError(f"{where} = {value!r}: must be text")
            return value
        if isinstance(self.default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"{where} = {value!r}: must be a whole number")
            return int(self._number(value, where))
        if self.length is not None:
            if all(isinstance(v, str) for v in self.default):
                if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value) or not value:
                    raise ParameterError(f"{where} = {value!r}: must be a list of names")
                return list(value)
            if self.any_length and isinstance(value, (list, tuple)) and value:
                return [self._number(v, where) for v in value]
            if not isinstance(value, (list, tuple)) or len(value) != self.length or self.any_length:
                count = "one or more" if self.any_length else str(self.length)
                raise ParameterError(f"{where} = {value!r}: must be a list of {count} numbers")
            return [self._number(v, where) for v in value]
        return self._number(value, where)

    def _number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{where} = {value!r}: must be a number")
        v = float(value)
        if v != v or (self.low is not None and v < self.low) or (self.high is not None and v > self.high):
            raise ParameterError(f"{where} = {value!r}: must lie in [{self.low}, {self.high}] {self.unit}".rstrip())
        return v


def validate_all(table: tuple[Param, ...], values: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with `values`, every one validated; unknown names refused."""
    by_name = {p.name: p for p in table}
    merged = {p.name: p.default for p in table}
    for name, value in values.items():
        if name not in by_name:
            raise ParameterError(f"unknown parameter '{name}' (known: {', '.join(by_name)})")
        merged[name] = by_name[name].validate(value)
    return merged


FILTER_PARAMS: tuple[Param, ...] = (
    Param("gnss.r_from", "std", "How the receiver's position error σ enters R: 'std' puts σ itself "
          "(the paper's literal R = diag(σ_GPS, …)), 'variance' puts σ²", choices=("std", "variance")),
    Param("gnss.r_scale", 1.0, "Factor on the position R: a receiver's position errors are correlated over about a "
          "second, so one epoch of a 10 Hz receiver carries less than its reported accuracy says", low=1e-3, high=1e3),
    Param("gnss.latency", 0.0, "Receiver latency subtracted from GNSS stamps", "s", low=0.0, high=1.0),
    Param("gnss.velocity", False, "Use the receiver's velocity (Doppler) as a measurement in the axis filters "
          "and KF2, with its reported accuracy (the paper uses positions only)"),
    Param("gnss.velocity_latency", 0.0, "The receiver's velocity describes the motion this long before its "
          "epoch (its own filter's lag); gnss.velocity_lag_from says how it is carried to the epoch", "s",
          low=0.0, high=0.5),
    Param("gnss.velocity_lag_from", "state", "How a lagging velocity is related to the state: 'state' as "
          "v(t − L) = v − L·a + L²/2·j (the filter's own acceleration and jerk), 'imu' carried to its epoch by "
          "the speed the IMU measured gained over L (exact under a stride's 4–5 Hz speed swing, which the "
          "expansion is not, for a velocity delayed by L); offline, a velocity the IMU's measure of the lag "
          "finds smoothed rather than delayed is taken as 'state'", choices=("state", "imu")),
    Param("gnss.velocity_latency_sigma", 0.0, "How uncertain that latency is: the velocity's variance grows by "
          "(σ·a)² while the athlete accelerates at a, so a receiver whose lag differs is trusted less just where "
          "it matters", "s", low=0.0, high=0.5),
    Param("gnss.velocity_latency_estimate", False, "Offline (demo, replay, report, batch): measure that latency on "
          "the recording — against the IMU at its first sprint starts, and its RTK-fixed positions (neither lags) — "
          "and use it, weighted with gnss.velocity_latency ± gnss.velocity_latency_sigma as the prior; live the "
          "configured value stays"),
    Param("gnss.gate", 0.0, "A GNSS position further than this many standard deviations from the filter's "
          "prediction is not used (a jump, multipath; five in a row restart the position there); 0: every one is "
          "used (the paper)", "σ",
          low=0.0, high=100.0),
    Param("gnss.heading_min_speed", 1.0, "Heading of motion is used only above this ground speed",
          "m/s", low=0.0, high=20.0),
    Param("gnss.heading_max_accuracy", 30.0, "Heading of motion is used only if its reported "
          "accuracy is better than this", "deg", low=0.0, high=180.0),
    Param("datum.mode", "first_fix", "Origin of the local ENU frame: the first valid fix, or the "
          "fixed point below (e.g. the start line)", choices=("first_fix", "fixed")),
    Param("datum.latitude", 0.0, "Fixed datum latitude", "deg", low=-90.0, high=90.0),
    Param("datum.longitude", 0.0, "Fixed datum longitude", "deg", low=-180.0, high=180.0),
    Param("datum.altitude", 0.0, "Fixed datum ellipsoidal height", "m", low=-1000.0, high=10000.0),
    Param("gravity", 9.80665, "Gravity removed from the aligned specific force", "m/s²", low=9.7, high=9.9),
    Param("process_noise", "per_step", "'per_step': every Q below is added once per filter step, "
          "as in the paper; 'per_second': Q is a rate, added as Q·Δt", choices=("per_step", "per_second")),
    Param("p0", 1.0, "Initial covariance P = p0·I (the paper: identity)", low=1e-9, high=1e9),
    Param("kf2.q_diag", [0.0001, 0.01, 0.01, 0.01], "KF2 process noise diag(d, v, a, j)", low=0.0, high=1e6),
    Param("kf2.r_imu", 0.1, "KF2 R entry of the forward acceleration (0.01 raised tenfold for "
          "upper-body rotation)", low=1e-9, high=1e6),
    Param("kf2.along_track", "path", "KF2 displacement: 'path' sums GNSS steps along the direction "
          "of motion (straights and bends), 'origin' is the distance from the datum (straights)",
          choices=("path", "origin")),
    Param("kf2.track_min_speed", 1.0, "KF2 ('path'): ground speed from which the GNSS velocity sets the direction "
          "of motion (below it, and with noisy velocities, the direction is noise)", "m/s", low=0.0, high=20.0),
    Param("yaw.q_diag", [0.005, 0.005, 0.05], "Yaw filter process noise diag(yaw, rate, acc)",
          low=0.0, high=1e6),
    Param("yaw.r_yaw", 15.0, "Yaw filter R entry of the GNSS yaw", low=1e-9, high=1e6),
    Param("yaw.r_rate", 5.0, "Yaw filter R entry of the gyro yaw rate", low=1e-9, high=1e6),
    Param("bias.r", 30.0, "Bias filter R entry of the yaw difference", low=1e-9, high=1e6),
    Param("bias.sigma_q", 0.5, "Bias filter σ_qB in Q_B = G·Gᵀ·σ_qB", low=0.0, high=1e6),
    Param("axis.q_diag", [0.0001, 0.01, 0.01, 0.01], "North/east/up filters' process noise "
          "diag(d, v, a, j)", low=0.0, high=1e6),
    Param("axis.r_imu", 0.01, "North/east/up filters' R entry of the aligned acceleration",
          low=1e-9, high=1e6),
    Param("axis.accel_bias_tau", 0.0, "North/east/up filters: the aligned acceleration's bias (accelerometer "
          "offset, gravity leaking through AHRS tilt) as a fifth, Gauss–Markov state of this correlation time; "
          "0: none (the paper's four states)", "s", low=0.0, high=1e5),
    Param("axis.accel_bias_sigma", 0.1, "The stationary spread (1σ) of that bias", "m/s²", low=0.0, high=5.0),
    Param("speed.mode", "filter", "KF5's horizontal speed: 'filter', the paper's CA filter on √(v_N² + v_E²); "
          "'direct', √(v_N² + v_E²) of the axis filters with its variance propagated (no further lag)",
          choices=("filter", "direct")),
    Param("kf5.before_heading", "wait", "Before the first trusted heading of motion: 'wait' (the paper: KF5 "
          "aligns nothing and publishes no speed), 'gnss' (the axis filters run on GNSS alone and the speed is "
          "published from the first fix)", choices=("wait", "gnss")),
    Param("kf5.provisional_heading", "auto", "With kf5.before_heading 'gnss', until the GNSS shows the direction "
          "of motion: 'device' puts the acceleration along the device's own heading (right where the AHRS's yaw "
          "is; a 6-axis AHRS's yaw may be off by anything), 'none' measures none, 'auto' the device's where the "
          "IMU reports an orientation of its own, else none (a yaw integrated from the gyro points anywhere)",
          choices=("auto", "device", "none")),
    Param("speed.r", 20.0, "Horizontal speed filter R entry of √(v_N² + v_E²)", low=1e-9, high=1e6),
    Param("speed.sigma_q", 0.05, "Horizontal speed filter σ_qV in Q_V = G·Gᵀ·σ_qV", low=0.0, high=1e6),
    Param("attitude.source", "auto", "Roll/pitch/yaw of the IMU: the device's own orientation, an "
          "estimate from gyro + accelerometer, or 'auto' (device when it reports one)",
          choices=("auto", "device", "estimate")),
    Param("attitude.gain", 1.0, "Complementary attitude filter: tilt correction gain", "1/s",
          low=0.0, high=100.0),
    Param("attitude.accel_gate", 0.2, "Tilt is corrected from the accelerometer only while "
          "| |f| − g | is below this; a horizontal acceleration a changes |f| by only ≈ a²/2g, so "
          "0.2 admits |a| ≲ 2 m/s²", "m/s²", low=0.0, high=100.0),
    Param("time.reorder_window", 0.1, "Samples are held this long and released in stamp order, "
          "so GNSS fixes arriving late still land between the right IMU samples", "s",
          low=0.0, high=10.0),
    Param("time.stage_window", 0.02, "Reorder window of the downstream graph nodes (axis filters, speed "
          "fuser): their inputs come from one upstream node, out of order by microseconds at most", "s",
          low=0.0, high=10.0),
    Param("time.early_release", True, "Release samples before the window is over once every input stream "
          "has passed them (the IMU's newest stamp, the receiver's next epoch due): the same results, without "
          "the window's wait; a stream gone silent or out of order falls back to the windows"),
    Param("time.fix_delay", 0.0, "A receiver epoch counts for the outputs from this long after its stamp: IMU "
          "samples are not held for a fix still on its way; when it comes, the CJ filters go back to its stamp in "
          "their state history, take it there and run the IMU steps since again (the yaw filter takes its heading "
          "as it comes). With about the receiver's output latency here the live graph publishes each sample at "
          "once, the samples of that delay after a fix without it (docs/filters.md: the cost); 0: every sample "
          "waits for the fix of its epoch (the paper profile; the accurate profile sets 0.05)", "s", low=0.0, high=0.5),
    Param("time.reset_jump_back", 1.0, "Stamps this far behind the filter time, five in a row, reset the "
          "filters (one stray old stamp is dropped); a smaller step back drops the sample", "s",
          low=0.0, high=3600.0),
)

def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested YAML mappings to dotted names, as ROS 2 flattens ros__parameters."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


class FilterParams(Mapping[str, Any]):
    """A complete, validated set of filter parameters (defaults filled in)."""

    def __init__(self, values: Mapping[str, Any] | None = None):
        self._values = validate_all(FILTER_PARAMS, values or {})

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    @classmethod
    def from_yaml(cls, path: str | Path, overrides: Mapping[str, Any] | None = None) -> FilterParams:
        values = read_params_file(path)
        values.update(overrides or {})
        try:
            return cls(values)
        except ParameterError as err:
            raise ParameterError(f"{path}: {err}") from None


def read_params_file(path: str | Path, node: str = "/**") -> dict[str, Any]:
    """The flattened ros__parameters of one node section (default: the wildcard section)."""
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh) or {}
    section = doc.get(node, {}) if isinstance(doc, Mapping) else {}
    params = section.get("ros__parameters") if isinstance(section, Mapping) else None
    if not isinstance(params, Mapping):
        raise ParameterError(f"{path}: no '{node}: ros__parameters:' section")
    return flatten(params)


def params_file_text(values: Mapping[str, Any], comment: str = "") -> str:
    """A ROS 2 parameter file (``/**: ros__parameters:``) holding these dotted names, nested."""
    tree: dict[str, Any] = {}
    for name, value in values.items():
        *path, leaf = name.split(".")
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = [float(v) for v in value] if isinstance(value, (list, tuple)) else value
    body = yaml.safe_dump({"/**": {"ros__parameters": tree}}, sort_keys=False)
    return "".join(f"# {line}\n" for line in comment.splitlines()) + body


def parse_override(text: str) -> tuple[str, Any]:
    """'kf2.r_imu=0.2' → ('kf2.r_imu', 0.2); values are read as YAML."""
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise ParameterError(f"'{text}': expected name=value")
    return name.strip(), yaml.safe_load(raw)


def markdown_table(params: Iterable[Param] = FILTER_PARAMS) -> str:
    rows = ["| name | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
    for p in params:
        if p.choices:
            allowed = " / ".join(p.choices)
        elif isinstance(p.default, bool):
            allowed = "true / false"
        elif isinstance(p.default, str) or (p.length and isinstance(p.default[0], str)):
            allowed = "text"
        elif p.low is None and p.high is None:
            allowed = "any"
        else:
            allowed = f"[{p.low:g}, {p.high:g}]"
        rows.append(f"| `{p.name}` | `{p.default}` | {p.unit} | {allowed} | {p.description} |")
    return "\n".join(rows)
