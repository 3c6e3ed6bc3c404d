"""Alembic environment: runs against the engine handed over by plugin.migrate."""

from __future__ import annotations

from alembic import context

import xapi
from plugin.models import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        # The app's tables and the LRS's (xapi keeps its own MetaData so it never imports plugin).
        target_metadata=[Base.metadata, xapi.metadata],
        # SQLite cannot ALTER most things; batch mode copies the table, the same script serves PostgreSQL.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
