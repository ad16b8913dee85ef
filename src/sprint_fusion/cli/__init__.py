"""The `sprint-fusion` command: one module per command group (offline, athletes, convert, live,
params); each adds its sub-commands and imports what a command needs only when it runs."""

from __future__ import annotations

import argparse
import sys

from ..core.params import ParameterError
from . import athletes, batch, convert, live, offline, params, profile


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sprint-fusion", description="RTK-GNSS + IMU sprint diagnostics: the "
                                     "published KF2/KF5 filters offline from bags, live as a ROS 2 graph, and an "
                                     "athlete store beside them.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (offline, batch, profile, athletes, convert, params, live):
        group.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ParameterError, ValueError, OSError, RuntimeError) as err:
        print(f"sprint-fusion: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
