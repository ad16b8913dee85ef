"""`sprint-fusion batch` on a real Dask cluster — a `dask scheduler` and two `dask worker`
processes started here, as a lab runs them — gives each bag exactly what `replay` and `report`
give by hand; a damaged bag is reported and the others go on; a second run skips what is up to
date; the trials go into the athlete store from the client."""

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sprint_fusion.cli import main

from .conftest import REPO
from .test_replay import bag_messages

pytestmark = pytest.mark.slow  # a Dask cluster, three bags through replay and report


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two single-threaded workers, each its own process."""
    where = tmp_path_factory.mktemp("dask")
    file = where / "scheduler.json"
    dask = str(Path(sys.executable).with_name("dask"))
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    procs = [subprocess.Popen([dask, "scheduler", "--scheduler-file", str(file), "--port", "0",
                               "--dashboard-address", ":0"], cwd=where, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    end = time.monotonic() + 60
    while not file.exists() and time.monotonic() < end:
        time.sleep(0.2)
    address = json.loads(file.read_text())["address"]
    procs += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard"],
                               cwd=where, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for _ in range(2)]
    from dask.distributed import Client

    with Client(address) as client:
        client.wait_for_workers(2, timeout=60)
    yield address
    for p in reversed(procs):
        p.terminate()
        p.wait(timeout=30)


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    root = tmp_path_factory.mktemp("season")
    for name in ("sprint_40m", "sprint_100m_outage"):
        shutil.copytree(REPO / "bags" / name, root / "bags" / name)
    broken = root / "bags" / "killed"
    broken.mkdir()
    shutil.copy(REPO / "bags" / "sprint_40m" / "metadata.yaml", broken)
    data = (REPO / "bags" / "sprint_40m" / "sprint_40m.mcap").read_bytes()
    (broken / "sprint_40m.mcap").write_bytes(data[: len(data) // 2])  # a recording killed half way
    (root / "season.csv").write_text("bag,athlete,date,mass\nbags/sprint_40m,Ana Silva,2026-05-01,62\n"
                                     "bags/sprint_100m_outage,Ben Ode,2026-05-02,\nbags/killed,Ana Silva,2026-05-03,\n")
    return root


def test_batch_on_a_dask_cluster_equals_replay_and_report_by_hand(cluster, season, tmp_path, capsys):
    out = tmp_path / "out"
    db = tmp_path / "athletes.db"
    code = main(["batch", str(season / "season.csv"), "-o", str(out), "--scheduler", cluster, "--db", str(db)])
    printed = capsys.readouterr().out
    assert code == 1  # the killed recording is reported...
    results = {r["name"]: r for r in json.loads((out / "results.json").read_text())}
    assert results["killed"]["status"] == "damaged" and "damaged at byte" in results["killed"]["error"]
    assert results["sprint_40m"]["status"] == results["sprint_100m_outage"]["status"] == "done"  # ...the others go on

    # by hand, the same bag with the same athlete's mass
    hand = tmp_path / "hand"
    bag = season / "bags" / "sprint_40m"
    assert main(["replay", str(bag), "-o", str(hand / "replay"), "--mass", "62"]) == 0
    assert main(["report", str(bag), "-o", str(hand / "report"), "--mass", "62"]) == 0
    got, want = out / "sprint_40m", hand
    assert json.loads((got / "report" / "sprint.json").read_text())["trials"] == \
        json.loads((want / "report" / "sprint.json").read_text())["trials"]
    assert (got / "report" / "trials.csv").read_text() == (want / "report" / "trials.csv").read_text()
    with open(got / "replay.csv") as a, open(hand / "replay.csv") as b:
        rows_a, rows_b = list(csv.reader(a)), list(csv.reader(b))
    assert rows_a[0] == rows_b[0] and len(rows_a) == len(rows_b)
    assert np.allclose(np.array(rows_a[1:], dtype=float), np.array(rows_b[1:], dtype=float), equal_nan=True,
                       rtol=0, atol=1e-12)
    topics_a, topics_b = bag_messages(got / "replay"), bag_messages(hand / "replay")
    assert {t: len(m) for t, m in topics_a.items()} == {t: len(m) for t, m in topics_b.items()}

    page = (out / "index.html").read_text()
    assert "Ana Silva" in page and "sprint_40m/report/report.html" in page and "damaged at byte" in page
    assert "imported" in printed or "added" in printed  # the client imported the trials

    from sprint_fusion.monitoring.store import Store

    with Store(db).engine.connect() as conn:
        names = {row[0] for row in conn.exec_driver_sql("SELECT name FROM athletes")}
    assert {"Ana Silva", "Ben Ode"} <= names

    again = main(["batch", str(season / "season.csv"), "-o", str(out), "--scheduler", cluster])
    capsys.readouterr()
    assert again == 1
    redo = {r["name"]: r["status"] for r in json.loads((out / "results.json").read_text())}
    assert redo == {"sprint_40m": "skipped", "sprint_100m_outage": "skipped", "killed": "skipped"}


def test_a_manifest_without_its_columns_is_refused(tmp_path, capsys):
    manifest = tmp_path / "m.csv"
    manifest.write_text("path,who\nx,y\n")
    assert main(["batch", str(manifest), "-o", str(tmp_path / "out")]) == 2
    assert "manifest without column(s) bag, athlete, date" in capsys.readouterr().err


def test_a_job_is_redone_when_its_filter_file_or_the_code_changed(tmp_path, monkeypatch):
    """Up to date means made from this bag, these settings, this filter file's contents (edited in
    place it keeps its path) and this code: a change to either redoes the job."""
    from sprint_fusion.bags import batch

    filters = tmp_path / "filters.yaml"
    shutil.copy(REPO / "config" / "filters" / "accurate.yaml", filters)
    job = batch.discover(str(REPO / "bags" / "sprint_40m"))[0]
    settings = {"filters": str(filters), "set": [], "sprint": {}, "force": False}

    def status() -> str:
        return batch.run_job(job, str(tmp_path / "out"), settings).status

    assert [status(), status()] == ["done", "skipped"]
    filters.write_text(filters.read_text().replace("fix_delay: 0.05 ", "fix_delay: 0.0 "))
    assert [status(), status()] == ["done", "skipped"]
    monkeypatch.setattr(batch, "code_version", lambda: "a newer sprint_fusion")
    assert [status(), status()] == ["done", "skipped"]
