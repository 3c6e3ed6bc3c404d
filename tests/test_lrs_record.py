"""xapi.record_statements: the app's own statements (assessors' judgements) stored as a POST would store them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

import xapi
from plugin.clock import utcnow
from tests.lrs_support import empty_lrs, headers, issue, statement

AUTHORITY = {"objectType": "Agent", "name": "Samattha", "account": {"homePage": "https://samattha.test", "name": "app"}}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@pytest.fixture
def store(app: Flask, session: Session) -> Iterator[Session]:
    yield session
    session.rollback()
    empty_lrs(app)


def test_recorded_statements_are_served_like_posted_ones(app: Flask, client: FlaskClient, store: Session) -> None:
    given = str(uuid.uuid4())
    ids = xapi.record_statements(store, [statement(1), statement(2, id=given.upper())], authority=AUTHORITY,
                                 now=utcnow())
    store.commit()
    assert ids[1] == given and uuid.UUID(ids[0])
    hdrs = headers(*issue(app, "all"))
    found = client.get(f"/xapi/statements?statementId={ids[0]}", headers=hdrs).get_json()
    assert found["authority"] == AUTHORITY
    assert found["stored"] and found["version"] == "1.0.0"
    assert found["timestamp"] == found["stored"]


def test_voiding_rules_hold(app: Flask, client: FlaskClient, store: Session) -> None:
    now = utcnow()
    [target] = xapi.record_statements(store, [statement(3)], authority=AUTHORITY, now=now)
    void = statement(4, verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target})
    [voiding] = xapi.record_statements(store, [void], authority=AUTHORITY, now=now)
    store.commit()
    hdrs = headers(*issue(app, "all"))
    assert client.get(f"/xapi/statements?statementId={target}", headers=hdrs).status_code == 404
    assert client.get(f"/xapi/statements?voidedStatementId={target}", headers=hdrs).status_code == 200
    again = statement(5, verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": voiding})
    with pytest.raises(xapi.StatementError, match="object.id"):
        xapi.record_statements(store, [again], authority=AUTHORITY, now=now)


def test_invalid_and_conflicting_statements_raise(store: Session) -> None:
    with pytest.raises(xapi.StatementError) as invalid:
        xapi.record_statements(store, [statement(1), {**statement(2), "verb": {}}], authority=AUTHORITY,
                               now=utcnow())
    assert invalid.value.path == "[1].verb.id"
    given = str(uuid.uuid4())
    xapi.record_statements(store, [statement(1, id=given)], authority=AUTHORITY, now=utcnow())
    # The same statement again is accepted (not duplicated); different content under its id is not.
    assert xapi.record_statements(store, [statement(1, id=given)], authority=AUTHORITY, now=utcnow()) == [given]
    with pytest.raises(xapi.StatementError, match="different content"):
        xapi.record_statements(store, [statement(2, id=given)], authority=AUTHORITY, now=utcnow())
    with pytest.raises(xapi.StatementError, match="authority"):
        xapi.record_statements(store, [statement(1)], authority={"name": "nobody"}, now=utcnow())
