"""The chunk writer's one-pass records (record_pack, compiled) against the packer's numpy path
(cdr_pack.Packer.pack, whose bytes test_replay_columns holds against rosbags' serialiser): the
same MCAP message records, and a replay that writes the same bag with either."""

import numpy as np
import pytest
from rosbags.highlevel import AnyReader

from sprint_fusion.bags import column_outputs, record_pack
from sprint_fusion.bags.chunk_writer import HEAD, Group
from sprint_fusion.bags.column_outputs import ColumnOutputs
from sprint_fusion.bags.replay import replay
from sprint_fusion.bags.writer import typestore
from sprint_fusion.core.params import FilterParams

from .conftest import REPO

pytestmark = pytest.mark.skipif(not record_pack.compiled(), reason="numba not installed")


class Connection:
    id = 7


def packers():
    outputs = ColumnOutputs(typestore(), FilterParams(), "", lambda topic, msgtype: None)
    return {name: getattr(outputs, name) for name in ("speed", "point", "accel", "yaw", "odometry", "position")}


@pytest.mark.parametrize("name", ["speed", "point", "accel", "yaw", "odometry", "position"])
def test_deferred_records_are_the_numpy_packers_records(name):
    packer = packers()[name]
    rng = np.random.default_rng(len(name))
    n = 257
    columns = {f: (rng.integers(0, 2**31 - 1, n) if f in ("sec", "nanosec") else rng.normal(size=n))
               for f in packer.packed.names[:-1]}  # the last field not given: the template's value
    log_ns = np.sort(rng.integers(0, 2**62, n))
    eager = Group.with_room(Connection(), log_ns, packer.pack(n, HEAD, **columns))
    deferred = Group.deferred(Connection(), log_ns, packer, packer.fields(n, **columns))
    expected = eager.record_array()  # headers as numpy writes them
    out = np.full(10 + expected.size, 0xEE, np.uint8)
    assert deferred.fill(out, 10, slice(None)) == 10 + expected.size
    assert np.array_equal(out[10:].reshape(expected.shape), expected)
    assert (out[:10] == 0xEE).all()
    part = np.zeros(5 * expected.shape[1], np.uint8)  # rows 100..104 alone
    deferred.fill(part, 0, slice(100, 105))
    assert np.array_equal(part.reshape(5, -1), expected[100:105])
    assert np.array_equal(deferred.record_array(), expected)  # as arrays, for rows picked by index


def test_a_field_the_packer_does_not_have_is_refused():
    with pytest.raises(ValueError, match="no field"):
        packers()["speed"].fields(3, speed=np.zeros(3))


def test_replay_writes_the_same_bag_with_the_numpy_packer(tmp_path, monkeypatch):
    bag = REPO / "bags" / "sprint_40m"
    replay(bag, tmp_path / "compiled")
    with monkeypatch.context() as patch:
        patch.setattr(column_outputs.record_pack, "compiled", lambda: False)
        replay(bag, tmp_path / "numpy")

    def messages(path):
        with AnyReader([path], default_typestore=typestore()) as reader:
            return [(conn.topic, log_ns, bytes(raw)) for conn, log_ns, raw in reader.messages()]

    compiled, plain = messages(tmp_path / "compiled"), messages(tmp_path / "numpy")
    assert len(compiled) > 10_000 and compiled == plain
