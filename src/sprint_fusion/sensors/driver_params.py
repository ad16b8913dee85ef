"""Parameters of the two driver nodes (names, defaults, ranges, docs): one table each."""

from __future__ import annotations

from ..core.params import Param

TRANSPORT = (
    Param("transport", "serial", "Where the bytes come from", choices=("serial", "tcp", "file")),
    Param("port", "/dev/ttyACM0", "Serial device (transport serial)"),
    Param("baud", 115200, "Serial baud rate", low=1200, high=4000000),
    Param("host", "127.0.0.1", "TCP server, e.g. an RTKLIB str2str tcpsvr (transport tcp)"),
    Param("tcp_port", 2101, "TCP port", low=1, high=65535),
    Param("path", "", "Log file (transport file)"),
    Param("realtime", True, "File: publish at the pace the data was recorded (else as fast as possible)"),
    Param("start_subscribers", 1, "File: publish once this many subscribers listen to the main topic (in the "
          "graph: every fusion node that reads it, set by the launch file and sprint-fusion graph)", low=0, high=100),
    Param("start_timeout", 30.0, "File: wait up to this long for them, then publish anyway (warning how many "
          "came)", "s", low=0.0, high=600.0),
    Param("strip_comments", False, "File: skip leading '#' comment lines (gpsd test logs)"),
    Param("retry", 1.0, "Seconds between reconnection attempts of a lost serial/TCP source", "s", low=0.05, high=60.0),
    Param("diagnostics_period", 1.0, "Period of the /diagnostics status", "s", low=0.1, high=60.0),
)

GNSS_DRIVER_PARAMS: tuple[Param, ...] = (
    Param("source", "ubx", "Receiver protocol: u-blox UBX (NAV-PVT, HPPOSLLH, COV, RELPOSNED), NMEA "
          "(GGA/RMC/GST), or an RTKLIB solution file", choices=("ubx", "nmea", "rtklib_pos")),
    *TRANSPORT,
    Param("stamp", "receiver", "Header stamps: the receiver's UTC time of the epoch when valid, or "
          "the arrival time on this host", choices=("receiver", "arrival")),
    Param("frame_id", "gnss_link", "Frame of gnss/fix and gnss/heading"),
    Param("velocity_frame_id", "enu", "Frame of gnss/vel (local east-north-up)"),
)

IMU_DRIVER_PARAMS: tuple[Param, ...] = (
    Param("source", "lines", "Device protocol: u-blox ESF-RAW/ESF-MEAS (receivers with a built-in "
          "IMU) or delimited text lines (CSV logs, serial line protocols)", choices=("ubx_esf", "lines")),
    *TRANSPORT,
    Param("tag_path", "", "File: RTKLIB .tag of the log, to put device ticks on GNSS time"),
    Param("columns", ["ax", "ay", "az", "gx", "gy", "gz", "tick"], "Lines: column names in order "
          "(ax ay az gx gy gz, one of time [s] or tick, skip; qw qx qy qz for a device orientation)"),
    Param("delimiter", ",", "Lines: column delimiter"),
    Param("accel_unit", "g", "Lines: accelerometer unit", choices=("g", "m/s2")),
    Param("gyro_unit", "deg/s", "Lines: gyroscope unit", choices=("deg/s", "rad/s")),
    Param("tick_period", 0.001, "Lines: seconds per device tick", "s", low=1e-9, high=10.0),
    Param("axes", "x,y,z", "Device axes onto REP-103 body axes (x forward, y left, z up), e.g. '-x,-y,z'"),
    Param("esf_source", "auto", "ESF: ESF-RAW, ESF-MEAS, or auto (RAW once seen)", choices=("auto", "raw", "meas")),
    Param("esf_raw_tick", 1.0 / 25600.0, "ESF-RAW: seconds per sTtag tick", "s", low=1e-9, high=1.0),
    Param("accel_noise", 0.05, "1σ accelerometer noise for the message covariance", "m/s²", low=0.0, high=100.0),
    Param("gyro_noise", 0.005, "1σ gyroscope noise for the message covariance", "rad/s", low=0.0, high=10.0),
    Param("orientation_noise", [0.01, 0.01, 0.1], "1σ roll, pitch, yaw error of a reported "
          "orientation (imu/data covariance)", "rad", low=0.0, high=10.0),
    Param("frame_id", "imu_link", "Frame of imu/data_raw and imu/data"),
)
