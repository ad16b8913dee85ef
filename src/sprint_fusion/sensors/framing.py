"""Split a receiver byte stream into checked UBX, NMEA and RTCM3 frames, resynchronising on damage.

Receivers interleave protocols on one port, and serial links drop and corrupt bytes. Every
frame is checked (UBX Fletcher-8, NMEA XOR, RTCM3 CRC-24Q) before anyone parses it; a
candidate that fails is skipped one byte at a time, so a good frame right after damage is
still found. Nothing raises: damage is counted in `stats`.

Linear time on any input: a stream of fake headers (a faulty radio link repeating `D3 03 FF`)
makes a candidate every few bytes, each claiming up to 8 KB. Checking each candidate by
summing its bytes would cost O(bytes × frame length). Instead every check is made from
prefix sums over the buffer (`ChecksumPrefixes`): a checksum over any range then costs a few
look-ups, and all candidates of a buffer are judged at once in numpy. Python only walks the
frames that pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache, cached_property

import numpy as np

UBX_SYNC = b"\xb5\x62"
RTCM3_PREAMBLE = 0xD3
UBX_MAX_PAYLOAD = 8192  # larger than any UBX message a receiver sends; longer "lengths" are noise
NMEA_MAX = 256  # a sentence, "$" to "\n"; NMEA 0183 says 82, u-blox PUBX and some talkers run longer
CRC24Q_POLY = 0x1864CFB
CRC_MASK = 0xFFFFFF
RTCM3_MAX_FRAME = 3 + 1023 + 3


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
    """UBX Fletcher-8 over class, id, length and payload (the reference the prefix sums match)."""
    a = b = 0
    for byte in body:
        a = (a + byte) & 0xFF
        b = (b + a) & 0xFF
    return bytes((a, b))


def crc24q(data: bytes) -> int:
    """RTCM3's CRC-24Q, bit by bit (the reference the table-driven prefixes match)."""
    crc = 0
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= CRC24Q_POLY
    return crc & CRC_MASK


@cache
def _crc_tables() -> tuple[np.ndarray, np.ndarray]:
    """The byte table of CRC-24Q, and `shift[n, j, b]` = (b << 8j) · x^(8n) mod G: the CRC of a
    prefix carried past n more bytes, applied byte by byte of the 24-bit value."""
    table = np.array([crc24q(bytes([b])) for b in range(256)], dtype=np.uint32)
    shift = np.empty((RTCM3_MAX_FRAME + 1, 3, 256), dtype=np.uint32)
    value = (np.arange(256, dtype=np.uint32)[None, :] << (8 * np.arange(3, dtype=np.uint32))[:, None])
    for n in range(RTCM3_MAX_FRAME + 1):
        shift[n] = value
        value = ((value << 8) & CRC_MASK) ^ table[value >> 16]
    return table, shift


def _carry(shift: np.ndarray, crc: np.ndarray, n: np.ndarray) -> np.ndarray:
    """CRC values carried past n zero bytes (crc · x^(8n) mod G), element-wise."""
    return shift[n, 0, crc & 0xFF] ^ shift[n, 1, (crc >> 8) & 0xFF] ^ shift[n, 2, crc >> 16]


