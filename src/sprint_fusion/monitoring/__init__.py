"""Athlete monitoring: sprint trials, GPS session load and velocity-based-training data in one
store (SQLite by default, PostgreSQL by URL), per athlete over time, with flags that show why."""
