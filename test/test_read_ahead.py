"""replay reads the bag in a forked child process (bags/read_ahead.py): the blocks it hands over are
read_blocks' own, damage arrives where it happened, an error in the child is raised in the caller,
and leaving early leaves no process behind."""

import functools
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest

from sprint_fusion.bags.read_ahead import ReadAhead
from sprint_fusion.bags.reader import BagError, bag_params, read_blocks, read_calibration
from sprint_fusion.bags.replay import replay
from sprint_fusion.bags.salvage import BagDamageError
from sprint_fusion.core.params import FilterParams
from sprint_fusion.core.samples import FixType, GnssFix, ImuBlock

from .conftest import REPO


def flattened(pairs):
    """(block, inputs) pairs as plain comparable values (NaN as its repr, to be equal to itself):
    every sample's fields, every input message's topic, type, log time and bytes."""
    out = []
    for block, inputs in pairs:
        for item in block:
            if isinstance(item, ImuBlock):
                out.append(("imu", item.stamps.tolist(), item.accel.tolist(), item.gyro.tolist(),
                            np.nan_to_num(item.orientation, nan=-9.0).tolist(), item.has_orientation.tolist()))
            else:
                assert isinstance(item, GnssFix)
                out.append(("gnss", *map(repr, (item.stamp, item.latitude, item.longitude, item.altitude)),
                            repr(item.fix_type), repr(item.position_covariance.tolist()),
                            *(None if a is None else repr(np.asarray(a).tolist())
                              for a in (item.velocity, item.velocity_covariance)),
                            *map(repr, (item.heading, item.heading_accuracy, item.velocity_differenced))))
        out.append(("inputs", sorted((g.connection.topic, g.connection.msgtype, g.log_ns.tolist(), g.data.tobytes())
                                     for g in inputs)))
    return out


def read_both(path, **kwargs):
    in_place, damage_in_place = [], []
    pairs = list(read_blocks(path, on_damage=damage_in_place.append, with_inputs=True, **kwargs))
    in_place = flattened(pairs)
    damage = []
    with ReadAhead(path, **kwargs) as source:
        assert source.child is not None  # fork is there on Linux: the child reads
        ahead = flattened(source.blocks(on_damage=damage.append))
    return in_place, damage_in_place, ahead, damage


@pytest.mark.parametrize("bag", ["sprint_100m_outage", "track_400m"])
def test_the_child_hands_over_read_blocks_own_blocks_and_inputs(bag):
    in_place, _, ahead, damage = read_both(REPO / "bags" / bag)
    assert sum(item[0] == "inputs" for item in ahead) >= 2  # blocks crossed, one after another
    assert sum(item[0] == "gnss" for item in ahead) > 100
    assert ahead == in_place and not damage


