"""gnss_driver: a u-blox (UBX), NMEA or RTKLIB source → gnss/fix, gnss/vel, gnss/heading,
gnss/fix_type (see README, Topics), with /diagnostics."""

from __future__ import annotations

import dataclasses
import math
import sys

from diagnostic_msgs.msg import DiagnosticStatus

from .. import msgs
from ..core.samples import FixType, GnssFix
from ..sensors.driver_params import GNSS_DRIVER_PARAMS
from ..sensors.streams import NmeaStream, PosStream, UbxStream
from ..sensors.ubx_nav import NavEpoch
from ..topics import GNSS_FIX, GNSS_TOPICS, TYPES
from .driver_base import DriverNode, make_source
from .parameters import declare
from .runner import run_node

STREAMS = {"ubx": UbxStream, "nmea": NmeaStream, "rtklib_pos": PosStream}


class GnssDriver(DriverNode):
    hardware = "GNSS receiver"

    def __init__(self, node_name: str = "gnss_driver", **kwargs):
        super().__init__(node_name, **kwargs)

    def setup(self) -> None:
        self.p = declare(self, GNSS_DRIVER_PARAMS)
        self.types = msgs.rclpy_types()
        self.pubs = {t: self.create_publisher(self.types(TYPES[t]), t, 50) for t in GNSS_TOPICS}
        self.main_publisher = self.pubs[GNSS_FIX]
        self.last_fix: GnssFix | None = None
        self.source = make_source(self.p)
        self.stream = STREAMS[self.p["source"]]()
        self.get_logger().info(f"{self.p['source']} from {self.source.describe()}")
        self.start()

    def decode(self, data: bytes, arrival: float | None):
        return [self.item(e.value) for e in self.stream.feed(data, arrival)]

    def finish(self):
        return [self.item(e.value) for e in self.stream.close()]

    def item(self, value):
        fix = value.fix if isinstance(value, NavEpoch) else value
        receiver_time = fix.stamp
        if self.p["stamp"] == "arrival" or not math.isfinite(receiver_time):
            fix = dataclasses.replace(fix, stamp=self.now())

        def publish():
            self.last_fix = fix
            for topic, msg in msgs.gnss_messages(self.types, fix, self.p["frame_id"], self.p["velocity_frame_id"]):
                self.pubs[topic].publish(msg)

        return receiver_time, publish

    def status(self):
        fix = self.last_fix
        if fix is None:
            return DiagnosticStatus.WARN, "no epoch yet", {}
        values = {"fix type": fix.fix_type.name}
        if fix.fix_type == FixType.NO_FIX:
            return DiagnosticStatus.WARN, "no fix", values
        values["hAcc [m]"] = f"{fix.sigma_horizontal:.3f}"
        level = DiagnosticStatus.OK if fix.fix_type >= FixType.RTK_FLOAT else DiagnosticStatus.WARN
        return level, fix.fix_type.name, values

    def counters(self):
        return self.stream.counters()


def main(args=None) -> int:
    return run_node(GnssDriver, args)


if __name__ == "__main__":
    sys.exit(main())
