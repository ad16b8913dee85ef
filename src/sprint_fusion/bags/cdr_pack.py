"""Messages of one fixed layout serialised in columns: the CDR bytes of a template message
(serialised once by rosbags), repeated, with the fields that change written from arrays.

A message whose strings and sequences have one length on a topic (a constant frame_id, fixed
covariance arrays: every message the graph publishes) is one byte layout; only the numbers move.
Where each number sits is not worked out from CDR's alignment rules here but found: each field is
set to a marker value in a copy of the template, serialised, and looked up in the bytes — so the
packed bytes are the serialiser's own, field for field.
"""

from __future__ import annotations

import copy

import numpy as np

COV3 = (0, 1, 2, 6, 7, 8, 12, 13, 14)  # a 6×6 covariance's position (or linear) block, row by row
MARKERS = {"<f8": float.fromhex("0x1.3579bdf02468ap+77"), "<i4": 0x1A2B3C4D, "<u4": 0x5E6F7A8B, "<u2": 0x4C3D,
           "<i1": 0x5A, "<u1": 0xA5}


def _leaf(msg, path: str):
    """(holder, key) of a dotted path with an optional [index] at its end: 'twist.covariance[7]'."""
    index = None
    if path.endswith("]"):
        path, _, rest = path.partition("[")
        index = int(rest[:-1])
    *parents, name = path.split(".")
    holder = msg
    for part in parents:
        holder = getattr(holder, part)
    return (getattr(holder, name), index) if index is not None else (holder, name)


def _set(msg, path: str, value) -> None:
    holder, key = _leaf(msg, path)
    if isinstance(key, int):
        holder[key] = value
    else:
        setattr(holder, key, value)


class Packer:
    """Packs n messages of `msgtype` like `template`, the named fields from columns.

    fields: name → (dotted path in the message, numpy format '<f8' | '<i4' | '<u4').
    """

    def __init__(self, store, msgtype: str, template, fields: dict[str, tuple[str, str]]):
        base = bytes(store.serialize_cdr(template, msgtype))
        names, formats, offsets = [], [], []
        for name, (path, fmt) in fields.items():
            probe = copy.deepcopy(template)
            holder, key = _leaf(probe, path)
            now = holder[key] if isinstance(key, int) else getattr(holder, key)
            value = MARKERS[fmt] if now != MARKERS[fmt] else MARKERS[fmt] - 1  # a value the template has not
            _set(probe, path, value)
            data = bytes(store.serialize_cdr(probe, msgtype))
            width = np.dtype(fmt).itemsize
            changed = [k for k in range(min(len(base), len(data))) if base[k] != data[k]]
            want = np.array([value], dtype=fmt).tobytes()
            at = [k for k in range(changed[-1] - width + 1, changed[0] + 1) if data[k:k + width] == want] \
                if changed and len(data) == len(base) and changed[-1] - changed[0] < width else []
            if len(at) != 1:
                raise ValueError(f"{msgtype}.{path}: not one fixed place in the template's bytes")
            names.append(name), formats.append(fmt), offsets.append(at[0])
        self.msgtype, self.size = msgtype, len(base)
        self.base = np.frombuffer(base, dtype=np.uint8)
        self.dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": self.size})
        # the fields side by side (fields()), and where each goes in the message (record_pack)
        self.packed = np.dtype({"names": names, "formats": formats})
        self.width = np.array([np.dtype(f).itemsize for f in formats], dtype=np.int64)
        self.src = np.array([self.packed.fields[name][1] for name in names], dtype=np.int64)
        self.dst = np.array(offsets, dtype=np.int64)
        self.defaults = self.unpack(self.base[None, :])[0]  # the template's own field values

    def pack(self, n: int, headroom: int = 0, **columns) -> np.ndarray:
        """(n, headroom + size) uint8: message k's CDR bytes in row k, after `headroom` bytes left
        for the caller (an MCAP record's header: the bytes are written once, in place)."""
        out = np.empty((n, headroom + self.size), dtype=np.uint8)
        body = out[:, headroom:]
        body[:] = self.base
        view = body.view(self.dtype).reshape(n) if not headroom else np.ndarray(
            n, self.dtype, out, headroom, (headroom + self.size,))
        for name, values in columns.items():
            view[name] = values
        return out

    def fields(self, n: int, **columns) -> np.ndarray:
        """(n, bytes of the fields) uint8: message k's fields side by side in row k — what
        record_pack.fill_records writes over the template (pack's bytes, in one pass later)."""
        unknown = set(columns) - set(self.packed.names)
        if unknown:
            raise ValueError(f"{self.msgtype}: no field {sorted(unknown)}")
        out = np.empty(n, self.packed)
        for name in self.packed.names:  # a field not given keeps the template's value, as in pack
            out[name] = columns[name] if name in columns else self.defaults[name]
        return out.view(np.uint8).reshape(n, self.packed.itemsize)

    def unpack(self, rows: np.ndarray) -> np.ndarray:
        """The fields of messages laid out as the template (rows of `size` bytes), as a structured
        array — reading the bytes the way pack writes them."""
        return np.ndarray(len(rows), self.dtype, np.ascontiguousarray(rows), 0, (self.size,))
