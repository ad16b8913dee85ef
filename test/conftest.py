import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# Tests import the source tree even when the package is not installed (colcon test, plain checkout).
sys.path.insert(0, str(REPO / "src"))

# The kernels of this test process are chosen here, before any test module imports the nodes
# (which prefer plain Python): SPRINT_FUSION_KERNELS, else numba where installed. Processes the
# tests start choose their own, as they would outside the tests.
import sprint_fusion.core.kalman  # noqa: E402, F401


@pytest.fixture
def shared_data() -> Path:
    """../shared/data beside the clone (CI places it there); a test needing it fails loudly without it."""
    path = SHARED / "data"
    assert path.is_dir(), f"{path} is missing: the shared test data must sit beside the repository"
    return path


# DDS isolation for tests that run nodes: a domain of our own and localhost-only discovery,
# set before rclpy is first imported so every context in the session uses them.
os.environ["ROS_DOMAIN_ID"] = str(100 + os.getpid() % 100)
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.pop("ROS_LOCALHOST_ONLY", None)


@pytest.fixture
def ros():
    """A fresh rclpy context; nodes made with `context=ros` are destroyed, and it shut down, after."""
    import rclpy
    from rclpy.context import Context

    context = Context()
    rclpy.init(context=context)
    nodes = []
    context.track = nodes.append  # tests register nodes to destroy
    yield context
    for node in reversed(nodes):
        node.destroy_node()
    rclpy.shutdown(context=context)


def spin_until(context, nodes, done, timeout=20.0):
    """Spin the nodes until done() or the timeout; returns done()."""
    import time

    from rclpy.executors import SingleThreadedExecutor

    executor = SingleThreadedExecutor(context=context)
    for n in nodes:
        executor.add_node(n)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end and not done():
            executor.spin_once(timeout_sec=0.05)
    finally:
        for n in nodes:
            executor.remove_node(n)
        executor.shutdown(timeout_sec=5.0)  # let callbacks in flight finish before nodes go
    return done()


# --- database servers for the athlete store --------------------------------------------------
def _postgres_bin():
    import glob
    import shutil

    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(versions[-1]).parent if versions else None


@pytest.fixture(scope="session")
def postgres_server():
    """A throw-away PostgreSQL cluster on a private unix socket, when the server binaries are
    installed (CI installs them); yields a function making a fresh database URL."""
    import pwd
    import shutil
    import subprocess
    import tempfile

    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb) are not installed")
    run_as = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres user
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a 'postgres' user to own the test cluster")
        run_as = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="sprint-fusion-pg-"))
    data, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    if run_as:
        shutil.chown(base, "postgres")
        shutil.chown(socket_dir, "postgres")
    port = str(40000 + os.getpid() % 20000)
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True)
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "-o",
                    f"-k {socket_dir} -c listen_addresses='' -p {port}", "start"], check=True, capture_output=True)
    counter = iter(range(1_000_000))

    def new_database() -> str:
        import psycopg

        name = f"test_{next(counter)}"
        with psycopg.connect(host=str(socket_dir), port=port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql+psycopg://postgres@/{name}?host={socket_dir}&port={port}"

    try:
        yield new_database
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """The athlete store on SQLite and, where a server can be started, on PostgreSQL."""
    from sprint_fusion.monitoring.store import Store

    target = tmp_path / "athletes.db" if request.param == "sqlite" else request.getfixturevalue("postgres_server")()
    s = Store(target)
    yield s
    s.close()