def test_damage_arrives_where_it_happened(tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(REPO / "bags" / "sprint_40m", broken)
    mcap = next(broken.glob("*.mcap"))
    mcap.write_bytes(mcap.read_bytes()[: mcap.stat().st_size // 2])
    in_place, damage_in_place, ahead, damage = read_both(broken)
    assert len(damage) == 1 and isinstance(damage[0], BagDamageError)
    assert (damage[0].offset, damage[0].last_log_ns, str(damage[0])) == \
        (damage_in_place[0].offset, damage_in_place[0].last_log_ns, str(damage_in_place[0]))
    assert ahead == in_place and sum(item[0] == "imu" for item in ahead) > 10


def test_an_error_in_the_child_is_raised_here_naming_the_file(tmp_path):
    junk = tmp_path / "junk.mcap"
    junk.write_bytes(b"not a bag at all")
    with ReadAhead(junk) as source, pytest.raises(BagError, match=r"junk\.mcap.*not an MCAP file"):
        list(source.blocks())


def test_leaving_early_stops_the_child():
    with ReadAhead(REPO / "bags" / "track_400m", depth=1) as source:
        next(source.blocks())
        child = source.child
        assert child.is_alive()  # blocked on its full queue: four blocks and the end to hand over
    assert not child.is_alive() and child.exitcode is not None


def test_replay_with_the_child_or_in_place_writes_the_same(tmp_path):
    with ReadAhead(REPO / "bags" / "sprint_40m") as source:
        assert source.child is not None
        ahead = replay(REPO / "bags" / "sprint_40m", tmp_path / "a", csv_path=tmp_path / "a.csv", source=source)
    in_place = replay(REPO / "bags" / "sprint_40m", tmp_path / "b", csv_path=tmp_path / "b.csv")
    assert ahead.messages == in_place.messages > 10_000
    assert np.array_equal(ahead.result.table, in_place.result.table, equal_nan=True)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_what_the_lag_is_measured_on_is_read_in_the_child_before_its_blocks():
    """As the replay command runs it: the child reads the bag's fixes and starts (read_calibration),
    this process measures the lag on them — the same measure as bag_params reading them itself."""
    bag = REPO / "bags" / "sprint_100m_outage"
    params = FilterParams.from_yaml(REPO / "config" / "filters" / "accurate.yaml")
    expected, said = bag_params(params, bag)
    assert said and "lag" in said  # a measure was made here
    with ReadAhead(bag, prepare=functools.partial(read_calibration, bag)) as source:
        assert bag_params(params, bag, calibration=source.prepared()) == (expected, said)
        ahead = flattened(source.blocks())
    assert ahead == flattened(read_blocks(bag, with_inputs=True))
    with ReadAhead(bag, prepare=functools.partial(read_calibration, REPO / "bags" / "nothing_here")) as source, \
            pytest.raises(BagError):
        source.prepared()  # the pre-pass's error, raised here


def test_reading_what_the_lag_is_measured_on_loads_no_compiled_steps():
    """The child reads while this process loads numba (~0.3 s): it must not load it too, nor may
    the read-ahead's own import load it before the child is forked."""
    code = ("import sys; import sprint_fusion.bags.read_ahead\n"
            "from sprint_fusion.bags.reader import read_calibration\n"
            f"fixes, imu = read_calibration({str(REPO / 'bags' / 'sprint_100m_outage')!r})\n"
            "print(len(fixes), len(imu), 'numba' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    fixes, samples, numba = done.stdout.split()
    assert int(fixes) > 100 and int(samples) > 100 and numba == "False"


def test_blocks_of_fixes_alone_or_of_imu_alone_cross_as_they_are():
    from sprint_fusion.bags.read_ahead import _packed_block, _unpacked_block

    blocks = [b for b, _ in read_blocks(REPO / "bags" / "sprint_40m", with_inputs=True)]
    fixes = [item for b in blocks for item in b if isinstance(item, GnssFix)]
    imu = [item for b in blocks for item in b if isinstance(item, ImuBlock)]
    for block in (fixes[:5], imu[:5], [], blocks[0]):  # a GNSS-only bag's, an IMU-only bag's, none, mixed
        assert flattened([(_unpacked_block(_packed_block(block)), [])]) == flattened([(block, [])])


def test_fixes_cross_as_columns_with_every_field_and_every_missing_part_as_it_was():
    """A block's fixes cross as columns (read_ahead._packed_fixes): each field, each missing
    velocity, heading or accuracy as it was; a fix of another kind crosses as the object it is."""
    import pickle

    from sprint_fusion.bags.read_ahead import _packed_block, _unpacked_block

    cov = np.diag([1e-4, 2e-4, 9e-4])
    fixes = [GnssFix(1.0, 48.1, 11.5, 520.25, cov, FixType.RTK_FIXED, np.array([5.0, 0.5, -0.1]), cov * 4, 84.3, 0.8),
             GnssFix(1.05, 48.1, 11.5, 520.5, cov * 2, FixType.RTK_FLOAT),
             GnssFix(1.1, 48.1, 11.5, np.nan, cov, FixType.SINGLE, np.array([5.1, 0.4, 0.0]), None, None, None, True),
             GnssFix(1.15, 48.1, 11.5, 521.0, cov, FixType.NO_FIX, None, cov, math.inf, 2.0)]
    crossed = _unpacked_block(pickle.loads(pickle.dumps(_packed_block(fixes))))
    assert _packed_block(fixes)[3][0] == "columns"
    assert flattened([(crossed, [])]) == flattened([(fixes, [])])
    odd = [*fixes, GnssFix(1.2, 48, 11.5, 521.0, cov.astype(np.float32))]  # an int latitude, float32 covariance
    assert _packed_block(odd)[3][0] == "objects"
    crossed = _unpacked_block(pickle.loads(pickle.dumps(_packed_block(odd))))
    assert flattened([(crossed, [])]) == flattened([(odd, [])]) and type(crossed[-1].latitude) is int


def sqlite3_copy(bag, out, signal_at: float | None = None):
    """A copy of `bag` in rosbag2's sqlite3 storage (rosbags' writer's default), with a starter's
    signal (sprint/start, std_msgs/Header) stamped `signal_at` where given."""
    from rosbags.highlevel import AnyReader
    from rosbags.rosbag2 import Writer

    from sprint_fusion.bags.writer import typestore

    store = typestore()
    Header, Time = store.types["std_msgs/msg/Header"], store.types["builtin_interfaces/msg/Time"]
    with AnyReader([bag], default_typestore=store) as reader, Writer(out, version=9) as writer:
        conns = {c.id: writer.add_connection(c.topic, c.msgtype, typestore=store) for c in reader.connections}
        start = writer.add_connection("/sprint/start", "std_msgs/msg/Header", typestore=store)
        at = signal_at or 0.0
        signal = store.serialize_cdr(Header(Time(int(at), int(round((at % 1) * 1e9))), "gun"), "std_msgs/msg/Header")
        written = signal_at is None
        for conn, log_ns, raw in reader.messages():
            if not written and log_ns >= signal_at * 1e9:
                writer.write(start, int(signal_at * 1e9), signal)
                written = True
            writer.write(conns[conn.id], log_ns, raw)


def test_the_commands_start_signals_read_in_the_child_are_those_replay_reads(tmp_path):
    """`sprint-fusion replay` has its read-ahead child read the start signals with the lag's
    calibration (read_beforehand): the trials and their messages are those of replay() reading
    them itself — and the signal is there to matter (the trial it precedes starts on it)."""
    from sprint_fusion.cli import main

    bag = REPO / "bags" / "sprint_40m"
    onset = replay(bag, tmp_path / "plain", keep_table=False).trials[0].onset
    signalled = tmp_path / "signalled"
    sqlite3_copy(bag, signalled, signal_at=onset - 0.3)
    params, _ = bag_params(FilterParams.from_yaml(REPO / "config" / "filters" / "accurate.yaml"), signalled)
    itself = replay(signalled, tmp_path / "itself", params, keep_table=False)  # as the command runs it
    assert [t.start_signal for t in itself.trials] == [True]
    assert main(["replay", str(signalled), "-o", str(tmp_path / "command")]) == 0

    def trial_messages(path):
        from rosbags.highlevel import AnyReader

        from sprint_fusion.bags.writer import typestore

        with AnyReader([path], default_typestore=typestore()) as reader:
            conns = [c for c in reader.connections if c.topic.startswith("/sprint/")]
            return [(c.topic, log_ns, bytes(raw)) for c, log_ns, raw in reader.messages(conns)]

    assert trial_messages(tmp_path / "command") == trial_messages(tmp_path / "itself") != []


def test_a_sqlite3_bag_replays_as_its_mcap_original(tmp_path):
    """rosbag2's sqlite3 storage (ros2 bag's default before Iron) goes message by message: the same
    fused rows as the MCAP original, its inputs copied (its connections, which hold their QoS
    profiles in a list, once broke the copy)."""
    bag = REPO / "bags" / "sprint_40m"
    copy = tmp_path / "copy"
    sqlite3_copy(bag, copy)
    assert list(copy.glob("*.db3"))
    with ReadAhead(copy) as source:
        from_sqlite3 = replay(copy, tmp_path / "a", source=source)
    from_mcap = replay(bag, tmp_path / "b")
    assert from_sqlite3.messages == from_mcap.messages > 10_000
    assert np.array_equal(from_sqlite3.result.table, from_mcap.result.table, equal_nan=True)
