"""The seams of the house plan: the math and the decoding import no rclpy."""

import subprocess
import sys

from .conftest import REPO

PURE = ["sprint_fusion." + m for m in ("core.fusion", "core.kf5", "core.kf2", "sensors.streams", "sensors.sources",
                                       "sim.scenario", "bags.replay", "bags.convert", "outputs", "graph", "cli")]


def test_pure_modules_import_no_rclpy():
    # rclpy made unimportable: every pure module must still import (and so never touch it)
    code = ("import sys; sys.modules['rclpy'] = None\n"
            f"sys.path.insert(0, {str(REPO / 'src')!r})\n"
            "import importlib\n"
            f"for m in {PURE!r}: importlib.import_module(m)\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
