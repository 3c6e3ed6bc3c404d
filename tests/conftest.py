"""Shared fixtures. The database is real: SQLite by default, PostgreSQL when
``SAMATTHA_TEST_DATABASE_URL`` names one (each run gets its own schema, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import xapi
from plugin.app import create_app
from plugin.clock import utcnow
from plugin.config import load_config
from plugin.db import make_engine
from plugin.migrate import upgrade
from plugin.models import Base
from plugin.standards import catalog
from plugin.standards.sources import shipped_documents

TEST_DATABASE_URL = os.environ.get("SAMATTHA_TEST_DATABASE_URL")


class FreshDatabases:
    """Hands out empty databases (a SQLite file, or a PostgreSQL schema) and removes them at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.schemas: list[str] = []

    def new(self) -> str:
        if not TEST_DATABASE_URL:
            return f"sqlite:///{self.tmp / (uuid.uuid4().hex + '.db')}"
        schema = f"samattha_test_{uuid.uuid4().hex[:16]}"
        engine = create_engine(TEST_DATABASE_URL)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        self.schemas.append(schema)
        url = make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.schemas:
            return
        engine = create_engine(str(TEST_DATABASE_URL))
        # One transaction per schema: dropping every schema in one held a lock per table and index of all of them,
        # and at some hundred schemas PostgreSQL ran out of lock slots (max_locks_per_transaction).
        with engine.connect() as connection:
            for schema in self.schemas:
                with connection.begin():
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshDatabases]:
    fresh = FreshDatabases(tmp_path_factory.mktemp("databases"))
    yield fresh
    fresh.drop_all()


@pytest.fixture(scope="session")
def database_url(databases: FreshDatabases) -> str:
    """One migrated database for the session; tests empty it after themselves."""
    url = databases.new()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    config = load_config(
        env={}, instance_path=tmp_path / "instance", database_url=database_url, base_url="http://tool.test",
        testing=True,
    )
    application = create_app(config)
    yield application
    engine = application.extensions["samattha.engine"]
    with engine.begin() as connection:
        for metadata in (xapi.metadata, Base.metadata):
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())
    engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.extensions["samattha.sessionmaker"]() as db_session:
        yield db_session


@pytest.fixture
def standard(session: Session) -> list[dict[str, object]]:
    """The shipped standard, loaded."""
    docs = shipped_documents()
    for doc in docs:
        catalog.import_document(session, doc, now=utcnow())
    session.commit()
    return docs
