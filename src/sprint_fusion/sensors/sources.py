"""Byte sources: serial port, TCP stream, file. Live sources reconnect on their own.

A serial adapter unplugged, a TCP server restarted: `read()` then returns b"" while the
source retries every `retry` seconds, and `disconnects` / `connects` count what happened.
Nothing raises to the caller after construction.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path


class ByteSource:
    def __init__(self, retry: float = 1.0):
        self.retry = retry
        self.connects = 0
        self.disconnects = 0
        self.last_error = ""
        self._next_try = 0.0

    def read(self, timeout: float = 0.1) -> bytes:
        if not self.is_open():
            if time.monotonic() < self._next_try:
                time.sleep(min(timeout, self._next_try - time.monotonic()))
                return b""
            try:
                self._open()
                self.connects += 1
            except OSError as err:  # also serial.SerialException, a subclass
                self.last_error = str(err)
                self._next_try = time.monotonic() + self.retry
                return b""
        try:
            return self._read(timeout)
        except OSError as err:
            self.last_error = str(err)
            self.disconnects += 1
            self._close()
            self._next_try = time.monotonic() + self.retry
            return b""

    def close(self) -> None:
        if self.is_open():
            self._close()

    # subclasses: is_open, _open, _read, _close, describe


class SerialSource(ByteSource):
    def __init__(self, port: str, baud: int = 115200, retry: float = 1.0):
        super().__init__(retry)
        self.port, self.baud = port, baud
        self.serial = None

    def describe(self) -> str:
        return f"serial {self.port} @ {self.baud}"

    def is_open(self) -> bool:
        return self.serial is not None

    def _open(self) -> None:
        import serial

        self.serial = serial.Serial(self.port, self.baud, timeout=0)

    def _read(self, timeout: float) -> bytes:
        import select

        ready, _, _ = select.select([self.serial.fileno()], [], [], timeout)
        if not ready:
            return b""
        data = self.serial.read(4096)
        if not data:  # readable but empty: the device went away
            raise OSError(f"{self.port}: device disconnected")
        return data

    def _close(self) -> None:
        try:
            self.serial.close()
        finally:
            self.serial = None


class TcpSource(ByteSource):
    def __init__(self, host: str, port: int, retry: float = 1.0):
        super().__init__(retry)
        self.host, self.port = host, port
        self.sock: socket.socket | None = None

    def describe(self) -> str:
        return f"tcp {self.host}:{self.port}"

    def is_open(self) -> bool:
        return self.sock is not None

    def _open(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), timeout=self.retry)

    def _read(self, timeout: float) -> bytes:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except TimeoutError:
            return b""
        if not data:
            raise OSError(f"{self.host}:{self.port}: connection closed")
        return data

    def _close(self) -> None:
        try:
            self.sock.close()
        finally:
            self.sock = None


class FileSource(ByteSource):
    """A log file read in chunks; `at_end` tells the end. Leading '#' comment lines (as gpsd's
    test logs have) are skipped when `strip_comments` is set."""

    def __init__(self, path: str | Path, strip_comments: bool = False, chunk: int = 4096):
        super().__init__(retry=0.0)
        self.path = Path(path)
        self.fh = open(self.path, "rb")  # noqa: SIM115 — lives as long as the source
        self.chunk = chunk
        self.at_end = False
        if strip_comments:
            while True:
                pos = self.fh.tell()
                line = self.fh.readline()
                if not line.startswith(b"#"):
                    self.fh.seek(pos)
                    break

    def describe(self) -> str:
        return f"file {self.path}"

    def is_open(self) -> bool:
        return not self.fh.closed

    def _open(self) -> None:
        raise OSError(f"{self.path}: closed")

    def _read(self, timeout: float) -> bytes:
        data = self.fh.read(self.chunk)
        self.at_end = not data
        return data

    def _close(self) -> None:
        self.fh.close()
