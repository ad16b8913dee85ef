"""The README's main job: `sprint-fusion demo` on the bundled scenario."""

import re
import subprocess
import sys
from pathlib import Path

from sprint_fusion.cli import main


def test_demo_reports_distance_and_top_speed_close_to_truth(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    rows = {m.group(1): (float(m.group(2)), float(m.group(3)))
            for m in re.finditer(r"^(truth|KF2|KF5)\s+([\d.]+)\s+([\d.]+)", out, re.M)}
    assert set(rows) == {"truth", "KF2", "KF5"}
    d_true, v_true = rows["truth"]
    for name in ("KF2", "KF5"):
        d, v = rows[name]
        assert abs(d - d_true) <= 0.02 * d_true, name
        assert abs(v - v_true) <= 0.3, name


def test_wrong_parameter_exits_2_with_its_name(capsys):
    assert main(["demo", "--set", "speed.r=-1"]) == 2
    assert "parameter 'speed.r'" in capsys.readouterr().err


def test_console_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "sprint_fusion.cli", "params"], capture_output=True, text=True,
                         check=True)
    assert "gnss.velocity: True" in out.stdout  # the default profile: config/filters/accurate.yaml
    paper = subprocess.run([sys.executable, "-m", "sprint_fusion.cli", "params", "--filters",
                            "config/filters/paper.yaml"], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[1])
    assert "kf2.r_imu: 0.1" in paper.stdout and "gnss.velocity: False" in paper.stdout
