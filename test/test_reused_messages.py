"""The live nodes refill their per-sample messages instead of constructing them (msgs.ReusedMessages):
what they publish must be, read back from the wire, what a fresh construction gives — batch after
batch, with two messages of one type in a batch kept apart. (Compared field by field after the
round trip: CDR's alignment padding is not initialised, so bytes may differ there.)"""

import numpy as np
from rclpy.serialization import deserialize_message, serialize_message

from sprint_fusion import msgs, outputs, topics
from sprint_fusion.core.columns import WIDTH, Col


def row(seed: int) -> np.ndarray:
    """A row of random numbers where every stage ran (yaw and bias aligned, axes started)."""
    r = np.random.default_rng(seed).normal(size=WIDTH)
    r[Col.t] = 1_777_000_000.0 + seed * 0.0025
    for c in (Col.yaw_var, Col.yaw_rate_var, Col.bias_var, Col.bias_rate_var, Col.kf5_speed_var, Col.kf2_speed_var):
        r[c] = abs(r[c])
    return r


def wire(batch) -> list:
    return [(topic, deserialize_message(serialize_message(msg), type(msg))) for topic, msg in batch]


BUILDERS = {
    "yaw_bias": lambda types, r: outputs.yaw_bias_outputs(types, r, np.eye(3) * 0.5),
    "axis": lambda types, r: outputs.axis_outputs(types, r, "north"),
    "speed": outputs.speed_outputs,
    "kf2": outputs.kf2_outputs,
}


def test_refilled_messages_serialise_as_fresh_ones_batch_after_batch():
    fresh = msgs.rclpy_types()
    for name, build in BUILDERS.items():
        reused = msgs.ReusedMessages(fresh)
        first_instances = None
        for seed in range(5):
            r = row(seed)
            batch = build(reused(), r)
            assert wire(batch) == wire(build(fresh, r)), (name, seed)
            ids = [id(m) for _, m in batch]
            assert len(set(ids)) == len(ids)  # no instance twice in a batch
            first_instances = first_instances or ids
            assert ids == first_instances  # and the same instances every batch: nothing constructed


def test_two_messages_of_one_type_in_a_batch_stay_apart():
    """fusion/yaw and fusion/yaw_bias are both sensor_msgs/Imu."""
    reused = msgs.ReusedMessages(msgs.rclpy_types())
    r = row(1)
    r[Col.yaw], r[Col.bias] = 40.0, -25.0
    out = dict(outputs.yaw_bias_outputs(reused(), r, np.eye(3)))
    yaw, bias = out[topics.YAW].orientation, out[topics.YAW_BIAS].orientation
    assert abs(np.degrees(2 * np.arctan2(yaw.z, yaw.w)) - 40.0) < 1e-9
    assert abs(np.degrees(2 * np.arctan2(bias.z, bias.w)) + 25.0) < 1e-9
