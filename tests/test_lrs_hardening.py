# ruff: noqa: F811 - the `lrs` fixture is imported from tests.lrs_support and used as a parameter
"""LRS hardening (issue 18): voiding under a launch credential, CORS, and input xAPI says must be accepted."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

import xapi
from plugin.clock import utcnow
from tests.lrs_support import headers, lrs, statement  # noqa: F401 - fixture

Lrs = tuple[FlaskClient, dict[str, str]]
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
REGISTRATION = str(uuid.uuid4())


def _agent(name: str) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": "https://moodle.test", "name": name}}


def _launch(app: Flask, agent: dict[str, Any], registration: str = REGISTRATION) -> dict[str, str]:
    """A content package's credential, as plugin/content issues one for a launch."""
    now = utcnow()
    with app.extensions["samattha.sessionmaker"]() as session:
        key, secret = xapi.create_launch_credential(session, name="au", agent=agent, registration=registration,
                                                    expires_at=now + timedelta(hours=1), now=now)
        session.commit()
    return headers(key, secret)


def _void(actor: dict[str, Any], target: str, registration: str = REGISTRATION) -> dict[str, Any]:
    return {"actor": actor, "verb": {"id": VOIDED}, "object": {"objectType": "StatementRef", "id": target},
            "context": {"registration": registration}}


def _by(actor: dict[str, Any], registration: str = REGISTRATION) -> dict[str, Any]:
    return statement(1, actor=actor, context={"registration": registration})


def _ids(client: FlaskClient, hdrs: dict[str, str]) -> list[str]:
    response = client.get("/xapi/statements", headers=hdrs)
    assert response.status_code == 200
    return sorted(s["id"] for s in response.get_json()["statements"])


# Item 2 --------------------------------------------------------------------------------------------------------

def test_a_launch_credential_cannot_void_another_learners_statement(app: Flask, lrs: Lrs) -> None:
    client, full = lrs
    one, two = _agent("1"), _agent("2")
    theirs = client.post("/xapi/statements", json=_by(two), headers=full).get_json()[0]
    other_registration = str(uuid.uuid4())
    elsewhere = client.post("/xapi/statements", json=_by(one, other_registration), headers=full).get_json()[0]
    before = _ids(client, full)
    learner = _launch(app, one)
    for target in (theirs, elsewhere, str(uuid.uuid4())):
        refused = client.post("/xapi/statements", json=_void(one, target), headers=learner)
        assert refused.status_code == 403, refused.get_data(as_text=True)
        assert refused.get_json()["message"] == (
            "object.id: this credential may only void statements of its own agent in its own registration")
    batch = client.post("/xapi/statements", json=[_by(one), _void(one, theirs)], headers=learner)
    assert (batch.status_code, batch.get_json()["message"].split(":")[0]) == (403, "[1].object.id")
    put = client.put("/xapi/statements", query_string={"statementId": str(uuid.uuid4())},
                     json=_void(one, theirs), headers=learner)
    assert put.status_code == 403
    assert _ids(client, full) == before  # nothing stored, nothing voided


def test_a_launch_credential_voids_its_own_statements(app: Flask, lrs: Lrs) -> None:
    client, full = lrs
    one = _agent("1")
    learner = _launch(app, one)
    mine = client.post("/xapi/statements", json=_by(one), headers=learner).get_json()[0]
    assert client.post("/xapi/statements", json=_void(one, mine), headers=learner).status_code == 200
    assert mine not in _ids(client, full)
    # A target in the same batch is the credential's own: check_binding has passed it.
    fresh = str(uuid.uuid4())
    pair = [{**_by(one), "id": fresh}, _void(one, fresh)]
    assert client.post("/xapi/statements", json=pair, headers=learner).status_code == 200
    assert fresh not in _ids(client, full)


def test_an_unbound_credential_still_voids_any_statement(app: Flask, lrs: Lrs) -> None:
    client, full = lrs
    theirs = client.post("/xapi/statements", json=_by(_agent("2")), headers=full).get_json()[0]
    assert client.post("/xapi/statements", json=_void(_agent("9"), theirs), headers=full).status_code == 200
    assert theirs not in _ids(client, full)


# Item 4 --------------------------------------------------------------------------------------------------------

XAPI_REQUEST_HEADERS = ("Authorization", "X-Experience-API-Version", "Content-Type", "If-Match", "If-None-Match")


def _assert_cors(response: Any) -> None:
    """Any origin, never with the browser's own credentials (no Allow-Credentials, so no echoed Origin)."""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    exposed = {name.strip().lower() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "last-modified", "x-experience-api-version", "x-experience-api-consistent-through"} <= exposed


def test_cors_preflight_allows_the_xapi_headers_from_any_origin_without_credentials(lrs: Lrs) -> None:
    client, _ = lrs
    for resource, method in (("statements", "PUT"), ("activities/state", "DELETE"), ("agents/profile", "POST")):
        preflight = client.options(f"/xapi/{resource}", headers={
            "Origin": "https://content.example", "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": ",".join(h.lower() for h in XAPI_REQUEST_HEADERS)})
        assert preflight.status_code == 200
        _assert_cors(preflight)
        allowed = {name.strip().lower() for name in preflight.headers["Access-Control-Allow-Headers"].split(",")}
        assert {h.lower() for h in XAPI_REQUEST_HEADERS} <= allowed
        assert method in {m.strip() for m in preflight.headers["Access-Control-Allow-Methods"].split(",")}


def test_cors_headers_on_real_requests_and_errors(lrs: Lrs) -> None:
    client, hdrs = lrs
    origin = {"Origin": "https://evil.example"}
    posted = client.post("/xapi/statements", json=statement(1), headers={**hdrs, **origin})
    assert posted.status_code == 200
    _assert_cors(posted)
    got = client.get("/xapi/statements", headers={**hdrs, **origin})
    assert got.status_code == 200
    _assert_cors(got)
    refused = client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3", **origin})
    assert refused.status_code == 401
    _assert_cors(refused)


# Item 5 --------------------------------------------------------------------------------------------------------

def test_every_1_0_x_version_header_is_accepted_and_answered_as_1_0_3(lrs: Lrs) -> None:
    """xAPI 1.0.3 Part Three §3.3: reject only versions before 1.0.0 or from 1.1.0 on."""
    client, hdrs = lrs
    for version in ("1.0.4", "1.0.9", "1.0.12"):
        sent = {**hdrs, "X-Experience-API-Version": version}
        posted = client.post("/xapi/statements", json=statement(2), headers=sent)
        assert posted.status_code == 200, posted.get_data(as_text=True)
        assert posted.headers["X-Experience-API-Version"] == "1.0.3"
        got = client.get("/xapi/statements", query_string={"statementId": posted.get_json()[0]}, headers=sent)
        assert (got.status_code, got.headers["X-Experience-API-Version"]) == (200, "1.0.3")
        assert got.get_json()["version"] == "1.0.0"  # §2.4.10: what a 1.0.x statement without one carries
    two = client.get("/xapi/statements", headers={**hdrs, "X-Experience-API-Version": "2.0.0"})
    assert (two.status_code, two.headers["X-Experience-API-Version"]) == (200, "2.0.0")
    for refused in ("1.1.0", "0.95", "2.0.1"):
        response = client.get("/xapi/statements", headers={**hdrs, "X-Experience-API-Version": refused})
        assert response.status_code == 400
        assert response.get_json()["message"].startswith("X-Experience-API-Version: ")
