"""Sprint simulator: true motion of an athlete and the GNSS/IMU streams it causes."""
