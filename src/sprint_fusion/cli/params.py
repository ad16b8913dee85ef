"""The parameter tables: effective values, or the Markdown tables the docs hold."""

from __future__ import annotations

from ..core.params import markdown_table
from ..sensors.driver_params import GNSS_DRIVER_PARAMS, IMU_DRIVER_PARAMS
from .common import filter_params, with_filters


def cmd_params(args) -> int:
    if args.markdown:
        from ..core.params import FILTER_PARAMS
        from ..sprint.params import SPRINT_PARAMS

        tables = {"filters": FILTER_PARAMS, "gnss_driver": GNSS_DRIVER_PARAMS, "imu_driver": IMU_DRIVER_PARAMS,
                  "sprint_analyzer": SPRINT_PARAMS}
        print(markdown_table(tables[args.table]))
    else:
        for name, value in filter_params(args).items():
            print(f"{name}: {value}")
    return 0



def add_parsers(sub) -> None:
    params = with_filters(sub.add_parser("params", help="print the effective filter parameters"))
    params.add_argument("--markdown", action="store_true", help="the README table of every parameter")
    params.add_argument("--table", choices=("filters", "gnss_driver", "imu_driver", "sprint_analyzer"),
                        default="filters",
                        help="with --markdown: which parameter table")
    params.set_defaults(func=cmd_params)
