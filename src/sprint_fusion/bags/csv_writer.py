"""The fused-state CSV written by a helper process: formatting 14 exact floats per IMU sample is a
large part of replay's work (Python's repr: ~0.6 µs a float; orjson's shortest round-trip digits:
~0.08 µs), and on a machine with a second core it need not be on the replay's. Rows go to it as
raw float64 bytes on its stdin (`python -m sprint_fusion.bags.csv_writer FILE WIDTH`: no
multiprocessing, so a script calling replay() needs no `if __name__ == "__main__"` guard)."""

from __future__ import annotations

import contextlib
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson

_LENGTH = struct.Struct("<Q")


def format_rows(rows: np.ndarray) -> bytes:
    """The rows as CSV lines (CRLF, as the csv module ends them): each float in the shortest digits
    that read back as the same float (Python's float() and repr agree), NaN as nan. orjson writes
    the numbers (JSON has no NaN or infinity: it writes null for them); rows holding an infinity
    take repr's way."""
    if not len(rows):
        return b""
    if np.isinf(rows).any():
        return "".join(",".join(map(repr, row)) + "\r\n" for row in rows.tolist()).encode()
    text = orjson.dumps(np.ascontiguousarray(rows, dtype=np.float64), option=orjson.OPT_SERIALIZE_NUMPY)
    return text[2:-2].replace(b"],[", b"\r\n").replace(b"null", b"nan") + b"\r\n"


class CsvWriter:
    """write(rows) hands the rows over; close() waits until the file is complete (an error in the
    helper is raised there). Without a helper (`process=False`) the rows are written in place."""

    def __init__(self, path: str | Path, columns: tuple[str, ...], process: bool = True):
        self.width = len(columns)
        self.helper = None
        self.fh = open(path, "wb")  # noqa: SIM115 — closed by close()
        self.fh.write((",".join(columns) + "\r\n").encode())
        if process:
            self.fh.close()  # the helper appends
            self.helper = subprocess.Popen([sys.executable, "-m", __name__, str(path), str(self.width)],
                                           stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def write(self, rows: np.ndarray) -> None:
        if not len(rows):
            return
        rows = np.ascontiguousarray(rows[:, :self.width], dtype=np.float64)
        if self.helper is None:
            self.fh.write(format_rows(rows))
            return
        data = rows.tobytes()
        try:
            self.helper.stdin.write(_LENGTH.pack(len(data)) + data)
        except BrokenPipeError:
            self.close()  # raises with the helper's error

    def close(self) -> None:
        if self.helper is None:
            self.fh.close()
            return
        if not self.helper.stdin.closed:
            with contextlib.suppress(BrokenPipeError):  # the helper stopped early: its error says why
                self.helper.stdin.close()
        error = self.helper.stderr.read().decode(errors="replace").strip()
        if self.helper.wait() != 0:
            raise RuntimeError(f"the CSV writer failed: {error.splitlines()[-1] if error else self.helper.returncode}")

    def abort(self) -> None:
        if self.helper is not None and self.helper.poll() is None:
            self.helper.kill()
            self.helper.wait()
        self.fh.close()


def main(path: str, width: int) -> None:
    source = sys.stdin.buffer
    with open(path, "ab") as fh:
        while head := source.read(_LENGTH.size):
            (size,) = _LENGTH.unpack(head)
            data = source.read(size)
            if len(data) != size:
                raise SystemExit(f"{path}: rows cut short ({len(data)} of {size} bytes)")
            fh.write(format_rows(np.frombuffer(data, dtype=np.float64).reshape(-1, width)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
