"""Simulated bags: standard topics as the drivers publish them, bundled bags current, UBX round trip."""

import io
import math
from pathlib import Path

import numpy as np
import pytest
from pyubx2 import UBXReader
from rosbags.highlevel import AnyReader

from sprint_fusion import topics
from sprint_fusion.bags.reader import read_samples, read_truth
from sprint_fusion.bags.simulation import simulation_records
from sprint_fusion.bags.writer import BagError, typestore, write_bag
from sprint_fusion.cli import main
from sprint_fusion.core.samples import FixType
from sprint_fusion.msgs import bag_types
from sprint_fusion.sim.scenario import ScenarioError, load

REPO = Path(__file__).resolve().parents[1]
BAGS = REPO / "bags"
SCENARIOS = REPO / "config" / "scenarios"
BUNDLED = ["sprint_40m", "sprint_100m_outage", "track_400m"]


def messages(path):
    with AnyReader([Path(path)], default_typestore=typestore()) as reader:
        return [(c.topic, c.msgtype, t, bytes(raw)) for c, t, raw in reader.messages()]


def assert_close(a, b, where: str = "") -> None:
    """Two messages (rosbags dataclasses) field by field: text and integers exactly, floating point
    to a relative 1e-9 — the last bits of a simulation differ between CPUs and math libraries."""
    if hasattr(a, "__dataclass_fields__"):
        assert type(a).__name__ == type(b).__name__, where
        for name in a.__dataclass_fields__:
            assert_close(getattr(a, name), getattr(b, name), f"{where}.{name}")
    elif isinstance(a, np.ndarray) and a.dtype.kind == "f":
        assert np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True), where
    elif isinstance(a, (list, tuple, np.ndarray)):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{where}[{k}]")
    elif isinstance(a, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b)), (where, a, b)
    else:
        assert a == b, (where, a, b)


def ubx_fields(path: Path) -> list[tuple[str, dict]]:
    with open(path, "rb") as fh:
        return [(msg.identity, {k: v for k, v in vars(msg).items() if not k.startswith("_")})
                for _, msg in UBXReader(fh, protfilter=2)]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_bag_is_its_scenario(name, tmp_path):
    """bags/ holds what `sprint-fusion simulate config/scenarios/NAME.yaml` writes: the same
    messages on the same topics at the same log times, their values to floating-point tolerance;
    the UBX log the same messages, each integer field within one unit of its last digit."""
    out = tmp_path / name
    assert main(["simulate", str(SCENARIOS / f"{name}.yaml"), "-o", str(out)]) == 0
    ours, bundled = messages(out), messages(BAGS / name)
    assert [m[:3] for m in ours] == [m[:3] for m in bundled]
    store = typestore()
    for (topic, msgtype, t, raw), (_, _, _, raw_bundled) in zip(ours, bundled, strict=True):
        assert_close(store.deserialize_cdr(raw, msgtype), store.deserialize_cdr(raw_bundled, msgtype), f"{topic}@{t}")
    ubx, ubx_bundled = ubx_fields(tmp_path / f"{name}.ubx"), ubx_fields(BAGS / f"{name}.ubx")
    assert [i for i, _ in ubx] == [i for i, _ in ubx_bundled] and len(ubx) > 50
    for (identity, a), (_, b) in zip(ubx, ubx_bundled, strict=True):
        assert a.keys() == b.keys(), identity
        for key in a:
            if isinstance(a[key], (int, float)) and not isinstance(a[key], bool):
                assert abs(a[key] - b[key]) <= 1 + 1e-9 * abs(b[key]), (identity, key, a[key], b[key])
            else:
                assert a[key] == b[key], (identity, key)


def test_bundled_bags_stay_small():
    total = sum(f.stat().st_size for f in BAGS.rglob("*") if f.is_file())
    assert total < 8e6


def test_topics_and_types_follow_the_conventions():
    msgs = messages(BAGS / "sprint_40m")
    types = {topic: msgtype for topic, msgtype, _, _ in msgs}
    recorded = [t for t in topics.TYPES if t.startswith(("gnss/", "imu/", "truth/"))]
    assert types == {topics.resolve(t): topics.TYPES[t] for t in recorded}
    store = typestore()
    first = {}
    for topic, msgtype, _, raw in msgs:
        first.setdefault(topic, store.deserialize_cdr(raw, msgtype))
    raw_imu, imu, heading = first["/imu/data_raw"], first["/imu/data"], first["/gnss/heading"]
    assert raw_imu.orientation_covariance[0] == -1.0  # REP-145: no orientation
    assert np.all(np.diag(imu.orientation_covariance.reshape(3, 3)) > 0)
    # standing still at the start: specific force reads +g (up) in the leaned sensor frame
    f = raw_imu.linear_acceleration
    assert math.sqrt(f.x**2 + f.y**2 + f.z**2) == pytest.approx(9.80665, abs=0.3)
    assert raw_imu.header.frame_id == "imu_link" and first["/gnss/fix"].header.frame_id == "gnss_link"
    assert first["/gnss/vel"].header.frame_id == "enu"
    assert heading.angular_velocity_covariance[0] == -1.0 and heading.linear_acceleration_covariance[0] == -1.0
    fix = first["/gnss/fix"]
    assert fix.status.status == 2 and fix.position_covariance_type == 2  # GBAS (RTK), diagonal known
    assert first["/gnss/fix_type"].data == FixType.RTK_FIXED


