"""Fuzzing the byte-stream decoders (hypothesis): whatever arrives, no exception escapes, and
every valid message surrounded by garbage is still decoded, in order."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyrtcm import calc_crc24q
from pyubx2 import UBXMessage, calc_checksum

from sprint_fusion.sensors.framing import ChecksumPrefixes, StreamFramer
from sprint_fusion.sensors.imu_lines import LineFormat
from sprint_fusion.sensors.streams import LineStream, UbxStream

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pvt(itow: int) -> bytes:
    return UBXMessage("NAV", "NAV-PVT", 0, iTOW=itow, fixType=3, gnssFixOk=1, lat=48.1, lon=11.5, validDate=1,
                      validTime=1, fullyResolved=1, year=2026, month=5, day=1).serialize()


garbage = st.binary(max_size=200) | st.sampled_from([b"\xb5", b"\xb5\x62", b"\xb5\x62\x01\x07\xff\xff",
                                                    b"$GPGGA,1,2*7", b"\xd3\x00\x13", b"\x00" * 50])


@FUZZ
@given(st.lists(garbage, min_size=1, max_size=8),
       st.lists(st.integers(0, 600_000_000), min_size=8, max_size=8, unique=True).map(sorted), garbage,
       st.integers(1, 97))
def test_ubx_frames_in_garbage_are_all_decoded(gaps, times, tail, chunk):
    itows = times[: len(gaps)]  # one epoch per iTOW: messages of one iTOW are one epoch
    data = b"".join(g + pvt(itow) for g, itow in zip(gaps, itows, strict=True)) + tail
    stream = UbxStream()
    events = []
    for i in range(0, len(data), chunk):
        events += stream.feed(data[i:i + chunk])
    events += stream.close()
    got = [e.value.itow for e in events if e.kind == "gnss"]
    assert got == itows
    assert all(isinstance(v, int) and v >= 0 for v in stream.counters().values())


def framed(data: bytes, chunk: int):
    """Frames and stats of a StreamFramer fed `data` in pieces of `chunk` bytes, then closed."""
    framer = StreamFramer()
    frames = []
    for i in range(0, len(data), chunk):
        frames += framer.feed(data[i:i + chunk])
    frames += framer.flush()
    return frames, framer.stats


@FUZZ
@given(st.lists(garbage | st.builds(pvt, st.integers(0, 600_000_000)), max_size=12).map(b"".join),
       st.integers(1, 64))
def test_arbitrary_bytes_are_each_accounted_for_whatever_the_chunking(data, chunk):
    """Nothing raises; every byte is in a checked frame, skipped or left truncated at the end
    (none lost, none counted twice); the frames do not depend on how the bytes were cut."""
    frames, stats = framed(data, chunk)
    whole, _ = framed(data, max(len(data), 1))
    assert sum(len(f.data) for f in frames) + stats.skipped_bytes + stats.truncated_bytes == len(data)
    assert frames == whole
    assert stats.frames["ubx"] == sum(f.kind == "ubx" for f in frames)
    stream = UbxStream()
    for i in range(0, len(data), chunk):
        stream.feed(data[i:i + chunk], arrival=1000.0 + i)
    stream.close()
    assert stream.counters()["ubx frames"] == stats.frames["ubx"]


FMT = LineFormat(columns=("time", "ax", "ay", "az", "gx", "gy", "gz"), accel_unit="m/s2", gyro_unit="rad/s")
valid_line = st.tuples(st.floats(0, 1e6), *(st.floats(-50, 50) for _ in range(6)))
noise_line = st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=80) | st.binary(max_size=80).map(
    lambda b: b.replace(b"\n", b"").decode("latin-1"))


@FUZZ
@given(st.lists(st.tuples(noise_line, valid_line), min_size=1, max_size=10), st.integers(1, 50))
def test_imu_lines_in_garbage_are_all_decoded(pieces, chunk):
    lines = []
    for noise, values in pieces:
        lines += [noise, ",".join(repr(v) for v in values)]
    data = ("\n".join(lines) + "\n").encode("latin-1", errors="replace")
    stream = LineStream(FMT)
    samples = []
    for i in range(0, len(data), chunk):
        samples += [e.value for e in stream.feed(data[i:i + chunk], arrival=5.0)]
    wanted = [values for _, values in pieces]
    decoded = [(s.stamp, *s.accel, *s.gyro) for s in samples]
    # a noise line may itself be a valid line (hypothesis finds those): every wanted one is there, in order
    it = iter(decoded)
    assert all(any(np.allclose(d, w) for d in it) for w in wanted)


@FUZZ
@given(st.binary(min_size=1, max_size=3000), st.data())
def test_checksums_over_any_range_match_the_protocol_libraries(data, draw):
    """The framer checks every candidate from prefix sums; each range's checksum must be what
    pyubx2 (UBX Fletcher-8) and pyrtcm (RTCM3 CRC-24Q) compute over those bytes."""
    ranges = draw.draw(st.lists(st.tuples(st.integers(0, len(data)), st.integers(0, 1029)), min_size=1, max_size=20))
    a = np.array([start for start, _ in ranges])
    b = np.minimum(a + np.array([size for _, size in ranges]), len(data))
    prefixes = ChecksumPrefixes(np.frombuffer(data, dtype=np.uint8))
    ck_a, ck_b = prefixes.fletcher(a, b)
    crc = prefixes.crc(a, b)
    for k in range(len(a)):
        chunk = data[a[k]:b[k]]
        assert bytes((int(ck_a[k]), int(ck_b[k]))) == calc_checksum(chunk)
        assert int(crc[k]) == calc_crc24q(chunk)


def rtcm3(payload: bytes) -> bytes:
    head = bytes((0xD3, len(payload) >> 8, len(payload) & 0xFF)) + payload
    return head + calc_crc24q(head).to_bytes(3, "big")


@pytest.mark.parametrize("fake", [b"\xd3\x03\xff", b"\xd3\x03\xff\x3e", b"\xb5\x62\x01\x07\xff\x1f", b"$", b"$GPGGA,"])
def test_a_flood_of_fake_headers_hides_no_frame(fake):
    """A faulty radio link repeating a header that claims a long frame: every real frame between
    the fakes is still found, and every byte accounted for."""
    real = [pvt(1000), rtcm3(b"\x3e\xd0" + bytes(19)), b"$GPGGA,1,2*55\r\n"]
    data = fake * 3000 + real[0] + fake * 3000 + real[1] + fake * 3000 + real[2] + fake * 300
    frames, stats = framed(data, 4096)
    assert [f.data for f in frames] == real
    assert sum(len(f.data) for f in frames) + stats.skipped_bytes + stats.truncated_bytes == len(data)


@pytest.mark.parametrize("line", [b"$\r\n", b"$A\n", b"$ab,1\n", b"$GP\n"])
def test_a_dollar_without_a_sentence_address_is_not_a_frame(line):
    frames, stats = framed(line * 50, 64)
    assert frames == [] and stats.skipped_bytes + stats.truncated_bytes == 50 * len(line)
