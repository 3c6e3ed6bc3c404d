from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask import Flask
from sqlalchemy import Engine, insert, inspect, select, text

import xapi
from plugin.db import make_engine
from plugin.launch.repository import aware
from plugin.migrate import alembic_config, current_revision, head_revision, upgrade
from plugin.models import Base, Course, CourseActivity, User
from plugin.models.content import ContentLaunch, ContentPackage
from tests.conftest import FreshDatabases
from xapi.models import Statement
from xapi.prepare import to_micros


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


def test_0012_gives_stored_cmi5_packages_the_lms_ids_and_keeps_them_going_down(databases: FreshDatabases) -> None:
    """0012: a cmi5 package stored before it gets the LMS's own ids for its AUs and course (cmi5 §8.1.5, §9.4),
    offered in the mapping catalog beside the publisher's; an open session gets its AU's last statement time.
    Going down removes the new table and columns but not the ids, and coming back up keeps them."""
    engine = make_engine(databases.new())
    upgrade(engine, "0011")
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    items = [{"iri": f"https://example.test/au/{n}", "title": f"AU {n}", "url": "index.html", "move_on": "Passed"}
             for n in (1, 2)]
    tincan = {"items": [{"iri": "https://example.test/tc", "title": "Tin Can", "url": "index.html", "type": None}]}
    publisher = {"https://example.test/course": "Course", "https://example.test/au/1": "AU 1",
                 "https://example.test/au/2": "AU 2", "https://example.test/tc": "Tin Can"}
    registration = "00000000-0000-4000-8000-000000000001"
    with engine.begin() as connection:
        connection.execute(insert(Course.__table__).values(id=1, issuer="https://moodle.test", context_id="2",
                                                           ags_scopes=[], updated_at=at))
        connection.execute(insert(User.__table__).values(id=1, issuer="https://moodle.test", subject="3",
                                                         xapi_actor={}, created_at=at))
        connection.execute(insert(ContentPackage.__table__), [
            {"id": 1, "course_id": 1, "kind": "cmi5", "title": "Course", "activity_iri": "https://example.test/course",
             "prefix": "", "manifest": {"items": items}, "file_name": "c.zip", "size": 1, "created_at": at},
            {"id": 2, "course_id": 1, "kind": "tincan", "title": "Tin Can", "activity_iri": "https://example.test/tc",
             "prefix": "", "manifest": tincan, "file_name": "t.zip", "size": 1, "created_at": at}])
        connection.execute(insert(CourseActivity.__table__), [
            {"course_id": 1, "iri": iri, "module": "package", "name": name, "source": "package", "updated_at": at}
            for iri, name in publisher.items()])
        connection.execute(insert(ContentLaunch.__table__), [
            {"id": n, "package_id": 1, "user_id": 1, "activity_iri": "https://example.test/au/1",
             "registration": registration, "session_id": f"00000000-0000-4000-8000-00000000001{n}",
             "credential_key": f"k{n}", "terminated": n == 2, "created_at": at, "expires_at": at} for n in (1, 2)])
        connection.execute(insert(Statement.__table__), [
            {"statement_id": f"00000000-0000-4000-8000-00000000002{n}", "stored_us": to_micros(at) + seconds * 10**6,
             "verb_iri": "http://adlnet.gov/expapi/verbs/experienced", "registration": registration,
             "credential_key": key, "raw": "{}"} for n, (key, seconds) in enumerate([("k1", 30), ("k1", 90),
                                                                                      ("k2", 120)])])

    def stored() -> tuple[dict[int, Any], dict[str, str]]:
        with engine.connect() as connection:
            manifests = dict(connection.execute(select(ContentPackage.id, ContentPackage.manifest)).all())
            catalog = dict(connection.execute(select(CourseActivity.iri, CourseActivity.name)).all())
        return manifests, catalog

    upgrade(engine)
    manifests, catalog = stored()
    cmi5 = manifests[1]
    lms_ids = {cmi5["course"]["activity_id"]: "Course"} | {item["activity_id"]: item["title"] for item in cmi5["items"]}
    assert cmi5["course"]["iri"] == "https://example.test/course"
    assert [{k: v for k, v in item.items() if k != "activity_id"} for item in cmi5["items"]] == items
    assert len(lms_ids) == 3 and all(i.startswith("urn:uuid:") for i in lms_ids)
    assert manifests[2] == tincan and catalog == publisher | lms_ids
    with engine.connect() as connection:
        last = dict(connection.execute(select(ContentLaunch.id, ContentLaunch.last_statement_at)).all())
    assert {n: when and aware(when) for n, when in last.items()} == {1: at + timedelta(seconds=90), 2: None}
    _downgrade(engine, "0011")
    assert "content_satisfactions" not in inspect(engine).get_table_names()
    assert {"last_statement_at", "abandoned_at"}.isdisjoint(c["name"] for c in inspect(engine).get_columns(
        "content_launches"))
    assert stored() == (manifests, catalog)
    upgrade(engine)
    assert stored() == (manifests, catalog)
    engine.dispose()


def test_0013_marks_removed_packages_and_going_down_keeps_their_launches(databases: FreshDatabases) -> None:
    """0013 adds ContentPackage.removed_at. Going down must not copy content_packages (SQLite's batch mode):
    with foreign keys on, dropping the old copy would delete every launch row with it."""
    engine = make_engine(databases.new())
    upgrade(engine, "0012")
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(insert(Course.__table__).values(id=1, issuer="https://moodle.test", context_id="2",
                                                           ags_scopes=[], updated_at=at))
        connection.execute(insert(User.__table__).values(id=1, issuer="https://moodle.test", subject="3",
                                                         xapi_actor={}, created_at=at))
        connection.execute(insert(ContentPackage.__table__).values(
            id=1, course_id=1, kind="tincan", title="Tin Can", activity_iri="https://example.test/tc", prefix="",
            manifest={"items": []}, file_name="t.zip", size=1, created_at=at))
        connection.execute(insert(ContentLaunch.__table__).values(
            id=1, package_id=1, user_id=1, activity_iri="https://example.test/tc",
            registration="00000000-0000-4000-8000-000000000001", session_id="00000000-0000-4000-8000-000000000011",
            created_at=at, expires_at=at))
    upgrade(engine)
    assert "removed_at" in {c["name"] for c in inspect(engine).get_columns("content_packages")}
    _downgrade(engine, "0012")
    assert "removed_at" not in {c["name"] for c in inspect(engine).get_columns("content_packages")}
    with engine.connect() as connection:
        assert connection.execute(select(ContentLaunch.id)).scalars().all() == [1]
    engine.dispose()