def test_counts_rates_and_receive_times():
    sc = load(SCENARIOS / "sprint_100m_outage.yaml")
    msgs = messages(BAGS / "sprint_100m_outage")
    count = {}
    for topic, *_ in msgs:
        count[topic] = count.get(topic, 0) + 1
    assert count["/imu/data_raw"] == count["/imu/data"] == 14.0 * 100
    assert count["/gnss/fix"] == count["/gnss/fix_type"] == 14.0 * 10
    assert count["/gnss/vel"] == 14.0 * 10 - 20  # no velocity during the 2 s outage
    store = typestore()
    for topic, msgtype, log_ns, raw in msgs:
        if topic == "/gnss/fix":
            msg = store.deserialize_cdr(raw, msgtype)
            stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
            assert log_ns - stamp == pytest.approx(sc.simulated.gnss_model.latency * 1e9, abs=1000)


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_reading_back_gives_the_simulated_samples(storage, tmp_path):
    sc = load(SCENARIOS / "sprint_100m_outage.yaml")
    store = typestore()
    write_bag(tmp_path / "b", simulation_records(sc, bag_types(store)), store, storage)
    got = list(read_samples(tmp_path / "b"))
    imu = [s for k, s, _ in got if k == "imu"]
    gnss = [s for k, s, _ in got if k == "gnss"]
    assert len(imu) == len(sc.simulated.imu) and len(gnss) == len(sc.simulated.epochs)
    for a, b in zip(imu, sc.simulated.imu, strict=True):
        assert a.stamp == pytest.approx(sc.start_utc + b.stamp, abs=1e-6)
        assert np.array_equal(a.accel, b.accel) and np.array_equal(a.orientation, b.orientation)
    for a, e in zip(gnss, sc.simulated.epochs, strict=True):
        b = e.fix
        assert a.fix_type == b.fix_type
        if b.fix_type == FixType.NO_FIX:
            assert a.velocity is None
            continue
        assert (a.latitude, a.longitude, a.altitude) == (b.latitude, b.longitude, b.altitude)
        assert np.array_equal(a.velocity, b.velocity)
        assert a.heading == pytest.approx(b.heading, abs=1e-9)
        assert a.heading_accuracy == pytest.approx(b.heading_accuracy, rel=1e-9)
    truth = read_truth(tmp_path / "b")
    assert truth.distance[-1] == pytest.approx(sc.simulated.truth.distance[-1], abs=0.2)


def _ubx_epochs(path):
    """Decode the UBX log with pyubx2 alone: one dict per NAV-PVT, merged with its NAV-HPPOSLLH."""
    out, hp = [], {}
    for _, m in UBXReader(io.BytesIO(Path(path).read_bytes())):
        if m.identity == "NAV-HPPOSLLH":
            hp[m.iTOW] = m
        elif m.identity == "NAV-PVT":
            out.append((m, hp.pop(m.iTOW, None)))
    return out


@pytest.mark.parametrize("name", BUNDLED)
def test_ubx_log_round_trips_to_the_bag(name):
    epochs = _ubx_epochs(BAGS / f"{name}.ubx")
    fixes = [s for k, s, _ in read_samples(BAGS / name) if k == "gnss"]
    assert len(epochs) == len(fixes)
    carrier = {0: None, 1: FixType.RTK_FLOAT, 2: FixType.RTK_FIXED}
    for (pvt, hp), fix in zip(epochs, fixes, strict=True):
        gps_s = (pvt.iTOW / 1000.0 - 18) % (7 * 86400)
        assert gps_s == pytest.approx((fix.stamp - 315964800) % (7 * 86400), abs=1e-3)
        if pvt.fixType == 0:
            assert fix.fix_type == FixType.NO_FIX and hp is None
            continue
        assert pvt.gnssFixOk == 1 and carrier[pvt.carrSoln] == fix.fix_type
        assert hp.lat == pytest.approx(fix.latitude, abs=1e-11)
        assert hp.lon == pytest.approx(fix.longitude, abs=1e-11)
        assert hp.height / 1000.0 == pytest.approx(fix.altitude, abs=1e-7)
        h_acc = math.sqrt(fix.position_covariance[0, 0] + fix.position_covariance[1, 1])
        assert hp.hAcc / 1000.0 == pytest.approx(h_acc, abs=1e-7)
        assert hp.vAcc / 1000.0 == pytest.approx(math.sqrt(fix.position_covariance[2, 2]), abs=1e-7)
        assert [pvt.velE / 1000, pvt.velN / 1000, -pvt.velD / 1000] == pytest.approx(list(fix.velocity), abs=1e-9)
        assert pvt.headMot == pytest.approx(fix.heading, abs=1e-9)
        assert pvt.headAcc == pytest.approx(fix.heading_accuracy, abs=1e-9)
        assert pvt.sAcc / 1000.0 == pytest.approx(math.sqrt(fix.velocity_covariance[0, 0]), abs=1e-9)


def test_simulate_refuses_to_overwrite_and_bad_scenarios_name_the_key(tmp_path, capsys):
    assert main(["simulate", str(SCENARIOS / "sprint_40m.yaml"), "-o", str(BAGS / "sprint_40m")]) == 2
    assert "exists" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("run: {duration: 5, profile: {model: mono_exponential, mss: 9, tau: 1}}\nimu: {rate: 50}\n")
    with pytest.raises(ScenarioError, match=r"imu\.rate 50 Hz is outside 100–1000 Hz"):
        load(bad)
    bad.write_text("run: {duration: 5, profile: {model: mono_exponential, mss: 9, tau: 1}}\ngnss: {fix: 3}\n")
    with pytest.raises(ScenarioError, match=r"gnss: unknown key\(s\) \['fix'\]"):
        load(bad)
    with pytest.raises(BagError, match="no such bag"):
        list(read_samples(tmp_path / "missing"))
