"""Wellness (RPE, session RPE, HRV, sleep, soreness) per athlete and day, and an incident log.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("wellness", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("athlete_id", sa.Integer, sa.ForeignKey("athletes.id"), nullable=False),
                    sa.Column("day", sa.Date, nullable=False),
                    *(sa.Column(name, sa.Float) for name in ("rpe", "session_minutes", "rmssd", "sleep_hours",
                                                             "soreness")),
                    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False),
                    sa.UniqueConstraint("athlete_id", "day"))
    op.create_table("incidents", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("athlete_id", sa.Integer, sa.ForeignKey("athletes.id"), nullable=False),
                    sa.Column("day", sa.Date, nullable=False),
                    sa.Column("kind", sa.String(40), nullable=False),
                    sa.Column("description", sa.String(1000), nullable=False),
                    sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=False))


def downgrade() -> None:
    op.drop_table("incidents")
    op.drop_table("wellness")
