"""VBT exports of the vendors the bundled mappings name (config/vbt/*.yaml): each vendor's header
in its own locale — day or month first, semicolons and decimal commas, pounds, a date and a time
column, no athlete column — read back to the loads, velocities and instants written."""

import csv
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sprint_fusion.monitoring import ingest
from sprint_fusion.monitoring.schema import Athlete, TrainingSession, VbtRep, VbtSet
from sprint_fusion.monitoring.vbt import LB, ImportRowError, VbtMapping, detect_vendor

from .conftest import REPO

FOLDER = REPO / "config" / "vbt"
VENDORS = ("vitruve", "output", "enode", "perch", "repone", "metric")
# The truth written: (set, rep, load in the export's unit, mean velocity, peak velocity)
REPS = [(1, 1, 100.0, 0.812, 1.21), (1, 2, 100.0, 0.774, 1.18), (2, 1, 140.0, 0.611, 0.95),
        (2, 2, 140.0, 0.587, 0.91), (2, 3, 140.0, 0.553, 0.88)]
START = dt.datetime(2026, 3, 4, 17, 5, 0)  # local time of the first rep; 4 March: day and month differ


def mappings() -> dict[str, VbtMapping]:
    return {p.stem: VbtMapping.load(p) for p in sorted(FOLDER.glob("*.yaml"))}


def local_format(m: VbtMapping) -> str:
    """The vendor's own date-time format: its first one that is not ISO."""
    return next(f for f in m.time_formats if f != "iso" and "%S" in f)


def write_export(path, m: VbtMapping, delimiter=",", athlete=True, units=True) -> None:
    fields = [f for f in ("athlete", "date", "time", "exercise", "load", "load_unit", "set", "rep", "mean_velocity",
                          "peak_velocity") if f in m.columns and (athlete or f != "athlete")
              and (units or f != "load_unit")]
    date_fmt, time_fmt = local_format(m).split(" ", 1)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, delimiter=delimiter)
        out.writerow([m.columns[f][0] for f in fields])
        for k, (number, rep, load, mean_v, peak_v) in enumerate(REPS):
            when = START + dt.timedelta(seconds=20 * k)
            values = {"athlete": "Ana Silva", "date": when.strftime(date_fmt), "time": when.strftime(time_fmt),
                      "exercise": "Back Squat", "load": f"{load:g}", "load_unit": m.load_unit, "set": number,
                      "rep": rep, "mean_velocity": f"{mean_v:.3f}", "peak_velocity": f"{peak_v:.2f}"}
            if delimiter == ";":  # the locale that separates with semicolons writes decimal commas
                values = {f: str(v).replace(".", ",") if f in ("mean_velocity", "peak_velocity", "load") else v
                          for f, v in values.items()}
            out.writerow([values[f] for f in fields])


def stored(store):
    with store.transaction() as db:
        session = db.scalar(select(TrainingSession))
        names = db.scalars(select(Athlete.name)).all()
        reps = db.execute(select(VbtSet.set_number, VbtRep.rep, VbtSet.load_kg, VbtRep.mean_velocity,
                                 VbtRep.peak_velocity).join(VbtRep, VbtRep.set_id == VbtSet.id)
                          .order_by(VbtSet.set_number, VbtRep.rep)).all()
        return names, session.started_at, [tuple(r) for r in reps]


def expected_reps(m: VbtMapping):
    kg = LB if m.load_unit == "lb" else 1.0
    return [(s, r, pytest.approx(load * kg), pytest.approx(mv), pytest.approx(pv)) for s, r, load, mv, pv in REPS]


