"""KF5: the chain of six filters (yaw, bias, east/north/up CJ filters, horizontal speed)."""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from . import kalman as kf
from .cj_fuser import CjFuser, Fusers, three_fixes
from .jit import Direct
from .kf2 import measured_velocity
from .samples import GnssFix
from .speed import HorizontalSpeedFilter
from .yaw_bias import YawBiasEstimator

AXES = ("east", "north", "up")

# KF5's IMU side as one record: stages 1–3 (yaw_bias.Align), the three axis filters in AXES order,
# their histories and their R entry of the aligned acceleration, the speed filter with its R entry,
# and the choices speed_direct (speed.mode 'direct') and unaligned (kf5.before_heading 'gnss').
Kf5Record = namedtuple("Kf5Record", "align axes histories r_axis speed r_speed speed_direct unaligned")


def axis_filter(params) -> CjFuser:
    return CjFuser.from_params(params, "axis")


class Kf5:
    def __init__(self, params):
        self.yaw_bias = YawBiasEstimator(params)
        self.axes = {name: axis_filter(params) for name in AXES}
        self.speed = HorizontalSpeedFilter(params)
        self.record = Kf5Record(self.yaw_bias.align, tuple(self.axes[a].filter for a in AXES),
                                tuple(self.axes[a].history for a in AXES),
                                self.axes["east"].r_imu, self.speed.filter, self.speed.r,
                                params["speed.mode"] == "direct", params["kf5.before_heading"] == "gnss")
        self.use_velocity = bool(params["gnss.velocity"])
        axes = [self.axes[a] for a in AXES]
        self.fusers = Fusers(*(tuple(getattr(a, name) for a in axes) for name in
                               ("filter", "history", "gnss_state", "position_row", "velocity_rows")))
        self.fixes = Direct(three_fixes)  # a fix's three filters in one compiled call

    def reset(self) -> None:
        self.yaw_bias.reset()
        for f in self.axes.values():
            f.reset()
        self.speed.reset()

    def on_gnss(self, fix: GnssFix, enu: np.ndarray) -> None:
        self.yaw_bias.on_gnss(fix)
        if self.use_velocity and measured_velocity(fix):
            v = [float(x) for x in fix.velocity[:3]]
            variance = [float(fix.velocity_covariance[i, i]) for i in range(3)]
        else:
            v = variance = [math.nan] * 3
        d = [float(x) for x in enu[:3]]
        axes = [self.axes[name] for name in AXES]
        for axis, first in zip(axes, d, strict=True):
            axis.start_at(fix.stamp, first)
        east = axes[0]  # the three share their settings (axis_filter)
        kf.checked(self.fixes(self.fusers, float(fix.stamp), *d,
                              *(a.gnss_r(s) for a, s in zip(axes, fix.sigma_enu, strict=True)), east.gate, *v,
                              *variance, east.lag_sigma, east.carry), fix.stamp)