class ChecksumPrefixes:
    """Prefix sums of one buffer from which each frame check over any range is a few look-ups."""

    def __init__(self, x: np.ndarray):
        self.x = x
        # prefix CRCs are scanned in blocks, all blocks at once: a block's bytes cost one numpy
        # step each, blocks one Python step each; about sqrt(n / 12) balances the two
        self.block = max(8, min(256, int((len(x) / 12) ** 0.5)))

    @cached_property
    def _sums(self) -> tuple[np.ndarray, np.ndarray]:
        s1 = np.concatenate(([0], np.cumsum(self.x, dtype=np.uint8)))
        s2 = np.concatenate(([0], np.cumsum(s1[1:], dtype=np.uint8)))
        return s1.astype(np.int64), s2.astype(np.int64)

    def fletcher(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """UBX checksum bytes (CK_A, CK_B) over x[a:b]: A = Σx, B = Σ of the running sums of A
        = (S2[b] − S2[a]) − (b − a)·S1[a], all mod 256."""
        s1, s2 = self._sums
        return (s1[b] - s1[a]) & 0xFF, (s2[b] - s2[a] - (b - a) * s1[a]) & 0xFF

    def crc(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """CRC-24Q of x[a:b] (b − a ≤ RTCM3_MAX_FRAME): crc(u‖v) = crc(u)·x^(8|v|) ⊕ crc(v)."""
        _, shift = _crc_tables()
        local, starts = self._crc_blocks
        return self._prefix(shift, local, starts, b) ^ _carry(shift, self._prefix(shift, local, starts, a), b - a)

    def _prefix(self, shift, local, starts, k):
        """CRC of x[:k]: the block start's CRC carried into the block, ⊕ the CRC within it."""
        block, offset = k // self.block, k % self.block
        return _carry(shift, starts[block], offset) ^ local[block, offset]

    @cached_property
    def _crc_blocks(self) -> tuple[np.ndarray, np.ndarray]:
        """CRCs within each block (all blocks at once), and each block's start CRC, carried from
        block to block: O(n) work, of which n / block steps in Python."""
        table, shift = _crc_tables()
        size = self.block
        blocks = len(self.x) // size + 1
        padded = np.zeros(blocks * size, dtype=np.uint32)
        padded[: len(self.x)] = self.x
        padded = padded.reshape(blocks, size)
        local = np.zeros((blocks, size + 1), dtype=np.uint32)
        for o in range(size):
            c = local[:, o]
            local[:, o + 1] = ((c << 8) & CRC_MASK) ^ table[(c >> 16) ^ padded[:, o]]
        carry = shift[size].tolist()
        starts = [0] * blocks
        crc = 0
        for i, block_crc in enumerate(local[:-1, size].tolist()):
            crc = carry[0][crc & 0xFF] ^ carry[1][(crc >> 8) & 0xFF] ^ carry[2][crc >> 16] ^ block_crc
            starts[i + 1] = crc
        return local, np.array(starts, dtype=np.uint32)


@dataclass
class Verdicts:
    """Every candidate frame start of a buffer, judged: sorted positions of the frames that pass
    (`starts`, with `lengths`, `kinds`), of those that cannot be judged until more bytes come
    (`undecided`), and of those whose checksum failed (`bad_checksum`)."""

    starts: np.ndarray
    lengths: np.ndarray
    kinds: np.ndarray
    undecided: np.ndarray
    bad_checksum: np.ndarray


KINDS = ("ubx", "nmea", "rtcm3")
_PRINTABLE = np.zeros(256, dtype=bool)
_PRINTABLE[0x20:0x7F] = True
_ADDRESS = np.zeros(256, dtype=bool)
_ADDRESS[list(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] = True
_HEX = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEX[_c] = _HEX[bytes([_c]).lower()[0]] = _i


def judge(x: np.ndarray) -> Verdicts:
    n = len(x)
    checks = ChecksumPrefixes(x)
    parts = [_ubx(x, n, checks), _nmea(x, n), _rtcm3(x, n, checks)]
    good = [(p, ln, np.full(len(p), k, dtype=np.int8)) for k, (p, ln, _, _) in enumerate(parts)]
    starts = np.concatenate([g[0] for g in good])
    order = np.argsort(starts, kind="stable")
    return Verdicts(starts[order], np.concatenate([g[1] for g in good])[order],
                    np.concatenate([g[2] for g in good])[order],
                    np.sort(np.concatenate([p[2] for p in parts])), np.sort(np.concatenate([p[3] for p in parts])))


def _ubx(x, n, checks):
    """B5 62, class, id, 16-bit length, payload, CK_A CK_B. A trailing B5 may be half a sync."""
    p = np.flatnonzero((x[:-1] == 0xB5) & (x[1:] == 0x62))
    trailing = np.array([n - 1] if n and x[-1] == 0xB5 else [], dtype=np.int64)
    header = p + 6 <= n
    length = np.zeros(len(p), dtype=np.int64)
    length[header] = x[p[header] + 4].astype(np.int64) | x[p[header] + 5].astype(np.int64) << 8
    sane = header & (length <= UBX_MAX_PAYLOAD)
    complete = sane & (p + 8 + length <= n)
    c = p[complete]
    end = c + 8 + length[complete]
    ck_a, ck_b = checks.fletcher(c + 2, end - 2)
    ok = (ck_a == x[end - 2]) & (ck_b == x[end - 1])
    undecided = np.concatenate((p[~header | (sane & ~complete)], trailing))
    return c[ok], end[ok] - c[ok], undecided, c[~ok]


def _nmea(x, n):
    """"$", an address (talker + sentence, or P + maker: 3+ upper-case letters or digits), … "\n"
    within NMEA_MAX bytes, printable without another "$" or "!", and "*HH" matching the XOR of
    the body if present."""
    p = np.flatnonzero(x == ord("$"))
    newlines = np.flatnonzero(x == ord("\n"))
    i = np.searchsorted(newlines, p)
    has_end = i < len(newlines)
    end = np.where(has_end, newlines[np.minimum(i, len(newlines) - 1)] if len(newlines) else 0, n)
    undecided = p[~has_end & (n - p < NMEA_MAX)]
    fits = has_end & (end - p < NMEA_MAX)
    p, end = p[fits], end[fits]
    address = end > p + 3
    for k in (1, 2, 3):
        address &= _ADDRESS[x[np.minimum(p + k, n - 1)]]
    p, end = p[address], end[address]
    body_end = end - ((end > p) & (x[np.maximum(end - 1, 0)] == ord("\r")))
    # printable, and no second start delimiter: "$" and "!" are reserved in NMEA 0183, and
    # without this rule repeated fake sentences can XOR to a checksum that matches
    unfit = np.concatenate(([0], np.cumsum(~_PRINTABLE[x] | (x == ord("$")) | (x == ord("!")))))
    printable = unfit[body_end] - unfit[p] == 1
    p, end, body_end = p[printable], end[printable], body_end[printable]
    stars = np.flatnonzero(x == ord("*"))
    star = np.concatenate((stars, [n]))[np.searchsorted(stars, p)]
    checked = star < body_end
    xor = np.concatenate(([0], np.bitwise_xor.accumulate(x))) if len(x) else np.zeros(1, dtype=np.uint8)
    calc = (xor[np.where(checked, star, p + 1)] ^ xor[p + 1]).astype(np.int64)
    hi = _HEX[x[np.minimum(star + 1, n - 1)]]
    lo = _HEX[x[np.minimum(star + 2, n - 1)]]
    match = (body_end - star == 3) & (hi >= 0) & (lo >= 0) & (hi * 16 + lo == calc)
    ok = ~checked | match
    return p[ok], end[ok] + 1 - p[ok], undecided, p[~ok]


def _rtcm3(x, n, checks):
    """D3, six zero bits, 10-bit length, payload, CRC-24Q (the CRC over the whole frame is 0)."""
    p = np.flatnonzero(x == RTCM3_PREAMBLE)
    header = p + 3 <= n
    reserved_clear = np.zeros(len(p), dtype=bool)
    reserved_clear[header] = (x[p[header] + 1] & 0xFC) == 0
    length = np.zeros(len(p), dtype=np.int64)
    length[reserved_clear] = (x[p[reserved_clear] + 1].astype(np.int64) & 3) << 8 | x[p[reserved_clear] + 2]
    complete = reserved_clear & (p + 6 + length <= n)
    c = p[complete]
    end = c + 6 + length[complete]
    ok = checks.crc(c, end) == 0 if len(c) else np.zeros(0, dtype=bool)
    undecided = p[~header | (reserved_clear & ~complete)]
    return c[ok], end[ok] - c[ok], undecided, c[~ok]


class StreamFramer:
    def __init__(self):
        self.buffer = b""
        self.stats = FramingStats()

    def feed(self, data: bytes, final: bool = False) -> list[Frame]:
        """Frames completed by `data`. With `final` (the stream has ended), a candidate that
        would need more bytes is a false start or a truncated tail: skip past it and look on."""
        buf = self.buffer + bytes(data)
        if not buf:
            return []
        v = judge(np.frombuffer(buf, dtype=np.uint8))
        starts, lengths, kinds = v.starts.tolist(), v.lengths.tolist(), v.kinds.tolist()
        undecided = [] if final else v.undecided.tolist()
        n, pos, i, j, frames = len(buf), 0, 0, 0, []
        while True:
            while i < len(starts) and starts[i] < pos:
                i += 1  # a candidate inside the frame just taken
            while j < len(undecided) and undecided[j] < pos:
                j += 1
            nxt = starts[i] if i < len(starts) else n
            if j < len(undecided) and undecided[j] < nxt:
                self._count_gap(v, pos, undecided[j], final)
                pos = undecided[j]  # wait for the bytes that decide it
                break
            self._count_gap(v, pos, nxt, final)
            if nxt == n:
                pos = n
                break
            frame = Frame(KINDS[kinds[i]], buf[nxt:nxt + lengths[i]])
            frames.append(frame)
            self.stats.frames[frame.kind] += 1
            pos = nxt + lengths[i]
        self.buffer = buf[pos:]
        return frames

    def _count_gap(self, v: Verdicts, a: int, b: int, final: bool) -> None:
        """Bytes a..b hold no frame: each is skipped, or (at the end) left truncated."""
        if b <= a:
            return
        truncated = _count_in(v.undecided, a, b) if final else 0
        self.stats.truncated_bytes += truncated
        self.stats.skipped_bytes += b - a - truncated
        self.stats.bad_checksum += _count_in(v.bad_checksum, a, b)

    def flush(self) -> list[Frame]:
        """End of stream: the frames still findable in what is left; the rest is counted."""
        frames = self.feed(b"", final=True)
        self.buffer = b""
        return frames


def _count_in(sorted_positions: np.ndarray, a: int, b: int) -> int:
    return int(np.searchsorted(sorted_positions, b) - np.searchsorted(sorted_positions, a))
