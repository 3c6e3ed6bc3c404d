from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, text

import xapi
from plugin.db import make_engine
from plugin.migrate import current_revision, head_revision, upgrade
from plugin.models import Base
from tests.conftest import FreshDatabases


def test_migrations_build_exactly_the_models_schema(databases: FreshDatabases) -> None:
    engine = make_engine(databases.new())
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, [Base.metadata, xapi.metadata])
    engine.dispose()
    assert differences == []


def test_upgrade_twice_is_harmless(databases: FreshDatabases) -> None:
    engine = make_engine(databases.new())
    upgrade(engine)
    upgrade(engine)
    expected = {"units", "elements", "criteria", "unit_revisions", "lrs_statements", "lrs_credentials"}
    assert set(inspect(engine).get_table_names()) >= expected
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app: Flask) -> None:
    engine = app.extensions["samattha.engine"]
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
