"""A launch test (launch_testing): launch/replay.launch.py starts the fusion graph on simulated
time, the bundled bag is played into it with `sprint-fusion play --clock`, and the graph's messages
are exactly those offline `replay` writes — none lost. Runs where launch_testing and launch_ros are
installed (a ROS 2 install: `launch_test test/test_launch_replay.py`, or pytest with
launch_testing's plugin, as `colcon test` runs it); skipped elsewhere. test_played_graph.py is the
same check on the pip path."""

import os
import sys
import tempfile
import unittest
from pathlib import Path

import pytest

launch_ros = pytest.importorskip("launch_ros", reason="launch/launch_ros come with a ROS 2 install, not from PyPI")
launch_testing = pytest.importorskip("launch_testing", reason="launch_testing comes with a ROS 2 install")

# DDS isolated as conftest does (launch_test does not read conftest): our own domain, localhost only
os.environ.setdefault("ROS_DOMAIN_ID", str(100 + os.getpid() % 100))
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.pop("ROS_LOCALHOST_ONLY", None)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test helpers, also when launch_test imports this file alone

import launch  # noqa: E402
from launch.actions import IncludeLaunchDescription  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402
from launch_testing.actions import ReadyToTest  # noqa: E402

from test.graph_helpers import assert_same_messages, offline_topics, played_into_graph  # noqa: E402

BAG = REPO / "bags" / "sprint_40m"


@pytest.mark.launch_test
def generate_test_description():
    graph = IncludeLaunchDescription(PythonLaunchDescriptionSource(str(REPO / "launch" / "replay.launch.py")))
    return launch.LaunchDescription([graph, ReadyToTest()])


class TestBagPlayedIntoTheLaunchedGraph(unittest.TestCase):
    def test_the_graph_gives_what_replay_writes(self):
        import rclpy
        from rclpy.context import Context

        from sprint_fusion.bags.replay import replay
        from sprint_fusion.core.params import FilterParams
        from sprint_fusion.paths import config_file

        context = Context()
        rclpy.init(context=context)
        try:
            live = played_into_graph(context, BAG, {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        finally:
            rclpy.shutdown(context=context)
        with tempfile.TemporaryDirectory() as tmp:
            # the launch file's default profile, with its configured lag (replay() measures none)
            replay(BAG, Path(tmp) / "out", FilterParams.from_yaml(config_file("filters", "accurate.yaml")))
            assert_same_messages(live, offline_topics(Path(tmp) / "out"))


@launch_testing.post_shutdown_test()
class TestTheGraphStopsCleanly(unittest.TestCase):
    def test_every_process_exits_cleanly_on_sigint(self, proc_info):
        launch_testing.asserts.assertExitCodes(proc_info)
