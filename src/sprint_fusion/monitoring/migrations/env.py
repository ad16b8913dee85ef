"""Alembic environment: migrations run on the connection the store hands over (no alembic.ini)."""

from alembic import context

from sprint_fusion.monitoring.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
