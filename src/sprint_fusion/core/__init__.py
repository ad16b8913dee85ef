"""Pure filter math: no rclpy, no I/O. Live nodes, offline replay and tests all run this code."""
