"""Launch credentials (one agent, one registration) and the statement guard, over real HTTP."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import xapi
from plugin.clock import utcnow
from tests.lrs_support import empty_lrs, headers, issue, statement
from tests.servers import serve_app
from xapi.models import Statement

LEARNER = {"objectType": "Agent", "account": {"homePage": "https://moodle.test", "name": "42"}, "name": "Somchai"}
OTHER = {"objectType": "Agent", "account": {"homePage": "https://moodle.test", "name": "43"}}
REGISTRATION = str(uuid.uuid4())


def _by(agent: dict[str, Any], registration: str | None = REGISTRATION, **extra: Any) -> dict[str, Any]:
    context = {"registration": registration} if registration else {}
    return statement(1, actor=agent, context=context, **extra)


@pytest.fixture
def lrs_url(app: Flask) -> Iterator[str]:
    with serve_app(app) as url:
        yield url + "/xapi"
    empty_lrs(app)


def _launch(app: Flask, **overrides: Any) -> dict[str, str]:
    now = utcnow()
    arguments: dict[str, Any] = {"name": "au", "agent": LEARNER, "registration": REGISTRATION,
                                 "expires_at": now + timedelta(hours=1), "now": now, **overrides}
    with app.extensions["samattha.sessionmaker"]() as session:
        key, secret = xapi.create_launch_credential(session, **arguments)
        session.commit()
    return headers(key, secret)


def _stored(app: Flask) -> int:
    with app.extensions["samattha.sessionmaker"]() as session:
        return int(session.scalar(select(func.count()).select_from(Statement)) or 0)


def test_launch_credential_writes_only_its_agent_in_its_registration(app: Flask, lrs_url: str) -> None:
    hdrs = _launch(app)
    assert requests.post(f"{lrs_url}/statements", json=_by(LEARNER), headers=hdrs, timeout=10).status_code == 200
    refused = requests.post(f"{lrs_url}/statements", json=_by(OTHER), headers=hdrs, timeout=10)
    assert refused.status_code == 403
    assert refused.json()["message"] == "actor: this credential may only write statements for its own agent"
    for registration in (str(uuid.uuid4()), None):
        refused = requests.post(f"{lrs_url}/statements", json=_by(LEARNER, registration), headers=hdrs, timeout=10)
        assert refused.status_code == 403
        assert refused.json()["message"].startswith("context.registration: ")
    # One bad statement refuses the whole batch; PUT is bound the same way.
    batch = [_by(LEARNER), _by(OTHER)]
    refused = requests.post(f"{lrs_url}/statements", json=batch, headers=hdrs, timeout=10)
    assert (refused.status_code, refused.json()["message"].split(":")[0]) == (403, "[1].actor")
    put = requests.put(f"{lrs_url}/statements", params={"statementId": str(uuid.uuid4())}, json=_by(OTHER),
                       headers=hdrs, timeout=10)
    assert put.status_code == 403
    assert _stored(app) == 1


def test_launch_credential_reads_only_its_agent_and_registration(app: Flask, lrs_url: str) -> None:
    full = headers(*issue(app, "all"))
    others = [_by(OTHER), _by(LEARNER, str(uuid.uuid4())), _by(LEARNER, None)]
    other_ids = requests.post(f"{lrs_url}/statements", json=others, headers=full, timeout=10).json()
    # Written by another credential (the LMS), still the learner's in this registration: visible.
    mine = requests.post(f"{lrs_url}/statements", json=_by(LEARNER), headers=full, timeout=10).json()
    hdrs = _launch(app)
    found = requests.get(f"{lrs_url}/statements", headers=hdrs, timeout=10).json()["statements"]
    assert [s["id"] for s in found] == mine
    verb = requests.get(f"{lrs_url}/statements", params={"verb": _by(LEARNER)["verb"]["id"]}, headers=hdrs,
                        timeout=10).json()["statements"]
    assert [s["id"] for s in verb] == mine
    asked = requests.get(f"{lrs_url}/statements", params={"agent": json.dumps(OTHER)}, headers=hdrs, timeout=10)
    assert asked.status_code == 403
    assert asked.json()["message"].startswith("agent: ")
    single = requests.get(f"{lrs_url}/statements", params={"statementId": other_ids[0]}, headers=hdrs, timeout=10)
    assert single.status_code == 404
    own = requests.get(f"{lrs_url}/statements", params={"statementId": mine[0]}, headers=hdrs, timeout=10)
    assert own.status_code == 200


def test_launch_credential_documents_are_its_agents_only(app: Flask, lrs_url: str) -> None:
    hdrs = _launch(app)
    activity = "https://samattha.test/au/1"
    for resource, agent_param in (("activities/state", "agent"), ("agents/profile", "agent")):
        extra = {"activityId": activity, "stateId": "s"} if resource == "activities/state" else {"profileId": "p"}
        own = {agent_param: json.dumps(LEARNER), **extra}
        put = requests.put(f"{lrs_url}/{resource}", params=own, data=b"{}",
                           headers={**hdrs, "Content-Type": "application/json", "If-None-Match": "*"}, timeout=10)
        assert put.status_code == 204, put.text
        assert requests.get(f"{lrs_url}/{resource}", params=own, headers=hdrs, timeout=10).status_code == 200
        other = {**own, agent_param: json.dumps(OTHER)}
        refused = requests.get(f"{lrs_url}/{resource}", params=other, headers=hdrs, timeout=10)
        assert refused.status_code == 403
        assert refused.json()["message"].startswith("agent: ")
    profile = {"activityId": activity, "profileId": "p"}
    assert requests.get(f"{lrs_url}/activities/profile", params=profile, headers=hdrs, timeout=10).status_code == 404
    written = requests.put(f"{lrs_url}/activities/profile", params=profile, data=b"{}",
                           headers={**hdrs, "Content-Type": "application/json", "If-None-Match": "*"}, timeout=10)
    assert written.status_code == 403
    got = requests.get(f"{lrs_url}/activities", params={"activityId": activity}, headers=hdrs, timeout=10)
    assert got.status_code == 200


def test_expired_and_revoked_launch_credentials_are_refused(app: Flask, lrs_url: str) -> None:
    now = utcnow()
    expired = _launch(app, now=now - timedelta(hours=2), expires_at=now - timedelta(seconds=1))
    response = requests.get(f"{lrs_url}/statements", headers=expired, timeout=10)
    assert response.status_code == 401
    hdrs = _launch(app)
    key = hdrs["Authorization"]
    assert requests.get(f"{lrs_url}/statements", headers=hdrs, timeout=10).status_code == 200
    with app.extensions["samattha.sessionmaker"]() as session:
        bound = [c for c in xapi.list_credentials(session, now=utcnow()) if c["name"] == "au" and not c["revoked"]]
        for credential in bound:
            xapi.revoke_credential(session, credential["key"], now=utcnow())
        session.commit()
    assert requests.get(f"{lrs_url}/statements", headers={**hdrs, "Authorization": key}, timeout=10).status_code == 401


def test_launch_credential_needs_an_identified_agent_and_a_uuid(session: Session) -> None:
    now = utcnow()
    with pytest.raises(ValueError, match="agent"):
        xapi.create_launch_credential(session, name="au", agent={"name": "x"}, registration=REGISTRATION,
                                      expires_at=now, now=now)
    with pytest.raises(ValueError, match="registration"):
        xapi.create_launch_credential(session, name="au", agent=LEARNER, registration="r1", expires_at=now, now=now)


def test_installed_guard_refuses_whole_requests(app: Flask, lrs_url: str) -> None:
    seen: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []

    def guard(session: Session, credential: dict[str, Any], statements: list[dict[str, Any]]) -> None:
        seen.append((credential, statements))
        for index, stmt in enumerate(statements):
            if stmt["verb"]["id"].endswith("/completed"):
                raise xapi.StatementError(f"[{index}].verb", "completed before passed", status=403)
            if stmt["verb"]["id"].endswith("/bad"):
                raise xapi.StatementError(f"[{index}].verb", "not allowed here")

    hdrs = _launch(app)
    assert requests.post(f"{lrs_url}/statements", json=_by(LEARNER), headers=hdrs, timeout=10).status_code == 200
    app.extensions["samattha.statement_guard"] = guard
    ok = _by(LEARNER, verb={"id": "http://adlnet.gov/expapi/verbs/attempted"})
    done = _by(LEARNER, verb={"id": "http://adlnet.gov/expapi/verbs/completed"})
    refused = requests.post(f"{lrs_url}/statements", json=[ok, done], headers=hdrs, timeout=10)
    assert (refused.status_code, refused.json()["message"]) == (403, "[1].verb: completed before passed")
    bad = _by(LEARNER, verb={"id": "http://example.org/verbs/bad"})
    refused = requests.put(f"{lrs_url}/statements", params={"statementId": str(uuid.uuid4())}, json=bad,
                           headers=hdrs, timeout=10)
    assert refused.status_code == 400
    assert requests.post(f"{lrs_url}/statements", json=ok, headers=hdrs, timeout=10).status_code == 200
    assert _stored(app) == 2
    credential, statements = seen[0]
    assert credential["agent"] == LEARNER
    assert credential["registration"] == REGISTRATION
    assert set(credential["scopes"]) == set(xapi.LAUNCH_SCOPES)
    assert [s["id"] for s in statements] and all("stored" in s for s in statements)
