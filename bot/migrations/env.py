"""Alembic environment: runs migrations on the engine handed over by `bot.db.migrate`."""

from __future__ import annotations

from alembic import context

from bot.db import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
