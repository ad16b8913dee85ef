"""Sprint diagnostics from a fused velocity trace: trials, splits, the mono-exponential
acceleration profile, the force–velocity profile, a quality verdict, reports. No rclpy."""
