"""How fast the receiver-stream framer gets through the worst byte streams we can construct:
floods of fake headers that each claim a long frame (the case of a faulty radio link), floods of
tiny valid frames, random bytes; and `ubx2bag` end to end on a 10 MB fake-RTCM3 flood with one
real UBX log inside it. The target is ≥ 5 MB/s on every one.

    python bench/framer_throughput.py [--megabytes 10]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sprint_fusion.sensors.framing import StreamFramer, crc24q, ubx_checksum  # noqa: E402

EMPTY_UBX = b"\xb5\x62\x05\x01\x00\x00" + ubx_checksum(b"\x05\x01\x00\x00")
CASES = {
    "fake RTCM3 headers D3 03 FF (each claims 1029 B)": b"\xd3\x03\xff",
    "fake RTCM3 headers D3 03 FF 3E (a valid message type)": b"\xd3\x03\xff\x3e",
    "fake UBX headers claiming 8191 B": b"\xb5\x62\x01\x07\xff\x1f",
    "'$' only": b"$",
    "fake NMEA '$GPGGA,' without end": b"$GPGGA,",
    "valid empty UBX frames (8 B)": EMPTY_UBX,
    "valid empty RTCM3 frames (6 B)": b"\xd3\x00\x00" + crc24q(b"\xd3\x00\x00").to_bytes(3, "big"),
    "valid short NMEA sentences": b"$GPTXT,\r\n",
    "random bytes": None,
}


def framer_rate(data: bytes, chunk: int = 4096) -> float:
    framer = StreamFramer()
    start = time.perf_counter()
    for i in range(0, len(data), chunk):
        framer.feed(data[i:i + chunk])
    framer.flush()
    return len(data) / (time.perf_counter() - start) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--megabytes", type=float, default=10.0)
    size = int(ap.parse_args().megabytes * 1e6)
    framer_rate(CASES["valid empty RTCM3 frames (6 B)"] * 10)  # the CRC tables, built once per process
    print(f"| input ({size / 1e6:g} MB, fed in 4 KB reads) | MB/s |\n|---|---|")
    for name, pattern in CASES.items():
        data = os.urandom(size) if pattern is None else (pattern * (size // len(pattern) + 1))[:size]
        print(f"| {name} | {framer_rate(data):.1f} |")
    real = (ROOT.parent / "shared" / "data" / "ubx" / "ublox-zed-f9r.log").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        flood = Path(tmp) / "flood.ubx"
        half = b"\xd3\x03\xff" * (size // 6)
        flood.write_bytes(half + real + half)
        total = flood.stat().st_size
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sprint_fusion.cli", "ubx2bag", str(flood), "-o", str(Path(tmp) / "bag")],
                       check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        seconds = time.perf_counter() - start
    print(f"\n`ubx2bag` of {total / 1e6:.1f} MB (fake RTCM3 headers around a {len(real) / 1e3:.0f} KB "
          f"UBX log): {seconds:.1f} s, {total / seconds / 1e6:.1f} MB/s (process start and bag writing included)")


if __name__ == "__main__":
    main()
