"""ROS 2 nodes: thin rclpy shells around the pure core and sensor code (rclpy is imported only here)."""
