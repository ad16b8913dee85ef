"""ROS 2 nodes: thin rclpy shells around the pure core and sensor code (rclpy is imported only here).

A node process runs the filter steps as plain Python unless SPRINT_FUSION_KERNELS says otherwise
(core/jit.py): live, rclpy's cost per message dwarfs the filters', and a node is ready at once.
"""

from ..core import jit as _jit

_jit.prefer("python")
