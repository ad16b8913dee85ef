"""The report files: sprint.json (documented schema), trials.csv, plots, one self-contained HTML
page — from `sprint-fusion report` and from the trials `replay` writes into its output bag."""

import contextlib
import csv
import io
import json
from datetime import datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest

from sprint_fusion.bags.replay import replay
from sprint_fusion.bags.simulation import simulation_records
from sprint_fusion.bags.writer import typestore, write_bag
from sprint_fusion.cli import main
from sprint_fusion.msgs import bag_types
from sprint_fusion.sprint.quality import BRIDGED, UNUSABLE

from .browser import phone_check
from .sprint_cases import session_onsets, session_scenario, truth_split_times
from .test_replay import bag_messages

REPS = [{"mss": 9.2, "tau": 1.1, "run_time": 6.0, "decel": 3.0, "rest": 8.0},
        {"mss": 8.8, "tau": 1.2, "run_time": 6.0, "decel": 3.0, "rest": 5.0}]


@pytest.fixture(scope="module")
def session_bag(tmp_path_factory):
    """Two sprints; a short outage in the first, a long one in the second; with a start signal."""
    first, second = session_onsets(REPS)
    scenario, onsets = session_scenario(REPS, outages=[(first + 4.0, 0.7), (second + 3.0, 2.5)])
    store = typestore()
    types = bag_types(store)
    records = list(simulation_records(scenario, types))
    path = tmp_path_factory.mktemp("session") / "session"
    write_bag(path, records, store)
    return path, scenario, [scenario.start_utc + t for t in onsets]


@pytest.fixture(scope="module")
def report_dir(session_bag, tmp_path_factory):
    """`sprint-fusion report` of the session, with the athlete's mass (a force–velocity profile)."""
    bag, _, _ = session_bag
    out = tmp_path_factory.mktemp("report") / "report"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["report", str(bag), "-o", str(out), "--mass", "78", "--height", "1.80", "--temperature", "18",
                     "--timezone", "America/Sao_Paulo"])
    assert code == 0 and "2 trial(s)" in printed.getvalue()
    return out


