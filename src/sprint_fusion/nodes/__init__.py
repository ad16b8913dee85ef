"""ROS 2 nodes: thin rclpy shells around the pure core and sensor code (rclpy is imported only here).

A node process runs the filter steps compiled when numba's cache holds them for this version,
else as plain Python while the cache is filled in the background for the next start, unless
SPRINT_FUSION_KERNELS says otherwise (core/jit.py): a node is ready at once either way.
"""

from ..core import jit as _jit

_jit.prefer("cached")
