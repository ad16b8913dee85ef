"""Split a receiver byte stream into checked UBX, NMEA and RTCM3 frames, resynchronising on damage.

Receivers interleave protocols on one port, and serial links drop and corrupt bytes. Every
frame is checked (UBX Fletcher-8, NMEA XOR, RTCM3 CRC-24Q) before anyone parses it; a
candidate that fails is skipped one byte at a time, so a good frame right after damage is
still found. Nothing raises: damage is counted in `stats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

UBX_SYNC = b"\xb5\x62"
RTCM3_PREAMBLE = 0xD3
UBX_MAX_PAYLOAD = 8192  # larger than any UBX message a receiver sends; longer "lengths" are noise
NMEA_MAX = 256  # NMEA 0183 says 82; u-blox PUBX and some talkers run longer


@dataclass(frozen=True)
class Frame:
    kind: str  # "ubx", "nmea" or "rtcm3"
    data: bytes


@dataclass
class FramingStats:
    frames: dict = field(default_factory=lambda: {"ubx": 0, "nmea": 0, "rtcm3": 0})
    bad_checksum: int = 0
    skipped_bytes: int = 0
    truncated_bytes: int = 0  # left incomplete when the stream ended


def ubx_checksum(body: bytes) -> bytes:
    a = b = 0
    for byte in body:
        a = (a + byte) & 0xFF
        b = (b + a) & 0xFF
    return bytes((a, b))


def crc24q(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


class StreamFramer:
    NEED_MORE, BAD = "need-more", "bad"

    def __init__(self):
        self.buffer = bytearray()
        self.stats = FramingStats()

    def feed(self, data: bytes, final: bool = False) -> list[Frame]:
        """Frames completed by `data`. With `final` (the stream has ended), a candidate that
        would need more bytes is a false start or a truncated tail: skip past it and look on."""
        self.buffer += data
        frames: list[Frame] = []
        buf = self.buffer
        pos = 0
        while pos < len(buf):
            start = self._next_candidate(buf, pos)
            if start < 0:
                self.stats.skipped_bytes += len(buf) - pos
                pos = len(buf)
                break
            self.stats.skipped_bytes += start - pos
            pos = start
            result = self._try_frame(buf, pos)
            if result == self.NEED_MORE and not final:
                break
            if result in (self.BAD, self.NEED_MORE):
                if result == self.NEED_MORE:
                    self.stats.truncated_bytes += 1
                else:
                    self.stats.skipped_bytes += 1
                pos += 1
                continue
            frames.append(result)
            self.stats.frames[result.kind] += 1
            pos += len(result.data)
        del buf[:pos]
        return frames

    def flush(self) -> list[Frame]:
        """End of stream: the frames still findable in what is left; the rest is counted."""
        frames = self.feed(b"", final=True)
        self.buffer.clear()
        return frames

    @staticmethod
    def _next_candidate(buf: bytearray, pos: int) -> int:
        hits = [i for i in (buf.find(UBX_SYNC, pos), buf.find(b"$", pos), buf.find(RTCM3_PREAMBLE, pos)) if i >= 0]
        if not hits:
            # keep a trailing 0xB5: it may be the first half of a UBX sync split across reads
            return len(buf) - 1 if buf.endswith(b"\xb5") else -1
        return min(hits)

    def _try_frame(self, buf: bytearray, pos: int):
        lead = buf[pos]
        if lead == 0xB5:
            return self._ubx(buf, pos)
        if lead == ord("$"):
            return self._nmea(buf, pos)
        return self._rtcm3(buf, pos)

    def _ubx(self, buf, pos):
        if len(buf) - pos < 2:
            return self.NEED_MORE
        if buf[pos + 1] != 0x62:
            return self.BAD
        if len(buf) - pos < 6:
            return self.NEED_MORE
        length = buf[pos + 4] | buf[pos + 5] << 8
        if length > UBX_MAX_PAYLOAD:
            return self.BAD
        end = pos + 6 + length + 2
        if len(buf) < end:
            return self.NEED_MORE
        if ubx_checksum(buf[pos + 2:end - 2]) != buf[end - 2:end]:
            self.stats.bad_checksum += 1
            return self.BAD
        return Frame("ubx", bytes(buf[pos:end]))

    def _nmea(self, buf, pos):
        end = buf.find(b"\n", pos, pos + NMEA_MAX + 1)  # no further: a line is at most NMEA_MAX long
        if end < 0:
            return self.NEED_MORE if len(buf) - pos < NMEA_MAX else self.BAD
        line = bytes(buf[pos:end + 1])
        if end - pos > NMEA_MAX or any(b < 0x20 or b > 0x7E for b in line.rstrip(b"\r\n")):
            return self.BAD
        body, star, check = line.rstrip(b"\r\n").partition(b"*")
        if star:
            calc = 0
            for b in body[1:]:
                calc ^= b
            if check.upper() != f"{calc:02X}".encode():
                self.stats.bad_checksum += 1
                return self.BAD
        return Frame("nmea", line)

    def _rtcm3(self, buf, pos):
        if len(buf) - pos < 3:
            return self.NEED_MORE
        if buf[pos + 1] & 0xFC:
            return self.BAD  # six reserved bits must be zero
        length = (buf[pos + 1] & 0x03) << 8 | buf[pos + 2]
        end = pos + 3 + length + 3
        if len(buf) < end:
            return self.NEED_MORE
        if crc24q(bytes(buf[pos:end - 3])) != int.from_bytes(buf[end - 3:end], "big"):
            self.stats.bad_checksum += 1
            return self.BAD
        return Frame("rtcm3", bytes(buf[pos:end]))