def test_report_writes_the_documented_files(session_bag, report_dir):
    _, scenario, onsets = session_bag
    out = report_dir
    doc = json.loads((out / "sprint.json").read_text())
    assert doc["schema"] == "sprint_fusion/sprint/1" and doc["conditions"]["bodymass"] == 78
    assert [t["quality"]["verdict"] for t in doc["trials"]] == [BRIDGED, UNUSABLE]
    first = doc["trials"][0]
    assert first["onset"] == pytest.approx(onsets[0], abs=0.04)
    for name in ("kf5", "kf2", "smoothed"):  # side by side
        assert {"splits", "profile", "force_velocity", "top_speed"} <= set(first[name])
        assert first[name]["force_velocity"]["F0"] > 0 and first[name]["profile"]["MSS"] > 8
    truth = scenario.simulated.truth
    for name in ("kf2", "smoothed"):  # the splits against the truth's
        splits = first[name]["splits"]
        expected = truth_split_times(truth, onsets[0] - scenario.start_utc, [s["distance"] for s in splits])
        worst = max(abs(s["time"] + first["onset"] - onsets[0] - e) for s, e in zip(splits, expected, strict=True))
        assert worst < 0.02, name
    splits = first["kf2"]["splits"]
    # the splits reached during the 0.7 s outage (4.0–4.7 s after the true onset) are marked bridged
    outage = (onsets[0] + 4.0 - first["onset"], onsets[0] + 4.7 - first["onset"])
    marked = [s["distance"] for s in splits if s["bridged"]]
    assert marked == [s["distance"] for s in splits if outage[0] - 0.05 <= s["time"] <= outage[1] + 0.05] and marked

    with open(out / "trials.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["trial"], r["filter"]) for r in rows] == [(t, f) for t in "12" for f in ("KF5", "KF2", "smoothed")]
    assert float(rows[1]["t_10m_s"]) == pytest.approx(next(s["time"] for s in splits if s["distance"] == 10), abs=5e-4)
    assert rows[0]["t_400m_s"] == ""  # not run
    units = ("_m", "_s", "_m_s", "_m_s2", "_W_kg", "_N", "_W", "_ratio", "_per_m_s")
    assert all(name.endswith(units) for name in rows[0] if name not in ("trial", "onset_utc", "verdict", "filter"))
    assert rows[1]["bridged_m"] == ";".join(f"{d:g}" for d in marked)



def test_the_page_puts_the_verdict_and_the_curve_to_trust_first(report_dir):
    doc = json.loads((report_dir / "sprint.json").read_text())
    page = (report_dir / "report.html").read_text()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page  # a phone's width
    assert "src='http" not in page and "src=\"http" not in page  # self-contained
    # verdicts in plain words, in the summary table and at each trial
    assert page.index("Usable — with a short GNSS gap") < page.index("Not usable — ")
    assert "usable with bridged outage" in page and "GNSS outage of 2." in page
    # local time: the onset in the zone asked for, not a UTC stamp
    zone = ZoneInfo("America/Sao_Paulo")
    for trial in doc["trials"]:
        local = datetime.fromtimestamp(trial["onset"], zone)
        assert f"<h2 id='trial-{trial['index']}'>Trial {trial['index']} — {local:%H:%M:%S}</h2>" in page
        assert trial["trusted"] == "smoothed"
    assert page.count("Speed curve to trust: <b>smoothed</b>") == 2
    # the others one click away, after the trusted curve's own numbers
    first = page[page.index("<h2 id='trial-1'>"):page.index("<h2 id='trial-2'>")]
    assert first.index("Speed curve to trust") < first.index("<table>") < first.index("<details><summary>Compare")
    # units on every row of the profile, plain words beside the technical names
    for name, unit in [("RFmax", "%"), ("DRF", "% per m/s"), ("MSS", "m/s"), ("TAU", "s"), ("F0", "N")]:
        assert f"{name} [{unit}]<br><small>" in first, name
    # one figure per plot, SVG, inline and as files; the force–velocity plot with the athlete's mass
    figures = sorted(p.name for p in report_dir.glob("trial_*.svg"))
    assert figures == sorted(f"trial_{i:02d}_{kind}.svg" for i in (1, 2)
                             for kind in ("speed", "force_velocity", "distance", "filters"))
    assert page.count("<figure role='img'") == len(figures)
    for path in report_dir.glob("trial_*.svg"):
        assert ElementTree.parse(path).getroot().tag.endswith("svg")


def test_the_page_fits_a_phone_in_a_real_browser(report_dir, tmp_path):
    """Debian's headless chromium renders the page in a 390 px wide frame (a phone; its window
    cannot be narrower than 500 px), every <details> opened: nothing wider than the viewport
    outside the scrolling table boxes, no error in the console, no text in a plot under 9 px."""
    result = phone_check(report_dir / "report.html", tmp_path)
    assert result["figures"] == 8 and result["smallest_text"] >= 9


@pytest.mark.slow
def test_replay_writes_the_trials_into_its_output_bag(session_bag, tmp_path):
    bag, _, _ = session_bag
    done = replay(bag, tmp_path / "out")
    assert [t.quality.verdict for t in done.trials] == [BRIDGED, UNUSABLE]
    got = bag_messages(tmp_path / "out")
    statuses = got["/sprint/trial"]
    assert [s.level for s in statuses] == [1, 2]  # DiagnosticStatus WARN, ERROR
    keys = {kv.key: kv.value for kv in statuses[0].values}
    assert float(keys["KF2 time at 10 m [s]"]) == pytest.approx(
        next(s.time for s in done.trials[0].estimators["kf2"].splits if s.distance == 10), abs=1e-3)
    splits = got["/sprint/splits"][0]
    assert [d.label for d in splits.layout.dim] == ["splits", "distance_kf5_kf2"]
    assert list(splits.data[0::3][:3]) == [5.0, 10.0, 20.0]


def test_report_refuses_a_wrong_sprint_parameter(tmp_path, capsys):
    from .conftest import REPO

    bag = REPO / "bags" / "sprint_40m"
    assert main(["report", str(bag), "-o", str(tmp_path / "r"), "--end-fraction", "1.5"]) == 2
    assert "trial.end_fraction" in capsys.readouterr().err
    assert main(["report", str(bag), "-o", str(tmp_path / "r"), "--sprint-set", "athlete.bodymass=-1"]) == 2
    assert "athlete.bodymass" in capsys.readouterr().err


@pytest.mark.slow
def test_a_report_without_trials_says_why(shared_data, tmp_path, capsys):
    """robot_localization's Husky drives at ~1 m/s: no sprint, and the page says what a trial needs
    and how fast the recording got, instead of a bare '0 trial(s)'."""
    out = tmp_path / "report"
    assert main(["report", str(shared_data / "bags" / "test1.bag"), "--remap", "/fix:=gnss/fix", "--remap",
                 "/imu/data:=imu/data", "-o", str(out), "--no-figures"]) == 0
    assert "0 trial(s)" in capsys.readouterr().out
    page = (out / "report.html").read_text() if (out / "report.html").exists() else None
    assert page is None  # --no-figures: sprint.json and trials.csv only
    assert main(["report", str(shared_data / "bags" / "test1.bag"), "--remap", "/fix:=gnss/fix", "--remap",
                 "/imu/data:=imu/data", "-o", str(out), "--force"]) == 0
    page = (out / "report.html").read_text()
    fastest = float(page.split("the fastest speed in it was ")[1].split(" m/s")[0])
    assert "No sprint was found" in page and "trial.min_top_speed" in page and 0.5 < fastest < 4.0
