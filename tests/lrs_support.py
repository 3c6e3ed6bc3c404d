"""Helpers shared by the tests/test_lrs_*.py files: credentials, headers, fixture statements."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import xapi
from plugin.clock import utcnow

FIXTURES = Path(__file__).parent / "fixtures" / "moodle-logstore-xapi" / "merged"


def moodle_statements() -> list[dict[str, Any]]:
    """The 190 statements moodle-logstore_xapi sends, in file order."""
    statements: list[dict[str, Any]] = []
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        statements.extend(data if isinstance(data, list) else [data])
    return statements


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def headers(key: str, secret: str, version: str = "1.0.3") -> dict[str, str]:
    return {"Authorization": basic(key, secret), "X-Experience-API-Version": version}


def issue(app: Flask, *scopes: str, name: str = "test") -> tuple[str, str]:
    with app.extensions["samattha.sessionmaker"]() as session:
        key, secret = xapi.create_credential(session, name=name, scopes=scopes or ("all",), now=utcnow())
        session.commit()
    return key, secret


def empty_lrs(app: Flask) -> None:
    engine = app.extensions["samattha.engine"]
    with engine.begin() as connection:
        for table in reversed(xapi.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def lrs(app: Flask, client: FlaskClient) -> Iterator[tuple[FlaskClient, dict[str, str]]]:
    """A test client and full-scope headers; the LRS tables are emptied afterwards."""
    key, secret = issue(app, "all")
    yield client, headers(key, secret)
    empty_lrs(app)


def statement(n: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "actor": {"objectType": "Agent", "mbox": f"mailto:learner{n % 7}@example.org", "name": "Learner"},
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{'completed' if n % 2 else 'attempted'}"},
        "object": {"id": f"http://example.org/activity/{n % 5}", "objectType": "Activity"},
        **extra,
    }
