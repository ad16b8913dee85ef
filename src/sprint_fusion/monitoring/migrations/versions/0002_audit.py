"""An audit row for every change made to stored data by hand (rename, merge, reassign, delete).

Revision ID: 0002
"""

import sqlalchemy as sa
from alembic import op

from sprint_fusion.monitoring.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("at", UtcDateTime(), nullable=False),
                    sa.Column("action", sa.String(40), nullable=False),
                    sa.Column("detail", sa.String(1000), nullable=False))


def downgrade() -> None:
    op.drop_table("audit")
