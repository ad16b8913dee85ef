"""sprint_fusion: RTK-GNSS + IMU sprint diagnostics (Mertens et al. 2018 KF2/KF5 filters)."""

__version__ = "0.1.0"
