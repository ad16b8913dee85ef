"""No command destroys or replaces a user's file: an existing output is refused (exit 2) before
anything is written and left byte for byte as it was; --force replaces it, and only once the new
output is complete; a run that fails leaves nothing half-written behind."""

import pytest

from sprint_fusion.cli import main

from .conftest import REPO

pytestmark = pytest.mark.slow  # a replay, a report, a tune

BAG = REPO / "bags" / "sprint_40m"
MINE = b"a file of the user's own\n"


def refused(capsys, argv, *kept) -> None:
    for path in kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_bytes(MINE)
    before = {p: p.read_bytes() if p.is_file() else sorted(x.name for x in p.iterdir()) for p in kept}
    assert main(argv) == 2
    assert "--force" in capsys.readouterr().err
    for p, content in before.items():
        assert (p.read_bytes() if p.is_file() else sorted(x.name for x in p.iterdir())) == content, p


def test_replay_refuses_an_existing_csv_untouched_and_force_replaces_it(tmp_path, capsys):
    out = tmp_path / "out"
    refused(capsys, ["replay", str(BAG), "-o", str(out)], tmp_path / "out.csv")  # the CSV alone exists
    assert not out.exists()
    refused(capsys, ["replay", str(BAG), "-o", str(out), "--csv", str(tmp_path / "mine.csv")], tmp_path / "mine.csv")
    out.mkdir()
    refused(capsys, ["replay", str(BAG), "-o", str(out), "--csv", str(tmp_path / "new.csv")], out)
    assert not (tmp_path / "new.csv").exists()  # checked before anything was written
    assert main(["replay", str(BAG), "-o", str(out), "--force"]) == 0
    assert (tmp_path / "out.csv").read_text().startswith("t,") and (out / "metadata.yaml").is_file()
    assert not list(tmp_path.glob(".*"))  # no staging left behind


def test_a_failed_replay_leaves_no_partial_output(tmp_path):
    assert main(["replay", str(tmp_path / "no_such_bag"), "-o", str(tmp_path / "out")]) != 0
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_report_refuses_an_existing_report_and_force_replaces_it_whole(tmp_path, capsys):
    out = tmp_path / "report"
    refused(capsys, ["report", str(BAG), "-o", str(out), "--no-figures"], out / "sprint.json")
    assert main(["report", str(BAG), "-o", str(out), "--no-figures", "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["sprint.json", "trials.csv"]
    assert (out / "sprint.json").read_bytes() != MINE
    (tmp_path / "empty").mkdir()  # an empty folder holds no report: used as it is
    assert main(["report", str(BAG), "-o", str(tmp_path / "empty"), "--no-figures"]) == 0


def test_simulate_converters_and_tune_refuse_existing_outputs(tmp_path, capsys):
    scenario = REPO / "config" / "scenarios" / "sprint_40m.yaml"
    refused(capsys, ["simulate", str(scenario), "-o", str(tmp_path / "sim")], tmp_path / "sim.ubx")
    assert not (tmp_path / "sim").exists()
    refused(capsys, ["ubx2bag", str(REPO / "bags" / "sprint_40m.ubx"), "-o", str(tmp_path / "conv")],
            tmp_path / "conv")
    refused(capsys, ["tune", str(BAG), "--reference", "truth", "--grid", "speed.r=5,20", "-o",
                     str(tmp_path / "tuned.yaml")], tmp_path / "tuned.yaml")
    assert main(["tune", str(BAG), "--reference", "truth", "--grid", "speed.r=5,20", "--jobs", "1", "-o",
                 str(tmp_path / "tuned.yaml"), "--force"]) == 0
    assert (tmp_path / "tuned.yaml").read_text().startswith("# Tuned by")
