"""The first schema: athletes, imports, sessions, sprint trials, GPS session load, VBT sets and reps.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from sprint_fusion.monitoring.schema import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("athletes", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(200), nullable=False, unique=True))
    op.create_table("imports", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("kind", sa.String(20), nullable=False),
                    sa.Column("source", sa.String(500), nullable=False),
                    sa.Column("sha256", sa.String(64), nullable=False),
                    sa.Column("imported_at", UtcDateTime(), nullable=False),
                    sa.Column("sessions", sa.Integer, nullable=False), sa.UniqueConstraint("kind", "sha256"))
    op.create_table("sessions", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("athlete_id", sa.Integer, sa.ForeignKey("athletes.id"), nullable=False),
                    sa.Column("kind", sa.String(20), nullable=False),
                    sa.Column("started_at", UtcDateTime(), nullable=False),
                    sa.Column("day", sa.Date, nullable=False), sa.Column("day_order", sa.Integer, nullable=False),
                    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
                    sa.UniqueConstraint("athlete_id", "kind", "started_at"))
    op.create_table("sprint_trials", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id"), nullable=False),
                    sa.Column("trial", sa.Integer, nullable=False), sa.Column("filter", sa.String(8), nullable=False),
                    sa.Column("onset", UtcDateTime(), nullable=False),
                    sa.Column("verdict", sa.String(40), nullable=False),
                    *(sa.Column(name, sa.Float) for name in ("distance", "top_speed", "t_10m", "t_20m", "t_30m",
                                                              "t_40m", "mss", "tau", "pmax", "f0", "v0")),
                    sa.UniqueConstraint("session_id", "trial", "filter"))
    op.create_table("gps_loads", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id"), nullable=False, unique=True),
                    *(sa.Column(name, sa.Float, nullable=False) for name in (
                        "duration", "total_distance", "hsr_distance", "sprint_distance")),
                    *(sa.Column(name, sa.Integer, nullable=False) for name in (
                        "sprint_count", "accelerations", "decelerations")),
                    *(sa.Column(name, sa.Float, nullable=False) for name in (
                        "top_speed", "hsr_threshold", "sprint_threshold")))
    op.create_table("vbt_sets", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.id"), nullable=False),
                    sa.Column("set_number", sa.Integer, nullable=False),
                    sa.Column("exercise", sa.String(100), nullable=False),
                    sa.Column("load_kg", sa.Float, nullable=False), sa.UniqueConstraint("session_id", "set_number"))
    op.create_table("vbt_reps", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("set_id", sa.Integer, sa.ForeignKey("vbt_sets.id"), nullable=False),
                    sa.Column("rep", sa.Integer, nullable=False),
                    sa.Column("recorded_at", UtcDateTime(), nullable=False),
                    sa.Column("mean_velocity", sa.Float, nullable=False),
                    *(sa.Column(name, sa.Float) for name in ("peak_velocity", "mean_power", "peak_power")),
                    sa.UniqueConstraint("set_id", "rep"))


def downgrade() -> None:
    for table in ("vbt_reps", "vbt_sets", "gps_loads", "sprint_trials", "sessions", "imports", "athletes"):
        op.drop_table(table)
