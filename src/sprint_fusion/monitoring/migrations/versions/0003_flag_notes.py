"""A coach's note on a flag: who, when, what was decided (the human in the loop).

Revision ID: 0003
"""

import sqlalchemy as sa
from alembic import op

from sprint_fusion.monitoring.schema import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("flag_notes", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("athlete_id", sa.Integer, sa.ForeignKey("athletes.id"), nullable=False),
                    sa.Column("week", sa.Date, nullable=False),
                    sa.Column("rule", sa.String(40), nullable=False),
                    sa.Column("by", sa.String(200), nullable=False),
                    sa.Column("at", UtcDateTime(), nullable=False),
                    sa.Column("decision", sa.String(2000), nullable=False))


def downgrade() -> None:
    op.drop_table("flag_notes")
