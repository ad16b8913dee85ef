"""Where the package's config/ and bags/ are: a ROS install, a pip install or the source tree."""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = "sprint_fusion"


def share_dir() -> Path:
    """share/sprint_fusion of a colcon install, of a pip prefix, or the repository root."""
    try:
        from ament_index_python.packages import get_package_share_directory

        return Path(get_package_share_directory(PACKAGE))
    except Exception:  # not a ROS install (ImportError) or the package not in its index
        pass
    source_root = Path(__file__).resolve().parents[2]
    if (source_root / "package.xml").is_file():
        return source_root
    return Path(sys.prefix) / "share" / PACKAGE


def config_file(*parts: str) -> Path:
    return share_dir().joinpath("config", *parts)


def bag_dir() -> Path:
    return share_dir() / "bags"