@pytest.mark.parametrize("vendor", VENDORS)
def test_each_vendor_export_reads_back_to_what_was_written(store, tmp_path, vendor):
    m = mappings()[vendor]
    path = tmp_path / f"{vendor}.csv"
    write_export(path, m)
    assert detect_vendor(path, mappings()) == vendor  # its header fits its own mapping, and only that one
    assert ingest.import_vbt(store, path, m).added == 1
    names, started, reps = stored(store)
    assert names == ["Ana Silva"]
    assert started == START.replace(tzinfo=ZoneInfo(m.timezone))  # local time in the vendor's zone
    assert reps == expected_reps(m)


@pytest.mark.parametrize("vendor", ["vitruve", "enode"])
def test_semicolons_and_decimal_commas(store, tmp_path, vendor):
    m = mappings()[vendor]
    path = tmp_path / f"{vendor}_de.csv"
    write_export(path, m, delimiter=";")
    assert "0,812" in path.read_text()
    ingest.import_vbt(store, path, m)
    assert stored(store)[2] == expected_reps(m)


@pytest.mark.parametrize("vendor", ["enode", "repone", "metric"])
def test_an_export_of_one_athlete_without_an_athlete_column(store, tmp_path, vendor):
    m = mappings()[vendor]
    path = tmp_path / f"{vendor}_one.csv"
    write_export(path, m, athlete=False)
    with pytest.raises(ImportRowError, match=r"no athlete column.*--athlete"):
        ingest.import_vbt(store, path, m)
    ingest.import_vbt(store, path, m, athlete="  Ben   Okafor ")
    assert stored(store)[0] == ["Ben Okafor"]


def test_a_unit_column_overrides_the_mappings_unit(store, tmp_path):
    m = mappings()["repone"]
    path = tmp_path / "kg.csv"
    write_export(path, m)
    path.write_text(path.read_text().replace(",lb,", ",kg,"))
    ingest.import_vbt(store, path, m)
    assert [r[2] for r in stored(store)[2]] == [pytest.approx(load) for _, _, load, _, _ in REPS]  # kg, as written


def test_a_header_that_fits_no_mapping_names_the_fields_and_the_header(tmp_path):
    m = mappings()["vitruve"]
    path = tmp_path / "renamed.csv"
    write_export(path, m)
    path.write_text(path.read_text().replace("Mean Velocity (m/s)", "MV"))
    with pytest.raises(ImportRowError, match=r"lacks \{'mean_velocity'.*it has \[.*'MV'.*vitruve\.yaml"):
        ingest.read_vbt_csv(path, m)
    with pytest.raises(ImportRowError, match="no bundled mapping fits this header"):
        detect_vendor(path, mappings())


def test_the_cli_detects_the_vendor_and_reads_in_the_zone_given(tmp_path):
    from sprint_fusion.cli import main
    from sprint_fusion.monitoring.store import Store

    m = mappings()["perch"]
    path = tmp_path / "perch.csv"
    write_export(path, m)
    db = str(tmp_path / "a.db")
    assert main(["athletes", "--db", db, "import", "vbt", str(path), "--timezone", "Australia/Brisbane"]) == 0
    store = Store(db)
    try:
        assert stored(store)[1] == START.replace(tzinfo=ZoneInfo("Australia/Brisbane"))
    finally:
        store.close()


def test_a_large_export_reports_its_progress(tmp_path):
    """Issue 19, item 7: a 50 MB export showed nothing for minutes."""
    m = mappings()["generic"]
    path = tmp_path / "big.csv"
    with open(path, "w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["athlete", "time", "exercise", "load_kg", "set", "rep", "mean_velocity"])
        for k in range(120_000):
            out.writerow(["Ana", f"2026-03-{1 + k // 40_000:02d}T09:{k % 40_000 // 1000:02d}:00+00:00", "Back Squat",
                          100, k % 1000 // 5 + 1, k % 5 + 1, 0.8])
    seen = []
    table = ingest.read_vbt_csv(path, m, progress=seen.append)
    assert len(table) == 120_000
    assert len(seen) >= 3 and seen == sorted(seen) and seen[-1] == 1.0 and 0 < seen[0] < 0.5
