from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import Engine, inspect, text

import xapi
from plugin.db import make_engine
from plugin.migrate import alembic_config, current_revision, head_revision, upgrade
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


def _downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def test_0009_keeps_every_link_row_both_ways(databases: FreshDatabases) -> None:
    """0009 rebuilds the LRS link tables under new keys: rows stored before it are all there after it, and
    after going back down."""
    engine = make_engine(databases.new())
    upgrade(engine, "0008")
    agents = [{"s": f"00000000-0000-4000-8000-00000000000{n}", "i": f"mbox::mailto:l{n}@example.org", "v": "v"}
              for n in range(3)]
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO lrs_statement_agents (statement_id, ifi, direct, stored_us, verb_iri) "
                                "VALUES (:s, :i, true, 7, :v)"), agents)
        connection.execute(text("INSERT INTO lrs_statement_activities (statement_id, activity_iri, direct, stored_us) "
                                "VALUES (:s, 'http://example.org/a', false, 7)"), agents)

    def rows() -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
        with engine.connect() as connection:
            return (set(map(tuple, connection.execute(text(
                        "SELECT statement_id, ifi, direct, stored_us, verb_iri FROM lrs_statement_agents")))),
                    set(map(tuple, connection.execute(text(
                        "SELECT statement_id, activity_iri, direct, stored_us FROM lrs_statement_activities")))))

    before = rows()
    assert len(before[0]) == len(before[1]) == 3
    upgrade(engine)
    assert rows() == before
    _downgrade(engine, "0008")
    assert rows() == before
    engine.dispose()


def test_0010_activity_filter_reads_links_and_downgrade_refills_the_column(databases: FreshDatabases) -> None:
    """0010 drops lrs_statements.activity_iri: the link rows already say which activity a statement is about;
    going back down fills the column from them again."""
    engine = make_engine(databases.new())
    upgrade(engine, "0009")
    statements = [{"s": "00000000-0000-4000-8000-000000000001", "a": "http://example.org/a", "t": None},
                  {"s": "00000000-0000-4000-8000-000000000002", "a": None, "t": "00000000-0000-4000-8000-000000000001"}]
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO lrs_statements (statement_id, stored_us, verb_iri, activity_iri, target_id, is_voiding, "
            "voided, raw) VALUES (:s, 7, 'http://example.org/v', :a, :t, false, false, '{}')"), statements)
        connection.execute(text(
            "INSERT INTO lrs_statement_activities (statement_id, activity_iri, direct, stored_us) VALUES "
            "('00000000-0000-4000-8000-000000000001', 'http://example.org/a', true, 7), "
            "('00000000-0000-4000-8000-000000000002', 'http://example.org/course', false, 7)"))
    upgrade(engine)
    with engine.connect() as connection:
        columns = {c["name"] for c in inspect(connection).get_columns("lrs_statements")}
    assert "activity_iri" not in columns
    _downgrade(engine, "0009")
    with engine.connect() as connection:
        refilled = dict(connection.execute(text("SELECT statement_id, activity_iri FROM lrs_statements")).all())
    assert refilled == {"00000000-0000-4000-8000-000000000001": "http://example.org/a",
                        "00000000-0000-4000-8000-000000000002": None}
    engine.dispose()


def _partial_index_conditions(engine: Engine) -> dict[str, str | None]:
    """The registration and target indexes' WHERE conditions, as each database reports them."""
    names = ("ix_lrs_statements_registration", "ix_lrs_statements_target")
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
        else:
            rows = connection.execute(text("SELECT indexname, indexdef FROM pg_indexes "
                                           "WHERE schemaname = current_schema()"))
        found = {name: sql for name, sql in rows if name in names}
    assert sorted(found) == sorted(names)
    return {name: sql.partition(" WHERE ")[2].strip("() ") or None for name, sql in found.items()}


def test_0011_registration_and_target_indexes_hold_only_statements_that_have_one(databases: FreshDatabases) -> None:
    """Most statements have no registration and no StatementRef object: 0011 leaves them out of those two
    indexes; going back down indexes every statement again."""
    engine = make_engine(databases.new())
    upgrade(engine)
    assert _partial_index_conditions(engine) == {"ix_lrs_statements_registration": "registration IS NOT NULL",
                                                 "ix_lrs_statements_target": "target_id IS NOT NULL"}
    _downgrade(engine, "0010")
    assert _partial_index_conditions(engine) == {"ix_lrs_statements_registration": None,
                                                 "ix_lrs_statements_target": None}
    engine.dispose()
