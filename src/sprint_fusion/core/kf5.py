"""KF5: the chain of six filters (yaw, bias, east/north/up CJ filters, horizontal speed)."""

from __future__ import annotations

from .cj_fuser import CjFuser
from .geodesy import LocalFrame
from .samples import AlignedImu, GnssFix, ImuSample, SpeedEstimate
from .speed import HorizontalSpeedFilter
from .yaw_bias import YawBiasEstimator

AXES = ("east", "north", "up")


def axis_filter(params) -> CjFuser:
    return CjFuser(params["axis.q_diag"], params["axis.r_imu"], params["gnss.r_from"],
                   params["process_noise"], params["p0"])


class Kf5:
    def __init__(self, params, frame: LocalFrame | None = None):
        self.frame = frame or LocalFrame.from_params(params)
        self.yaw_bias = YawBiasEstimator(params)
        self.axes = {name: axis_filter(params) for name in AXES}
        self.speed = HorizontalSpeedFilter(params)
        self.aligned: AlignedImu | None = None
        self.speed_estimate: SpeedEstimate | None = None
        self.observer = None  # optional: told what each graph stage would publish (see outputs.py)

    def reset(self) -> None:
        self.yaw_bias.reset()
        for f in self.axes.values():
            f.reset()
        self.speed.reset()
        self.aligned = self.speed_estimate = None

    def on_gnss(self, fix: GnssFix) -> None:
        enu = self.frame.to_enu(fix)
        sigma = fix.sigma_enu
        self.yaw_bias.on_gnss(fix)
        if self.observer:
            self.observer.gnss_enu(fix, enu)
        for i, name in enumerate(AXES):
            self.axes[name].position(fix.stamp, float(enu[i]), float(sigma[i]))

    def on_imu(self, s: ImuSample) -> SpeedEstimate | None:
        self.aligned = self.yaw_bias.on_imu(s)
        if self.aligned is None:
            return None
        if self.observer:
            self.observer.aligned(s.stamp, self.yaw_bias, self.aligned)
        for i, name in enumerate(AXES):
            axis = self.axes[name]
            if axis.acceleration(s.stamp, float(self.aligned.accel_enu[i])) and self.observer:
                self.observer.axis(s.stamp, name, axis.state, axis.covariance)
        north, east = self.axes["north"], self.axes["east"]
        if not (north.initialized and east.initialized):
            return None
        self.speed_estimate = self.speed.update(s.stamp, north.state[1], east.state[1])
        if self.observer:
            states = {n: (f.state[0], f.state[1], f.covariance[0, 0], f.covariance[1, 1])
                      for n, f in self.axes.items() if f.initialized}
            self.observer.speed(s.stamp, self.speed_estimate, states)
        return self.speed_estimate
