"""Pure sensor decoding: byte streams and logs in, plain samples out (no rclpy)."""
