"""The fusion graph alone on simulated time, for recorded bags played with /clock.

    ros2 launch sprint_fusion replay.launch.py filters:=<file> namespace:=athlete1
    ros2 bag play <bag> --clock

The same nodes and parameters as sprint_fusion.launch.py, without the drivers; use_sim_time
defaults to true.
"""

from sprint_fusion.launch_support import launch_description


def generate_launch_description():
    return launch_description(drivers=False, use_sim_time="true")
