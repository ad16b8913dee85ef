"""ament_python package with a src layout; also a plain pip package (ROS wheels as an extra)."""

from glob import glob
from pathlib import Path

from setuptools import find_packages, setup

PACKAGE = "sprint_fusion"

# Console scripts: the CLI for everyone, and one executable per node, which
# setup.cfg installs into lib/sprint_fusion so that `ros2 run sprint_fusion <node>` finds them.
CONSOLE_SCRIPTS = [
    "sprint-fusion = sprint_fusion.cli:main",
    "gnss_driver = sprint_fusion.nodes.gnss_driver:main",
    "imu_driver = sprint_fusion.nodes.imu_driver:main",
    "yaw_bias_estimator = sprint_fusion.nodes.yaw_bias_estimator:main",
    "axis_filter = sprint_fusion.nodes.axis_filter:main",
    "horizontal_velocity_fuser = sprint_fusion.nodes.horizontal_velocity_fuser:main",
    "kf2_filter = sprint_fusion.nodes.kf2_filter:main",
    "sprint_analyzer = sprint_fusion.nodes.sprint_analyzer:main",
    "graph = sprint_fusion.nodes.runner:main",  # every node above in one process (the launch default)
]

setup(
    name=PACKAGE,
    version="0.1.0",
    description="RTK-GNSS + IMU sprint diagnostics: the published KF2/KF5 filters as ROS 2 nodes",
    license="BSD-3-Clause",
    python_requires=">=3.10",
    package_dir={"": "src"},
    packages=find_packages("src"),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + PACKAGE]),
        ("share/" + PACKAGE, ["package.xml"]),
        ("share/" + PACKAGE + "/launch", glob("launch/*.py")),
        ("share/" + PACKAGE + "/config/filters", glob("config/filters/*.yaml")),
        ("share/" + PACKAGE + "/config/scenarios", glob("config/scenarios/*.yaml")),
        ("share/" + PACKAGE + "/config/sensors", glob("config/sensors/*.yaml")),
        ("share/" + PACKAGE + "/config/sprint", glob("config/sprint/*.yaml")),
        ("share/" + PACKAGE + "/config/vbt", glob("config/vbt/*.yaml")),
        ("share/" + PACKAGE + "/config", ["config/monitoring.yaml"]),
        ("share/" + PACKAGE + "/bags", glob("bags/*.ubx")),
        *[("share/" + PACKAGE + "/bags/" + bag.name, sorted(str(f) for f in bag.iterdir()))
          for bag in sorted(Path("bags").iterdir()) if bag.is_dir()],
    ],
    install_requires=[
        "numpy>=1.24",
        "scipy>=1.10",
        "transforms3d>=0.4",
        "pyubx2>=1.2",
        "pyyaml>=6",
        "pymap3d>=3",
        "rosbags>=0.10",
        "mcap>=1.1",  # crash-safe recording, salvage of damaged files
        "matplotlib>=3.5",  # the sprint report's plots
        "tqdm>=4",
        "orjson>=3.9",  # replay's CSV: shortest round-trip float digits, 7× Python's repr
        "isal>=1.6",  # replay's MCAP chunk CRCs: ISA-L's CRC-32, ~6× zlib's (zlib's where it is missing)
        "pynmeagps>=1.0",
        "pyserial>=3.5",
        # The per-sample filter steps compiled (core/jit.py); without it they run as plain Python.
        "numba>=0.58",
    ],
    extras_require={
        # ROS 2 Kilted from PyPI wheels, for machines without a ROS install. Left out of the
        # core requirements so a sourced ROS install is never shadowed.
        "ros": [
            "ros-rclpy[fastrtps]",
            "ros-std-msgs",
            "ros-sensor-msgs",
            "ros-geometry-msgs",
            "ros-nav-msgs",
            "ros-diagnostic-msgs",
            "ros-rosgraph-msgs",
        ],
        # The athlete store (sprint_fusion.monitoring, `sprint-fusion athletes`): SQLite by default,
        # PostgreSQL by URL with the postgres extra. Nothing of the fusion needs it.
        "athletes": ["sqlalchemy>=2.0", "alembic>=1.12"],
        "postgres": ["sqlalchemy>=2.0", "alembic>=1.12", "psycopg[binary]>=3.1"],
        # `sprint-fusion batch`: many bags on a Dask cluster (local or a lab's)
        "batch": ["dask[distributed]>=2024.1"],
        # Test tools, plus colcon and ament_package to check the ROS 2 workspace build.
        "test": ["pytest>=7", "filterpy>=1.4.5", "ruff>=0.6", "colcon-common-extensions", "ros-ament-package",
                 "hypothesis>=6"],
    },
    zip_safe=False,  # numba caches compiled code next to the sources
    entry_points={"console_scripts": CONSOLE_SCRIPTS},
)
