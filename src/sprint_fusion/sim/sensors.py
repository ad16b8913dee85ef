"""Sensor error models: GNSS epochs and IMU samples from a Truth, deterministic per seed.

GNSS values are quantised to what the receiver's UBX messages carry (NAV-HPPOSLLH: 1e-9°,
0.1 mm; NAV-PVT: mm/s, 1e-5°), so the bag and the UBX log of one run hold the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pymap3d
from transforms3d.euler import euler2mat, mat2euler
from transforms3d.quaternions import mat2quat

from ..core.samples import FixType, GnssFix, ImuSample
from .truth import Truth

GRAVITY = 9.80665

# Receiver-reported accuracy per solution type (hAcc, vAcc in m): the errors are drawn to match.
ACCURACY = {
    FixType.RTK_FIXED: (0.014, 0.02),
    FixType.RTK_FLOAT: (0.25, 0.40),
    FixType.DGNSS: (0.7, 1.2),
    FixType.SINGLE: (2.0, 3.5),
}


@dataclass(frozen=True)
class GnssEpoch:
    """One receiver epoch: the fix (stamped with its epoch time) and when it reached the host."""

    fix: GnssFix
    receive_time: float
    num_sv: int


@dataclass
class GnssModel:
    rate: float = 10.0  # Hz, 1–20
    fix_type: FixType = FixType.RTK_FIXED
    schedule: list = field(default_factory=list)  # [t_from, t_to, fix_type] overriding fix_type
    outages: list = field(default_factory=list)  # [t_start, duration]: no solution (fixType 0)
    multipath: list = field(default_factory=list)  # [t_start, duration, east, north, up]: offsets in m
    sigma_velocity: float = 0.05  # m/s per axis, reported as sAcc
    correlation_time: float = 1.0  # s, first-order Gauss–Markov position error
    latency: float = 0.03  # s from epoch to arrival at the host
    velocity_latency: float = 0.0  # s: the reported velocity is the true one this long before the epoch
    velocity_smoothing: float = 0.0  # s: and through a first-order lag of this time constant (a receiver's filter)
    origin: tuple = (48.137, 11.575, 520.0)  # lat, lon, h of ENU (0, 0, 0)
    num_sv: int = 24

    def fix_type_at(self, t: float) -> FixType:
        for start, duration in self.outages:
            if start <= t < start + duration:
                return FixType.NO_FIX
        kind = self.fix_type
        for t_from, t_to, scheduled in self.schedule:
            if t_from <= t < t_to:
                kind = FixType[str(scheduled).upper()] if not isinstance(scheduled, FixType) else scheduled
        return kind


@dataclass
class ImuModel:
    rate: float = 200.0  # Hz, 100–1000
    accel_noise_density: float = 0.004  # m/s²/√Hz
    gyro_noise_density_dps: float = 0.014  # °/s/√Hz
    accel_bias: tuple = (0.05, -0.03, 0.04)  # m/s², constant
    gyro_bias_dps: tuple = (0.1, -0.05, 1.5)  # °/s, constant (the spec: up to ±2.5 °/s)
    accel_bias_walk: float = 0.0005  # m/s²/√s
    gyro_bias_walk_dps: float = 0.002  # °/s/√s
    accel_scale: tuple = (0.002, -0.001, 0.003)  # scale-factor errors (fractions)
    gyro_scale: tuple = (0.003, 0.002, -0.004)
    misalignment_deg: tuple = (0.5, -0.3, 0.8)  # roll, pitch, yaw of the sensor in the body frame
    orientation: bool = True  # an AHRS: report an orientation whose yaw drifts
    yaw_offset: float = 25.0  # deg, the AHRS's initial yaw error
    yaw_drift: float = 0.5  # deg/s
    tilt_noise: float = 0.5  # deg, 1σ roll/pitch error of the AHRS (Gauss–Markov, 2 s)

    @property
    def accel_sigma(self) -> float:
        return self.accel_noise_density * math.sqrt(self.rate)

    @property
    def gyro_sigma(self) -> float:
        return math.radians(self.gyro_noise_density_dps) * math.sqrt(self.rate)


@dataclass
class Simulated:
    truth: Truth
    imu: list[ImuSample] = field(default_factory=list)
    epochs: list[GnssEpoch] = field(default_factory=list)
    imu_model: ImuModel | None = None
    gnss_model: GnssModel | None = None

    @property
    def gnss(self) -> list[GnssFix]:
        return [e.fix for e in self.epochs if e.fix.fix_type != FixType.NO_FIX]

    def merged(self) -> list[tuple[str, object]]:
        """Both streams as (kind, sample) in arrival order (a fix arrives `latency` after its epoch;
        at equal times GNSS first). Outage epochs carry no solution and are left out."""
        events = [(e.receive_time, 0, "gnss", e.fix) for e in self.epochs if e.fix.fix_type != FixType.NO_FIX]
        events += [(s.stamp, 1, "imu", s) for s in self.imu]
        events.sort(key=lambda e: (e[0], e[1]))
        return [(kind, sample) for _, _, kind, sample in events]


def gauss_markov(n: int, dt: float, tau: float, rng: np.random.Generator) -> np.ndarray:
    """Stationary first-order Gauss–Markov sequence of unit standard deviation."""
    phi = math.exp(-dt / tau) if tau > 0 else 0.0
    w = rng.normal(0.0, math.sqrt(1.0 - phi * phi), n)
    x = np.empty(n)
    x[0] = rng.normal()
    for k in range(1, n):
        x[k] = phi * x[k - 1] + w[k]
    return x


def _decimation(truth: Truth, rate: float) -> np.ndarray:
    step = (1.0 / rate) / (truth.t[1] - truth.t[0])
    if abs(step - round(step)) > 1e-6 or round(step) < 1:
        raise ValueError(f"sensor rate {rate} Hz does not divide the truth rate {1 / (truth.t[1] - truth.t[0]):g} Hz")
    return np.arange(0, len(truth.t), round(step))


def _smoothed(t: np.ndarray, x: np.ndarray, tau: float) -> np.ndarray:
    """x through a first-order lag of time constant tau (0: unchanged), from x[0]."""
    if tau <= 0.0:
        return x
    out = np.empty_like(x)
    out[0] = x[0]
    for k in range(1, len(t)):
        keep = math.exp(-(t[k] - t[k - 1]) / tau)
        out[k] = keep * out[k - 1] + (1.0 - keep) * x[k]
    return out


def simulate_gnss(truth: Truth, model: GnssModel, rng: np.random.Generator) -> list[GnssEpoch]:
    idx = _decimation(truth, model.rate)
    t = truth.t[idx]
    kinds = [model.fix_type_at(float(tk)) for tk in t]
    unit = np.column_stack([gauss_markov(len(idx), 1.0 / model.rate, model.correlation_time, rng) for _ in range(3)])
    acc = np.array([ACCURACY.get(k, (0.0, 0.0)) for k in kinds])
    # hAcc is the horizontal (2-D) accuracy: each of east and north gets hAcc/√2.
    sigma = np.column_stack([acc[:, 0] / math.sqrt(2), acc[:, 0] / math.sqrt(2), acc[:, 1]])
    pos = truth.position[idx] + unit * sigma
    for start, duration, *offset in model.multipath:
        pos[(t >= start) & (t < start + duration)] += np.asarray(offset, dtype=float)
    lagged = t - model.velocity_latency  # a receiver's velocity solution lags its position (its own filter)
    motion = _smoothed(truth.t, truth.velocity, model.velocity_smoothing)
    true_vel = np.column_stack([np.interp(lagged, truth.t, motion[:, k]) for k in range(3)])
    vel = true_vel + rng.normal(0.0, model.sigma_velocity, (len(idx), 3))
    vel = np.round(vel * 1000.0) / 1000.0  # mm/s
    lat, lon, alt = pymap3d.enu2geodetic(pos[:, 0], pos[:, 1], pos[:, 2], *model.origin)
    lat, lon = np.round(lat * 1e9) / 1e9, np.round(lon * 1e9) / 1e9  # NAV-HPPOSLLH: 1e-9°
    alt = np.round(alt * 1e4) / 1e4  # 0.1 mm
    s_acc = round(model.sigma_velocity * 1000.0) / 1000.0
    vcov = np.eye(3) * s_acc**2
    epochs = []
    for k, i in enumerate(idx):
        kind = kinds[k]
        stamp = float(truth.t[i])
        if kind == FixType.NO_FIX:
            nan = float("nan")
            fix = GnssFix(stamp, nan, nan, nan, np.full((3, 3), np.nan), FixType.NO_FIX)
            epochs.append(GnssEpoch(fix, stamp + model.latency, 0))
            continue
        h_acc, v_acc = (round(a * 1e4) / 1e4 for a in acc[k])  # 0.1 mm
        cov = np.diag([h_acc**2 / 2, h_acc**2 / 2, v_acc**2])
        speed = math.hypot(vel[k, 0], vel[k, 1])
        heading = round((math.degrees(math.atan2(vel[k, 0], vel[k, 1])) % 360.0) * 1e5) / 1e5
        # σ_heading ≈ σ_v / speed holds only well above the speed noise; below 4σ_v the heading of
        # motion is noise and reported as such (180°), as a receiver flags it invalid.
        head_acc = min(180.0, math.degrees(s_acc / speed)) if speed > 4.0 * s_acc else 180.0
        head_acc = round(head_acc * 1e5) / 1e5
        fix = GnssFix(stamp, float(lat[k]), float(lon[k]), float(alt[k]), cov, kind, vel[k].copy(), vcov, heading,
                      head_acc)
        epochs.append(GnssEpoch(fix, stamp + model.latency, model.num_sv))
    return epochs


def simulate_imu(truth: Truth, model: ImuModel, rng: np.random.Generator) -> list[ImuSample]:
    idx = _decimation(truth, model.rate)
    n, dt = len(idx), 1.0 / model.rate
    M = euler2mat(*np.radians(model.misalignment_deg), "sxyz")  # sensor axes in the body frame
    walk_a = np.cumsum(rng.normal(0.0, model.accel_bias_walk * math.sqrt(dt), (n, 3)), axis=0)
    walk_g = np.cumsum(rng.normal(0.0, math.radians(model.gyro_bias_walk_dps) * math.sqrt(dt), (n, 3)), axis=0)
    bias_a = np.asarray(model.accel_bias) + walk_a
    bias_g = np.radians(model.gyro_bias_dps) + walk_g
    scale_a = 1.0 + np.asarray(model.accel_scale)
    scale_g = 1.0 + np.asarray(model.gyro_scale)
    noise_a = rng.normal(0.0, model.accel_sigma, (n, 3))
    noise_g = rng.normal(0.0, model.gyro_sigma, (n, 3))
    tilt = np.radians(model.tilt_noise) * np.column_stack([gauss_markov(n, dt, 2.0, rng) for _ in range(2)])
    up = np.array([0.0, 0.0, GRAVITY])
    samples = []
    for k, i in enumerate(idx):
        R_body = euler2mat(*truth.euler[i], "sxyz")
        R_sensor = R_body @ M
        f = R_sensor.T @ (truth.acceleration[i] + up)  # specific force: gravity included (REP-145)
        w = M.T @ truth.body_rate[i]
        accel = scale_a * f + bias_a[k] + noise_a[k]
        gyro = scale_g * w + bias_g[k] + noise_g[k]
        orientation = None
        if model.orientation:
            roll, pitch, yaw = mat2euler(R_sensor, "sxyz")
            drift = math.radians(model.yaw_offset + model.yaw_drift * truth.t[i])
            orientation = mat2quat(euler2mat(roll + tilt[k, 0], pitch + tilt[k, 1], yaw + drift, "sxyz"))
        samples.append(ImuSample(float(truth.t[i]), accel, gyro, orientation))
    return samples


def simulate(truth: Truth, gnss: GnssModel, imu: ImuModel, seed: int = 0) -> Simulated:
    rng = np.random.default_rng(seed)
    return Simulated(truth, simulate_imu(truth, imu, rng), simulate_gnss(truth, gnss, rng), imu, gnss)
