"""Sprint profiles from every timing source against the published outputs of the R package shorts
(its README, https://github.com/mladenjovanovic/shorts, on its own data in ../shared/data/sprint/),
the bad inputs coaches' files hold refused with a reason, and the Bland–Altman agreement of two
sources checked against differences planted between them."""

import csv
import json

import numpy as np
import pytest

from sprint_fusion.cli import main
from sprint_fusion.sprint.agreement import Measured, bland_altman, compare, trace_splits
from sprint_fusion.sprint.gates import fit_gates, time_at_distance
from sprint_fusion.sprint.in_situ import in_situ_profile
from sprint_fusion.sprint.model import distance_at, velocity_at
from sprint_fusion.sprint.trace import fit_trace


def kimberley(shared_data):
    with open(shared_data / "sprint" / "split_times.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["athlete"] == "Kimberley"]
    return np.array([float(r["distance"]) for r in rows]), np.array([float(r["time"]) for r in rows])


def jim(shared_data):
    with open(shared_data / "sprint" / "radar_gun_data.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["athlete"] == "Jim"]
    return np.array([float(r["time"]) for r in rows]), np.array([float(r["velocity"]) for r in rows])


# shorts README, "Profiling using split times" and "Using corrections", for Kimberley:
# model, options → MSS, MAC, TAU, PMAX and the correction, as printed
PUBLISHED_GATES = [
    ("simple", {}, (8.591, 10.589, 0.811, 22.743), 3, None),
    ("simple", {"time_correction": 0.3}, (9.1278, 6.6257), 4, None),  # time + 0.3, printed by summary()
    ("tc", {}, (8.97, 7.27, 1.23, 16.31), 2, ("TC", -0.235)),
    ("fd", {}, (9.00, 6.99, 1.29, 15.74), 2, ("FD", 0.302)),
    ("simple", {"flying_distance": 0.5}, (9.18, 6.23, 1.47, 14.30), 2, None),  # model_timing_gates_FD_fixed
]


@pytest.mark.parametrize("model,options,published,digits,correction", PUBLISHED_GATES)
def test_timing_gate_models_match_shorts(shared_data, model, options, published, digits, correction):
    d, t = kimberley(shared_data)
    fit = fit_gates(d, t, model, **options)
    p = fit.profile
    got = (p.mss, p.mac, p.tau, p.pmax)[:len(published)]
    assert [round(x, digits) for x in got] == list(published)
    if correction == ("TC", -0.235):
        assert round(p.time_correction, 3) == -0.235 and round(fit.time_correction, 3) == 0.235
    elif correction:
        assert round(fit.flying_distance, 3) == correction[1]
    if model == "simple" and not options:
        assert round(p.rse, 3) == 0.034  # "Residual standard error: 0.034 on 4 degrees of freedom"


def test_model_time_at_distance_inverts_the_model_distance():
    t = np.linspace(0.05, 8, 50)
    assert np.allclose(time_at_distance(distance_at(t, 9.0, 1.2), 9.0, 9.0 / 1.2), t, atol=1e-9)
    assert time_at_distance(0.0, 9.0, 7.0) == pytest.approx(0.0, abs=1e-12)


def test_reaction_time_comes_off_every_split():
    d = np.array([5.0, 10, 20, 30, 40])
    t = time_at_distance(d, 9.0, 7.5)
    with_reaction = fit_gates(d, t + 0.18, reaction_time=0.18).profile
    assert with_reaction.mss == pytest.approx(9.0, rel=1e-6) and with_reaction.mac == pytest.approx(7.5, rel=1e-6)


def test_radar_with_observed_mss_matches_shorts(shared_data):
    # shorts README: model_radar_gun(use_observed_MSS = TRUE) for Jim
    p = fit_trace(*jim(shared_data), observed_mss=True)
    assert [round(p.mss, 3), round(p.mac, 3), round(p.tau, 3), round(p.pmax, 3)] == [8.095, 8.678, 0.933, 17.563]
    assert round(p.time_correction, 4) == -0.0112


def test_in_situ_brackets_start_at_zero_and_the_threshold_comes_from_the_data():
    """shorts ≥ 3 cuts the speeds into 0.2 m/s brackets from 0, and by default fits from the speed
    of the highest acceleration. Hand-made points: brackets (3.4, 3.6] … keep their top two; a
    threshold of 3.5 off the grid must split the bracket (3.4, 3.6] after the top two are chosen."""
    v = np.array([3.45, 3.50, 3.55, 3.7, 3.75, 3.9, 3.95, 5.0, 5.1, 7.0, 7.1])
    a = np.array([6.0, 1.0, 5.0, 5.2, 5.1, 4.8, 4.9, 3.0, 2.9, 1.0, 0.9])
    p = in_situ_profile(v, a, speed_threshold=3.5)
    # kept: (3.4,3.6] → 3.45 (6.0) and 3.55 (5.0); only 3.55 is ≥ 3.5; then every other point
    xs = np.array([3.55, 3.7, 3.75, 3.9, 3.95, 5.0, 5.1, 7.0, 7.1])
    ys = np.array([5.0, 5.2, 5.1, 4.8, 4.9, 3.0, 2.9, 1.0, 0.9])
    slope, mac = np.polyfit(xs, ys, 1)
    assert p.points == 9 and p.mac == pytest.approx(mac) and p.mss == pytest.approx(-mac / slope)
    derived = in_situ_profile(v, a)  # the highest acceleration kept is 6.0 at 3.45 m/s
    assert derived.speed_threshold == 3.45 and derived.points == 10


@pytest.mark.parametrize("case,message", [
    ("reversed", "times must increase"), ("shuffled", "times must increase"),
    ("constant", "does not hold the start"), ("kmh", "too fast for m/s"), ("noise", "does not hold the start")])
def test_bad_traces_are_refused_with_the_reason(shared_data, tmp_path, capsys, case, message):
    t, v = jim(shared_data)
    rng = np.random.default_rng(0)
    data = {"reversed": (t[::-1], v[::-1]), "shuffled": (rng.permutation(t), v),
            "constant": (np.arange(0, 6, 0.1), np.full(60, 8.0)), "kmh": (t, v * 3.6),
            "noise": (t, rng.uniform(0, 8, len(t)))}[case]
    path = tmp_path / f"{case}.csv"
    path.write_text("time,velocity\n" + "".join(f"{a},{b}\n" for a, b in zip(*data, strict=True)))
    assert main(["profile", "trace", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_a_km_h_column_named_as_such_is_converted(shared_data, tmp_path, capsys):
    t, v = jim(shared_data)
    path = tmp_path / "kmh.csv"
    path.write_text("time [s],speed (km/h)\n" + "".join(f"{a},{float(b) * 3.6!r}\n" for a, b in zip(t, v, strict=True)))
    assert main(["profile", "trace", str(path), "--json", str(tmp_path / "p.json")]) == 0
    doc = json.loads((tmp_path / "p.json").read_text())
    assert round(doc["profiles"][0]["mss"], 3) == 7.998  # Jim, as in m/s (shorts README: MSS 7.998)


@pytest.mark.parametrize("rows,message", [
    ("5,1.1\n10,1.9\n5,2.5\n20,3.1\n", "distances must increase"),
    ("5,1.1\n10,0.9\n20,3.1\n30,4.2\n", "times must increase"),
    ("5,1.1\n10,x\n20,3.1\n", "row 3: time 'x' is not a number"),
    ("5,1.1\n10,1.9\n", "needs more than 2 gates")])
def test_bad_gate_files_are_refused_with_the_reason(tmp_path, capsys, rows, message):
    path = tmp_path / "gates.csv"
    path.write_text("distance,time\n" + rows)
    assert main(["profile", "gates", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_profile_gates_writes_every_athlete_with_force_velocity(shared_data, tmp_path, capsys):
    out = tmp_path / "gates.json"
    assert main(["profile", "gates", str(shared_data / "sprint" / "split_times.csv"), "--model", "fd",
                 "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    kim = next(p for p in doc["profiles"] if p["athlete"] == "Kimberley")
    assert round(kim["mss"], 2) == 9.00 and round(kim["flying_distance"], 3) == 0.302
    assert {"mss", "mac", "tau", "pmax", "time_correction", "flying_distance"} <= set(kim)
    assert kim["bodymass"] == 55 and kim["force_velocity"]["F0"] > 0  # the file's bodyweight column
    assert len(doc["profiles"]) == 5 and doc["units"]["mss"] == "m/s"
    assert main(["profile", "gates", str(shared_data / "sprint" / "split_times.csv"), "--json", str(out)]) == 2


def test_bland_altman_finds_a_planted_bias_and_spread():
    rng = np.random.default_rng(4)
    b = rng.uniform(1, 6, 400)
    a = b + 0.030 + rng.normal(0, 0.010, b.size)  # A reads 30 ms late, ±10 ms
    r = bland_altman(a, b, "split", "s")
    assert r.bias == pytest.approx(0.030, abs=0.002) and r.sd == pytest.approx(0.010, rel=0.1)
    assert r.upper - r.lower == pytest.approx(2 * 1.96 * r.sd)


def test_compare_pairs_trials_and_reports_each_split_and_the_profile():
    mss, tau = 9.0, 1.2
    distances = [5.0, 10.0, 20.0, 30.0]
    gates, fused = [], []
    for k in range(6):
        times = time_at_distance(np.array(distances), mss + 0.1 * k, (mss + 0.1 * k) / tau)
        gates.append(Measured(f"g{k}", dict(zip(distances, times, strict=True)), mss + 0.1 * k, (mss + 0.1 * k) / tau))
        late = times + 0.02 + 0.005 * (k % 2)  # the device 20–25 ms late
        fused.append(Measured(f"f{k}", dict(zip(distances, late, strict=True)), mss + 0.1 * k + 0.05, None))
    rows = {r.quantity: r for r in compare(fused, gates)}
    assert rows["time at 10 m"].n == 6 and rows["time at 10 m"].bias == pytest.approx(0.0225)
    assert rows["split times (all)"].n == 24
    assert rows["MSS"].bias == pytest.approx(0.05) and "MAC" not in rows  # one source has no MAC
    with pytest.raises(ValueError, match="6 and 5 trials"):
        compare(fused, gates[:5])


def test_trace_splits_follow_the_model_of_the_trace():
    t = np.arange(0, 7, 0.01)
    v = velocity_at(np.clip(t - 0.4, 0, None), 9.0, 1.1)  # the sprint starts 0.4 s into the trace
    p = fit_trace(t, v)
    splits = trace_splits(t, v, p)
    for d, when in splits.items():
        assert when == pytest.approx(float(time_at_distance(d, 9.0, 9.0 / 1.1)), abs=0.01)


def test_compare_cli_on_gates_against_a_radar_trace(shared_data, tmp_path, capsys):
    """Jim's radar trace against gates simulated from the model shorts fits to it, 15 ms late:
    the bias of the split times is that delay."""
    t, v = jim(shared_data)
    p = fit_trace(t, v)
    distances = [5.0, 10.0, 20.0, 30.0]
    gates = tmp_path / "gates.csv"
    times = time_at_distance(np.array(distances), p.mss, p.mac) + 0.015
    gates.write_text("distance,time\n" + "".join(f"{d},{x}\n" for d, x in zip(distances, times, strict=True)))
    radar = tmp_path / "radar.csv"
    radar.write_text("time,velocity\n" + "".join(f"{a},{b}\n" for a, b in zip(t, v, strict=True)))
    out = tmp_path / "agreement.json"
    assert main(["compare", str(gates), str(radar), "--json", str(out), "--plot", str(tmp_path / "ba.svg")]) == 0
    rows = {r["quantity"]: r for r in json.loads(out.read_text())["agreement"]}
    assert rows["split times (all)"]["bias"] == pytest.approx(0.015, abs=0.012)
    assert rows["MSS"]["bias"] == pytest.approx(0.0, abs=0.2)
    assert (tmp_path / "ba.svg").read_text().lstrip().startswith("<?xml")


def test_profile_in_situ_of_a_gnss_speed_export(tmp_path, capsys):
    """A 10 Hz speed export of three maximal sprints (MSS 9, TAU 1.1) with rests between: the
    in-situ profile finds the model's MSS and MAC (within the bounds measured on simulated
    sessions, sprint/in_situ.py)."""
    t = np.arange(0, 60, 0.1)
    v = np.zeros_like(t)
    for start in (5.0, 25.0, 45.0):
        run = (t >= start) & (t < start + 7)
        v[run] = velocity_at(t[run] - start, 9.0, 1.1)
        top = float(velocity_at(7.0, 9.0, 1.1))
        slowing = (t >= start + 7) & (t < start + 7 + top / 3.0)
        v[slowing] = top - 3.0 * (t[slowing] - start - 7)  # then 3 m/s² to a stop
    path = tmp_path / "gps.csv"
    path.write_text("time,speed_m_s\n" + "".join(f"{a:.1f},{b:.4f}\n" for a, b in zip(t, v, strict=True)))
    out = tmp_path / "in_situ.json"
    assert main(["profile", "in-situ", str(path), "--json", str(out)]) == 0
    p = json.loads(out.read_text())["profiles"][0]
    assert p["mss"] == pytest.approx(9.0, rel=0.04) and p["mac"] == pytest.approx(9.0 / 1.1, rel=0.08)
    assert p["speed_threshold"] > 0
