"""The pip path of a lab's replay (issue 16): `sprint-fusion graph --no-drivers --use-sim-time` in
its own process, the bundled bag played into it by `sprint-fusion play --clock` — the graph's
messages are exactly those offline `replay` writes, none lost. (test_launch_replay.py does the same
with the launch file, where launch_testing is installed.)"""

import os
import signal
import subprocess
import sys

import pytest

from sprint_fusion.bags.replay import replay
from sprint_fusion.core.params import FilterParams
from sprint_fusion.paths import config_file

from .graph_helpers import REPO, assert_same_messages, offline_topics, played_into_graph

pytestmark = pytest.mark.slow  # processes over DDS, the bag at its recorded pace

BAG = REPO / "bags" / "sprint_40m"
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src")}  # the DDS isolation of conftest is inherited


@pytest.mark.parametrize("hops", ["in memory", "over DDS"])
def test_a_bag_played_into_the_graph_gives_what_replay_writes(ros, tmp_path, hops):
    extra = ["--all-dds"] if hops == "over DDS" else []
    graph = subprocess.Popen([sys.executable, "-m", "sprint_fusion.cli", "graph", "--no-drivers", "--use-sim-time",
                              *extra], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        live = played_into_graph(ros, BAG, ENV)
    finally:
        graph.send_signal(signal.SIGINT)
        _, err = graph.communicate(timeout=30)
    assert graph.returncode == 0, err
    # the graph's default profile (config/filters/accurate.yaml) with its configured lag: replay()
    # itself does not measure the lag (the replay command does, before it calls replay())
    replay(BAG, tmp_path / "out", FilterParams.from_yaml(config_file("filters", "accurate.yaml")))
    assert_same_messages(live, offline_topics(tmp_path / "out"))
