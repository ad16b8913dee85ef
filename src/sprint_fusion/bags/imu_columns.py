"""sensor_msgs/Imu messages decoded many at once, straight from their CDR bytes.

One publisher's IMU messages share one layout (the frame_id does not change), so a run of them
is one fixed-size record repeated: numpy reads the stamps and the 37 doubles of every message in
one pass instead of building a message object for each. Layout (little-endian CDR, what ROS 2
writes): 4-byte encapsulation header; header.stamp (int32 sec, uint32 nanosec); frame_id (uint32
length with the NUL, bytes); then, aligned to 8 bytes from the payload start, orientation
(x, y, z, w), its covariance (9), angular_velocity (3), its covariance, linear_acceleration (3),
its covariance. Anything else (another encoding, sizes that differ) is left to rosbags.
"""

from __future__ import annotations

import struct

import numpy as np

from ..core.samples import ImuBlock

CDR_LE = b"\x00\x01"
DOUBLES = 37
ORIENTATION, ORIENTATION_COV, GYRO, ACCEL = 0, 4, 13, 25


def doubles_offset(raw: bytes) -> int | None:
    """Byte offset of the 37 doubles in one Imu message, or None if it is not the layout above."""
    if len(raw) < 16 or raw[:2] != CDR_LE:
        return None
    (name_len,) = struct.unpack_from("<I", raw, 12)
    end = 16 + name_len
    offset = 4 + -(-(end - 4) // 8) * 8
    return offset if len(raw) == offset + 8 * DOUBLES else None


def decode_imus(raws: list[bytes]) -> ImuBlock | None:
    """The messages as columns when they all share the first one's layout, else None."""
    if not raws or any(len(r) != len(raws[0]) for r in raws):
        return None
    return decode_imu_rows(np.frombuffer(b"".join(raws), dtype=np.uint8).reshape(len(raws), len(raws[0])))


def header_stamps(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sec, nanosec) of messages that begin with a std_msgs/Header, as the rows of their CDR
    bytes (little-endian, as ROS 2 writes them): after the 4-byte encapsulation."""
    return (np.ascontiguousarray(data[:, 4:8]).view("<i4").ravel(),
            np.ascontiguousarray(data[:, 8:12]).view("<u4").ravel())


def decode_imu_rows(data: np.ndarray) -> ImuBlock | None:
    """Messages of one length as the rows of a uint8 array: columns when they all share the first
    one's layout, else None."""
    if not len(data):
        return None
    offset = doubles_offset(data[0].tobytes())
    if offset is None:
        return None
    if not (data[:, :4] == data[0, :4]).all() or not (data[:, 12:16] == data[0, 12:16]).all():
        return None  # another encoding or another frame_id length somewhere: one by one
    sec, nanosec = header_stamps(data)
    values = np.ascontiguousarray(data[:, offset:]).view("<f8").reshape(len(data), DOUBLES).astype(float)
    has = values[:, ORIENTATION_COV] != -1.0  # REP-145: covariance[0] = -1 means no orientation
    orientation = np.where(has[:, None], values[:, [3, 0, 1, 2]], 0.0)  # (x, y, z, w) → (w, x, y, z)
    return ImuBlock(sec.astype(float) + nanosec * 1e-9, values[:, ACCEL:ACCEL + 3].copy(),
                    values[:, GYRO:GYRO + 3].copy(), orientation, has)
