"""imu_driver: u-blox ESF or a line-based IMU (CSV log, serial protocol) → imu/data_raw
(REP-145), and imu/data when the device reports an orientation; with /diagnostics."""

from __future__ import annotations

import math
import sys

import numpy as np
from diagnostic_msgs.msg import DiagnosticStatus

from .. import msgs
from ..core.params import ParameterError
from ..sensors.driver_params import IMU_DRIVER_PARAMS
from ..sensors.imu_lines import LineFormat, LineFormatError
from ..sensors.rtklib import PosFormatError, read_tag
from ..sensors.streams import LineStream, UbxStream
from ..sensors.ubx_esf import EsfDecoder
from ..topics import IMU_DATA, IMU_RAW, TYPES
from .driver_base import DriverNode, make_source
from .parameters import declare
from .runner import run_node


def imu_stream(p: dict):
    """The decoding stream the parameters describe (also used by the converters)."""
    try:
        if p["source"] == "ubx_esf":
            return UbxStream(EsfDecoder(p["axes"], p["esf_raw_tick"], source=p["esf_source"]))
        fmt = LineFormat(tuple(p["columns"]), p["delimiter"], p["accel_unit"], p["gyro_unit"], p["tick_period"],
                         p["axes"])
        tag = read_tag(p["tag_path"]) if p["tag_path"] else None
        return LineStream(fmt, tag)
    except (ValueError, OSError, LineFormatError, PosFormatError) as err:
        raise ParameterError(str(err)) from None


class ImuDriver(DriverNode):
    hardware = "IMU"

    def __init__(self, node_name: str = "imu_driver", **kwargs):
        super().__init__(node_name, **kwargs)

    def setup(self) -> None:
        self.p = declare(self, IMU_DRIVER_PARAMS)
        self.types = msgs.rclpy_types()
        self.pubs = {t: self.create_publisher(self.types(TYPES[t]), t, 200) for t in (IMU_RAW, IMU_DATA)}
        self.main_publisher = self.pubs[IMU_RAW]
        self.source = make_source(self.p)
        self.stream = imu_stream(self.p)
        self.accel_var, self.gyro_var = self.p["accel_noise"] ** 2, self.p["gyro_noise"] ** 2
        self.orientation_cov = np.diag(np.square(self.p["orientation_noise"]))
        self.published = 0
        self.get_logger().info(f"{self.p['source']} from {self.source.describe()}")
        self.start()

    def decode(self, data: bytes, arrival: float | None):
        return [self.item(e.value) for e in self.stream.feed(data, arrival) if e.kind == "imu"]

    def finish(self):
        return [self.item(e.value) for e in self.stream.close() if e.kind == "imu"]

    def item(self, sample):
        def publish():
            if not sample.is_valid() or not math.isfinite(sample.stamp):
                return
            for topic, msg in msgs.imu_messages(self.types, sample, self.p["frame_id"], self.accel_var,
                                                self.gyro_var, self.orientation_cov):
                self.pubs[topic].publish(msg)
            self.published += 1

        return sample.stamp, publish

    def status(self):
        if not self.published:
            return DiagnosticStatus.WARN, "no sample yet", {}
        return DiagnosticStatus.OK, "ok", {"samples": str(self.published)}

    def counters(self):
        return self.stream.counters()


def main(args=None) -> int:
    return run_node(ImuDriver, args)


if __name__ == "__main__":
    sys.exit(main())
