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


def fresh(code: str, **env) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(REPO / 'src')!r})\n" + code],
                          capture_output=True, text=True, timeout=120, env={**os.environ, **env})


def test_the_fusion_needs_no_athlete_store():
    # SQLAlchemy and Alembic made unimportable (the athletes extra not installed): everything but
    # the store imports, and `sprint-fusion athletes` says which extra to install
    out = fresh("sys.modules['sqlalchemy'] = sys.modules['alembic'] = None\n"
                "import importlib\n"
                "for m in ['sprint_fusion.core.fusion', 'sprint_fusion.bags.replay', 'sprint_fusion.sprint.report',\n"
                "          'sprint_fusion.nodes.yaw_bias_estimator', 'sprint_fusion.nodes.runner']:\n"
                "    importlib.import_module(m)\n"
                "from sprint_fusion.cli import main\n"
                "print(main(['athletes', '--db', 'x.db', 'list']))")
    assert out.stdout.strip() == "2", out.stderr
    assert "pip install 'sprint_fusion[athletes]'" in out.stderr


def test_node_processes_run_compiled_kernels_only_from_a_warm_cache(tmp_path):
    """A node process compiles nothing before it is ready: plain Python on a cold cache (issue 16:
    six processes compiling for minutes, deaf to SIGINT), compiled once warm_up has filled it."""
    code = ("from sprint_fusion.cli import build_parser; build_parser()\n"  # what `sprint-fusion graph` does first
            "import sprint_fusion.nodes.axis_filter\n"
            "from sprint_fusion.core import jit; print(jit.NAME)")
    cache = str(tmp_path / "numba")
    assert fresh(code, SPRINT_FUSION_KERNELS="", NUMBA_CACHE_DIR=cache).stdout.strip() == "python"
    assert fresh(code, SPRINT_FUSION_KERNELS="numba", NUMBA_CACHE_DIR=cache).stdout.strip() == "numba"
    warm = fresh("from sprint_fusion.core.fusion import warm_up; warm_up(); print('warm')", SPRINT_FUSION_KERNELS="",
                 NUMBA_CACHE_DIR=cache)
    assert warm.stdout.strip() == "warm", warm.stderr
    assert fresh(code, SPRINT_FUSION_KERNELS="", NUMBA_CACHE_DIR=cache).stdout.strip() == "numba"
    assert fresh(code, SPRINT_FUSION_KERNELS="python", NUMBA_CACHE_DIR=cache).stdout.strip() == "python"
    offline = fresh("import sprint_fusion.core.fusion\nfrom sprint_fusion.core import jit; print(jit.NAME)",
                    SPRINT_FUSION_KERNELS="")
    assert offline.stdout.strip() == "numba"  # offline, compiled where numba is installed


def test_importing_the_bag_readers_leaves_the_kernels_undecided():
    """`sprint-fusion play` imports the readers before its player node: importing them must not
    choose compiled kernels (and load numba) for that node process."""
    code = ("import sprint_fusion.bags.reader, sprint_fusion.bags.salvage\n"
            "import sprint_fusion.nodes.player\n"
            "from sprint_fusion.core import jit; print(jit.NAME, 'numba' in sys.modules)")
    assert fresh(code, SPRINT_FUSION_KERNELS="", NUMBA_CACHE_DIR="/nonexistent").stdout.strip() == "python False"


def test_a_node_on_a_cold_cache_fills_it_in_the_background_for_the_next_start(tmp_path):
    import time

    cache = tmp_path / "numba"
    started = fresh("import sprint_fusion.nodes\nfrom sprint_fusion.core import jit\n"
                    "print(jit.NAME, jit.warm_in_background(), jit.warm_in_background())",
                    SPRINT_FUSION_KERNELS="", NUMBA_CACHE_DIR=str(cache))
    assert started.stdout.strip() == "python True False", started.stderr  # one compiler, however many nodes ask
    deadline = time.monotonic() + 240
    while not list(cache.glob("warm-*")) and time.monotonic() < deadline:
        time.sleep(1.0)
    assert list(cache.glob("warm-*")) and not list(cache.glob("warming-*"))


def test_another_install_of_the_same_sources_is_not_warm_because_this_one_is(tmp_path):
    """numba keys its cache on each source file's path and time: a colcon install beside the venv
    shares the cache folder but not the compiled steps — taken for warm, its graph compiled
    everything before its first output (found by the launch test)."""
    import shutil

    cache = str(tmp_path / "numba")
    other = tmp_path / "install" / "sprint_fusion"
    shutil.copytree(REPO / "src" / "sprint_fusion", other, ignore=shutil.ignore_patterns("__pycache__"))
    warm = fresh("from sprint_fusion.core.fusion import warm_up; warm_up(); print('warm')", SPRINT_FUSION_KERNELS="",
                 NUMBA_CACHE_DIR=cache)
    assert warm.stdout.strip() == "warm", warm.stderr
    code = (f"sys.path.insert(0, {str(other.parent)!r})\n"
            "import sprint_fusion.nodes.axis_filter\n"
            "from sprint_fusion.core import jit; print(jit.NAME, sprint_fusion.__file__.startswith("
            f"{str(other)!r}))")
    assert fresh(code, SPRINT_FUSION_KERNELS="", NUMBA_CACHE_DIR=cache).stdout.strip() == "python True"
