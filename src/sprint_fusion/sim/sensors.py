"""Sensor error models: GNSS fixes and IMU samples from a Truth, deterministic per seed."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pymap3d
from transforms3d.euler import euler2quat
from transforms3d.quaternions import quat2mat

from ..core.samples import FixType, GnssFix, ImuSample
from .truth import Truth

GRAVITY = 9.80665

# Typical 1σ horizontal / vertical position errors per solution type (m).
FIX_SIGMA = {
    FixType.RTK_FIXED: (0.01, 0.02),
    FixType.RTK_FLOAT: (0.2, 0.4),
    FixType.SINGLE: (1.5, 3.0),
}


@dataclass
class GnssModel:
    rate: float = 10.0  # Hz
    fix_type: FixType = FixType.RTK_FIXED
    sigma_velocity: float = 0.05  # m/s, 1σ per horizontal axis (sAcc)
    correlation_time: float = 1.0  # s, first-order Gauss–Markov position error
    origin: tuple[float, float, float] = (48.137, 11.575, 520.0)  # lat, lon, h of ENU (0, 0, 0)


@dataclass
class ImuModel:
    rate: float = 200.0  # Hz
    accel_noise: float = 0.05  # m/s², 1σ per sample
    gyro_noise: float = 0.005  # rad/s, 1σ per sample
    accel_bias: tuple[float, float, float] = (0.05, -0.03, 0.04)  # m/s²
    gyro_bias: tuple[float, float, float] = (0.002, -0.001, math.radians(1.5))  # rad/s
    orientation: bool = True  # report an AHRS orientation whose yaw drifts
    yaw_offset: float = 25.0  # deg, the AHRS's initial yaw error
    yaw_drift: float = 0.5  # deg/s
    tilt_noise: float = 0.5  # deg, 1σ roll/pitch noise of the AHRS orientation


@dataclass
class Simulated:
    truth: Truth
    imu: list[ImuSample] = field(default_factory=list)
    gnss: list[GnssFix] = field(default_factory=list)

    def merged(self) -> list[tuple[str, object]]:
        """Both streams as (kind, sample) in stamp order, GNSS first at equal stamps."""
        events = [(f.stamp, 0, "gnss", f) for f in self.gnss] + [(s.stamp, 1, "imu", s) for s in self.imu]
        events.sort(key=lambda e: (e[0], e[1]))
        return [(kind, sample) for _, _, kind, sample in events]


def gauss_markov(n: int, dt: float, sigma: float, tau: float, rng: np.random.Generator) -> np.ndarray:
    """Stationary first-order Gauss–Markov sequence with standard deviation sigma."""
    phi = math.exp(-dt / tau) if tau > 0 else 0.0
    w = rng.normal(0.0, sigma * math.sqrt(1.0 - phi * phi), n)
    x = np.empty(n)
    x[0] = rng.normal(0.0, sigma)
    for k in range(1, n):
        x[k] = phi * x[k - 1] + w[k]
    return x


def simulate_gnss(truth: Truth, model: GnssModel, rng: np.random.Generator) -> list[GnssFix]:
    step = max(1, round((1.0 / model.rate) / (truth.t[1] - truth.t[0])))
    idx = np.arange(0, len(truth.t), step)
    sh, sv = FIX_SIGMA[model.fix_type]
    dt = step * (truth.t[1] - truth.t[0])
    err = np.column_stack([gauss_markov(len(idx), dt, s, model.correlation_time, rng) for s in (sh, sh, sv)])
    pos = truth.position[idx] + err
    vel = truth.velocity[idx] + rng.normal(0.0, model.sigma_velocity, (len(idx), 3))
    lat, lon, alt = pymap3d.enu2geodetic(pos[:, 0], pos[:, 1], pos[:, 2], *model.origin)
    cov = np.diag([sh * sh, sh * sh, sv * sv])
    vcov = np.eye(3) * model.sigma_velocity**2
    fixes = []
    for k, i in enumerate(idx):
        speed = math.hypot(vel[k, 0], vel[k, 1])
        heading = math.degrees(math.atan2(vel[k, 0], vel[k, 1])) % 360.0
        head_acc = min(180.0, math.degrees(model.sigma_velocity / speed)) if speed > 0 else 180.0
        fixes.append(GnssFix(float(truth.t[i]), float(lat[k]), float(lon[k]), float(alt[k]), cov, model.fix_type,
                             vel[k].copy(), vcov, heading, head_acc))
    return fixes


def simulate_imu(truth: Truth, model: ImuModel, rng: np.random.Generator) -> list[ImuSample]:
    step = max(1, round((1.0 / model.rate) / (truth.t[1] - truth.t[0])))
    idx = np.arange(0, len(truth.t), step)
    quats = [euler2quat(*truth.euler[i], "sxyz") for i in idx]
    f_enu = truth.acceleration[idx] + np.array([0.0, 0.0, GRAVITY])
    samples = []
    for k, i in enumerate(idx):
        R = quat2mat(quats[k])
        accel = R.T @ f_enu[k] + np.asarray(model.accel_bias) + rng.normal(0.0, model.accel_noise, 3)
        gyro = truth.body_rate[i] + np.asarray(model.gyro_bias) + rng.normal(0.0, model.gyro_noise, 3)
        orientation = None
        if model.orientation:
            roll, pitch, yaw = truth.euler[i]
            tilt = np.radians(rng.normal(0.0, model.tilt_noise, 2))
            drift = math.radians(model.yaw_offset + model.yaw_drift * truth.t[i])
            orientation = np.array(euler2quat(roll + tilt[0], pitch + tilt[1], yaw + drift, "sxyz"))
        samples.append(ImuSample(float(truth.t[i]), accel, gyro, orientation))
    return samples


def simulate(truth: Truth, gnss: GnssModel, imu: ImuModel, seed: int = 0) -> Simulated:
    rng = np.random.default_rng(seed)
    return Simulated(truth, simulate_imu(truth, imu, rng), simulate_gnss(truth, gnss, rng))
