"""The package builds with colcon in a ROS 2 workspace and its installed scripts start."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a colcon build

REPO = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "install", "log", "__pycache__", "*.egg-info",
                              ".pytest_cache", ".ruff_cache", "out")


def test_colcon_build_installs_a_working_ros_package(tmp_path):
    colcon = Path(sys.executable).with_name("colcon")
    assert colcon.exists(), "colcon-common-extensions is part of the test extra: pip install -e .[ros,test]"
    shutil.copytree(REPO, tmp_path / "src" / "sprint_fusion", ignore=SKIP)
    build = subprocess.run([str(colcon), "build", "--event-handlers", "console_direct-"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr

    prefix = tmp_path / "install" / "sprint_fusion"
    share = prefix / "share" / "sprint_fusion"
    assert (prefix / "share" / "ament_index" / "resource_index" / "packages" / "sprint_fusion").is_file()
    assert (share / "package.xml").is_file()
    assert (share / "config" / "filters" / "paper.yaml").is_file()
    assert (share / "bags" / "sprint_40m" / "metadata.yaml").is_file()

    script = prefix / "lib" / "sprint_fusion" / "sprint-fusion"  # where `ros2 run` looks
    site = next(prefix.glob("lib/python*/site-packages"))
    env = dict(os.environ, PYTHONPATH=str(site), AMENT_PREFIX_PATH=str(prefix))
    run = subprocess.run([str(script), "params"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert "gnss.velocity: True" in run.stdout  # the installed default profile, config/filters/accurate.yaml
    demo = subprocess.run([str(script), "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert demo.returncode == 0, demo.stderr
    assert "install/sprint_fusion/share/sprint_fusion/bags/sprint_40m" in demo.stdout  # the installed bag
    for launch_file in ("sprint_fusion.launch.py", "replay.launch.py"):
        assert (share / "launch" / launch_file).is_file()
    from sprint_fusion.graph import GRAPH

    for spec in GRAPH:  # `ros2 run sprint_fusion <executable>` finds these; each refuses a bad value
        exe = prefix / "lib" / "sprint_fusion" / spec.executable
        wrong, named = {"driver": (["path:=/no/such/log", "transport:=file"], "parameter 'path'"),
                        "fusion": (["speed.r:=-1.0"], "speed.r"),
                        "analysis": (["trial.end_fraction:=1.5"], "trial.end_fraction")}[spec.role]
        args = [str(exe), "--ros-args"] + [x for w in wrong for x in ("-p", w)]
        refused = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert named in refused.stdout
    # The installed copy reads its config from the install's share/, not from the source tree.
    where = subprocess.run([sys.executable, "-c", "import sprint_fusion.paths as p; print(p.share_dir())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(share), where.stderr
