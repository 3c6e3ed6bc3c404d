"""The instance folder holds secrets (issue 18 item 3): the SQLite database with the tool's private signing key
and the Moodle Web Services token, its journals, uploads and packages. Started under umask 022, Samattha still
keeps every file 0600 and every folder 0700, and tightens what an earlier start left readable."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import lti
import xapi
from plugin.app import create_app
from plugin.clock import utcnow
from plugin.config import load_config
from plugin.content.samples import zip_sample
from plugin.launch.access import CSRF_KEY, USER_KEY
from plugin.migrate import upgrade
from plugin.models import Base, Course, Enrolment, SigningKey, User
from tests.conftest import TEST_DATABASE_URL
from tests.lrs_support import headers, issue, statement

ISSUER = "http://moodle.test"


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask a shell or service manager commonly gives; the test's own is restored afterwards."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _app(instance: Path, database_url: str | None) -> Flask:
    overrides = {"database_url": database_url} if database_url else {}
    app = create_app(load_config(env={}, instance_path=instance, base_url="http://tool.test", testing=True,
                                 **overrides))
    upgrade(app.extensions["samattha.engine"])
    return app


def _empty(app: Flask) -> None:
    engine = app.extensions["samattha.engine"]
    with engine.begin() as connection:
        for metadata in (xapi.metadata, Base.metadata):
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())
    engine.dispose()


def _coordinator(app: Flask, client: FlaskClient) -> int:
    now = utcnow()
    with app.extensions["samattha.sessionmaker"]() as db:
        course = Course(issuer=ISSUER, context_id="2", title="Course", updated_at=now)
        teacher = User(issuer=ISSUER, subject="4", created_at=now)
        db.add_all([course, teacher])
        db.flush()
        db.add(Enrolment(course_id=course.id, user_id=teacher.id, roles=[lti.ROLE_INSTRUCTOR], source="launch",
                         updated_at=now))
        db.commit()
        course_pk, teacher_pk = course.id, teacher.id
    with client.session_transaction() as flask_session:
        flask_session[USER_KEY] = teacher_pk
        flask_session[CSRF_KEY] = "t"
    return course_pk


def _use(app: Flask, tmp_path: Path) -> None:
    """Write to the database and the instance the ways a running Samattha does."""
    client = app.test_client()
    assert client.get("/.well-known/jwks.json").status_code == 200  # makes the private signing key
    with app.extensions["samattha.sessionmaker"]() as db:
        assert db.scalars(select(SigningKey)).first() is not None
    stored = client.post("/xapi/statements", json=[statement(1)], headers=headers(*issue(app, "all")))
    assert stored.status_code == 200, stored.get_data(as_text=True)  # the LRS's -writer lock, the WAL
    course_pk = _coordinator(app, client)
    package = zip_sample("dg-opsr-023-ds601", tmp_path / "ds601.zip").read_bytes()
    added = client.post(f"/course/{course_pk}/content",
                        data={"csrf": "t", "package": (io.BytesIO(package), "ds601.zip")})
    assert added.status_code == 303, added.get_data(as_text=True)
    backup = client.post(f"/course/{course_pk}/mapping/backup",
                         data={"csrf": "t", "backup": (io.BytesIO(b"not a backup"), "course.mbz")})
    assert backup.status_code < 500


def _loose(root: Path) -> list[str]:
    """Everything under ``root`` (and itself) that group or others may read, write or enter."""
    found = []
    for entry in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(entry.lstat().st_mode)
        wanted = 0o700 if entry.is_dir() else 0o600
        if mode & 0o077 or (entry.is_file() and mode != wanted):
            found.append(f"{entry.relative_to(root.parent)} {mode:o}")
    return found


def test_a_fresh_instance_keeps_everything_to_its_owner(loose_umask: None, tmp_path: Path, database_url: str) -> None:
    instance = tmp_path / "fresh" / "instance"
    # On SQLite the database is the instance's own samattha.db; on PostgreSQL the instance keeps the rest.
    app = _app(instance, database_url if TEST_DATABASE_URL else None)
    try:
        _use(app, tmp_path)
        names = {p.name for p in instance.rglob("*")}
        assert {"secret_key", "packages"} <= names
        if not TEST_DATABASE_URL:
            assert {"samattha.db", "samattha.db-wal", "samattha.db-shm", "samattha.db-writer"} <= names
        assert _loose(instance) == []
    finally:
        _empty(app)


def test_what_an_earlier_start_left_readable_is_tightened(loose_umask: None, tmp_path: Path,
                                                          database_url: str) -> None:
    instance = tmp_path / "old" / "instance"
    (instance / "packages" / "1").mkdir(parents=True)
    for name in ("samattha.db", "samattha.db-wal", "samattha.db-shm", "samattha.db-journal", "packages/1/index.html",
                 "lrs-pull-0123.json"):
        (instance / name).write_bytes(b"")
    for entry in [instance, *instance.rglob("*")]:
        entry.chmod(0o755 if entry.is_dir() else 0o644)
    app = _app(instance, database_url if TEST_DATABASE_URL else None)
    try:
        assert _loose(instance) == []
    finally:
        _empty(app)


def test_a_sqlite_database_outside_the_instance_is_owner_only(loose_umask: None, tmp_path: Path) -> None:
    if TEST_DATABASE_URL:
        pytest.skip("SQLite only")
    elsewhere = tmp_path / "data"
    elsewhere.mkdir()
    database = elsewhere / "samattha.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    app = _app(tmp_path / "instance", f"sqlite:///{database}")
    try:
        _use(app, tmp_path)
        for name in ("samattha.db", "samattha.db-wal", "samattha.db-shm", "samattha.db-writer"):
            assert stat.S_IMODE((elsewhere / name).stat().st_mode) == 0o600, name
    finally:
        _empty(app)
