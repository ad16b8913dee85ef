"""Drivers + the whole KF5 graph + KF2 for one athlete.

    ros2 launch sprint_fusion sprint_fusion.launch.py sensors:=<file> filters:=<file> namespace:=athlete1

Arguments: sensors (config/sensors/*.yaml; default the F9P + external IMU), filters
(config/filters/*.yaml; default the accurate profile), namespace, use_sim_time (default false),
one_process (default true), fix_delay (time.fix_delay; empty: the profile's), and for file-based
sensor configs gnss_path, imu_path, imu_tag. The nodes come from
sprint_fusion.graph, the description `sprint-fusion graph` (pip installs) runs too.
"""

from sprint_fusion.launch_support import launch_description


def generate_launch_description():
    return launch_description(drivers=True, use_sim_time="false")
