"""MCAP message records of fixed-layout messages written in one compiled pass, straight into a
chunk's buffer: each record's header, then the message's template bytes with its changing fields
over them (cdr_pack.Packer says where each field goes).

numpy did the same in three passes over every byte — the template broadcast into a block's
array, the fields written through a structured view, and the block's rows copied into each chunk —
and the 10-minute replay writes 2.2 GB of records. Compiled kernels only: where the steps run as
plain Python (core/jit.py) the packer's numpy path is used instead (COMPILED False).
"""

from __future__ import annotations

import numpy as np

from ..core import jit as kernels
from .chunk_writer import HEAD, OP_MESSAGE


def compiled() -> bool:
    """True where fill_records is compiled (else a byte loop in Python: use numpy)."""
    return kernels.COMPILED


@kernels.jit(inline=True)
def _put(out, at, value, nbytes) -> None:
    """value's nbytes little-endian bytes at out[at:]."""
    for b in range(nbytes):
        out[at + b] = (value >> (8 * b)) & 0xFF


def fill_records(out, start, log_ns, channel, base, fields, src, dst, width) -> int:
    """Records of len(log_ns) messages of one channel into out (uint8) from byte `start` on, each
    HEAD + len(base) bytes: the header (sequence 0, publish time = log time), the template base,
    and field j's width[j] bytes from fields[k, src[j]:] at dst[j] of the message. Returns the
    byte after the last record."""
    n, size = log_ns.shape[0], base.shape[0]
    end = start + n * (HEAD + size)
    out[start:end].reshape(n, HEAD + size)[:, HEAD:] = base  # numpy copies the template row by row at memcpy's pace
    return _headers_and_fields(out, start, log_ns, channel, size, fields, src, dst, width)


@kernels.jit(nogil=True)
def _headers_and_fields(out, start, log_ns, channel, size, fields, src, dst, width) -> int:
    o = start
    for k in range(log_ns.shape[0]):
        out[o] = OP_MESSAGE
        _put(out, o + 1, HEAD - 9 + size, 8)
        _put(out, o + 9, channel, 2)
        _put(out, o + 11, 0, 4)
        _put(out, o + 15, log_ns[k], 8)
        _put(out, o + 23, log_ns[k], 8)
        body = o + HEAD
        for j in range(src.shape[0]):  # element loops: a slice costs a view's reference counts
            s, d = src[j], body + dst[j]
            if width[j] == 8:  # a constant count: the compiler moves the 8 bytes at once
                for b in range(8):
                    out[d + b] = fields[k, s + b]
            elif width[j] == 4:
                for b in range(4):
                    out[d + b] = fields[k, s + b]
            else:
                for b in range(width[j]):
                    out[d + b] = fields[k, s + b]
        o = body + size
    return o


def warm_up() -> None:
    """fill_records loaded (or compiled) before the first block needs it."""
    if compiled():
        out = np.zeros(HEAD + 8, np.uint8)
        fill_records(out, 0, np.zeros(1, np.int64), 1, np.zeros(8, np.uint8), np.zeros((1, 8), np.uint8),
                     np.zeros(1, np.int64), np.zeros(1, np.int64), np.full(1, 8, np.int64))
