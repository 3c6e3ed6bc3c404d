# ruff: noqa: F811 - the `lrs` fixture is imported from tests.lrs_support and used as a parameter
"""LRS hardening (issue 18): voiding under a launch credential, CORS, and input xAPI says must be accepted."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

import xapi
from plugin.clock import utcnow
from tests.lrs_support import headers, lrs, statement  # noqa: F401 - fixture
from xapi.models import Document, Statement

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


LONE = "\\ud800"  # JSON text for one half of a surrogate pair: valid JSON, not Unicode text


def _lone_in(template: str) -> bytes:
    return template.replace("LONE", LONE).encode()


def test_a_lone_surrogate_in_a_statement_is_a_400_naming_its_path(lrs: Lrs) -> None:
    client, hdrs = lrs
    base = statement(1)
    cases: dict[str, Any] = {
        "actor.name": {**base, "actor": {**base["actor"], "name": "LONE"}},
        "verb.display.en-US": {**base, "verb": {**base["verb"], "display": {"en-US": "a LONE"}}},
        "object.id": {**base, "object": {"id": "http://x.org/LONE"}},
        "[1].context.extensions.http://x.org/e[0]": [base, {**base, "context": {"extensions": {"http://x.org/e": [
            "LONE"]}}}],
        "result.extensions.http://x.org/LONE": {**base, "result": {"extensions": {"http://x.org/LONE": 1}}},
    }
    for path, sent in cases.items():
        response = client.post("/xapi/statements", data=_lone_in(json.dumps(sent)), headers=hdrs,
                                content_type="application/json")
        assert response.status_code == 400, (path, response.get_data(as_text=True))
        assert response.get_json()["message"].startswith(f"{path.replace('LONE', LONE)}: "), response.get_json()
    assert client.get("/xapi/statements", headers=hdrs).get_json()["statements"] == []


def test_a_lone_surrogate_in_an_agent_parameter_is_a_400(lrs: Lrs) -> None:
    client, hdrs = lrs
    agent = '{"mbox":"mailto:a@example.org","name":"LONE"}'.replace("LONE", LONE)
    for resource, extra in (("agents", {}), ("statements", {}), ("agents/profile", {"profileId": "p"}),
                            ("activities/state", {"activityId": "http://x.org/a", "stateId": "s"})):
        response = client.get(f"/xapi/{resource}", query_string={"agent": agent, **extra}, headers=hdrs)
        assert response.status_code == 400, (resource, response.get_data(as_text=True))
        assert response.get_json()["message"].startswith("agent.name: ")
    # A ``more`` token is JSON a client can edit too.
    state = {"agent": "\ud800", "verb": None, "activity": None, "registration": None, "credential_key": None,
             "related_agents": False, "related_activities": False, "ascending": False, "attachments": False,
             "since_us": None, "until_us": None, "limit": 0, "format": "exact", "cursor": [0, ""]}
    token = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
    response = client.get("/xapi/statements", query_string={"more": token}, headers=hdrs)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("more: ")


def test_a_lone_surrogate_never_reaches_a_state_document_merge(lrs: Lrs) -> None:
    client, hdrs = lrs
    url = "/xapi/activities/state"
    where = {"activityId": "http://x.org/a", "agent": json.dumps({"mbox": "mailto:a@example.org"}), "stateId": "s"}
    assert client.post(url, query_string=where, json={"a": 1}, headers=hdrs).status_code == 204
    refused = client.post(url, query_string=where, data=_lone_in('{"b":{"c":"LONE"}}'), headers=hdrs,
                          content_type="application/json")
    assert refused.status_code == 400
    assert refused.get_json()["message"].startswith("body.b.c: ")
    assert client.get(url, query_string=where, headers=hdrs).get_json() == {"a": 1}
    # A document PUT is stored as sent, whatever it holds; merging into it keeps its text escaped.
    put = client.put(url, query_string=where, data=_lone_in('{"old":"LONE"}'), headers=hdrs,
                     content_type="application/json")
    assert put.status_code == 204
    merged = client.post(url, query_string=where, json={"new": "ก"}, headers=hdrs)
    assert merged.status_code == 204, merged.get_data(as_text=True)
    assert client.get(url, query_string=where, headers=hdrs).get_data() == '{"old":"\\ud800","new":"ก"}'.encode()


def test_a_leap_second_timestamp_is_accepted_and_kept_as_sent(app: Flask, lrs: Lrs) -> None:
    """RFC 3339 §5.7 / ISO 8601: 23:59:60 UTC is a real second (2016-12-31 had one)."""
    client, hdrs = lrs
    for version, sent, utc in (
        ("1.0.3", "2016-12-31T23:59:60Z", "2016-12-31T23:59:60Z"),
        ("2.0.0", "2016-12-31T23:59:60.5Z", "2016-12-31T23:59:60.500000Z"),
        ("2.0.0", "2017-01-01T05:29:60.25+05:30", "2016-12-31T23:59:60.250000Z"),
    ):
        sent_headers = {**hdrs, "X-Experience-API-Version": version}
        posted = client.post("/xapi/statements", json=statement(3, timestamp=sent), headers=sent_headers)
        assert posted.status_code == 200, posted.get_data(as_text=True)
        statement_id = posted.get_json()[0]
        exact = client.get("/xapi/statements", query_string={"statementId": statement_id}, headers=sent_headers)
        assert exact.get_json()["timestamp"] == sent
        # The parsed form the app reads is in UTC under 2.0 (§4.2.7): the leap second stays second 60.
        with app.extensions["samattha.sessionmaker"]() as session:
            full = session.scalar(select(Statement.full).where(Statement.statement_id == statement_id))
        assert full is not None
        assert (full if isinstance(full, dict) else json.loads(full))["timestamp"] == utc
    # As a query bound it is the last moment of its day.
    found = client.get("/xapi/statements", query_string={"until": "2016-12-31T23:59:60Z"}, headers=hdrs)
    assert (found.status_code, found.get_json()["statements"]) == (200, [])
    refused = client.post("/xapi/statements", json=statement(3, timestamp="2016-12-31T12:00:60Z"), headers=hdrs)
    assert refused.status_code == 400
    assert refused.get_json()["message"].startswith("timestamp: ")


def test_a_list_of_document_ids_carries_last_modified(app: Flask, lrs: Lrs) -> None:
    client, hdrs = lrs
    agent = json.dumps({"mbox": "mailto:a@example.org"})
    lists = {"activities/state": ({"activityId": "http://x.org/a", "agent": agent}, "stateId"),
             "activities/profile": ({"activityId": "http://x.org/a"}, "profileId"),
             "agents/profile": ({"agent": agent}, "profileId")}
    before = utcnow().replace(microsecond=0)
    for resource, (where, id_param) in lists.items():
        empty = client.get(f"/xapi/{resource}", query_string=where, headers=hdrs)
        assert (empty.status_code, empty.get_json()) == (200, [])
        # Nothing listed: the moment of the answer, the only one at which the list is known to be empty.
        assert before <= parsedate_to_datetime(empty.headers["Last-Modified"]) <= utcnow()
        for document_id in ("older", "newer"):
            put = client.put(f"/xapi/{resource}", query_string={**where, id_param: document_id}, json={},
                             headers={**hdrs, "If-None-Match": "*"})
            assert put.status_code == 204, put.get_data(as_text=True)
    written = {"older": datetime(2020, 1, 1, tzinfo=UTC), "newer": datetime(2021, 6, 1, 8, 30, 5, 700_000, tzinfo=UTC)}
    with app.extensions["samattha.sessionmaker"]() as session:
        for document_id, moment in written.items():
            session.execute(update(Document).where(Document.document_id == document_id)
                            .values(updated_us=int(moment.timestamp() * 1_000_000)))
        session.commit()
    for resource, (where, _) in lists.items():
        listed = client.get(f"/xapi/{resource}", query_string=where, headers=hdrs)
        assert sorted(listed.get_json()) == ["newer", "older"]
        assert listed.headers["Last-Modified"] == "Tue, 01 Jun 2021 08:30:05 GMT"  # the newest, in whole seconds
        since = client.get(f"/xapi/{resource}", query_string={**where, "since": "2020-06-01T00:00:00Z"}, headers=hdrs)
        assert since.get_json() == ["newer"]
        assert since.headers["Last-Modified"] == "Tue, 01 Jun 2021 08:30:05 GMT"


def _with_attachment(content: bytes, encoding: str | None) -> tuple[bytes, str]:
    sha2 = hashlib.sha256(content).hexdigest()
    sent = statement(4, attachments=[{
        "usageType": "http://id.tincanapi.com/attachment/supporting_media", "display": {"en-US": "notes"},
        "contentType": "application/octet-stream", "length": len(content), "sha2": sha2}])
    boundary = "b0undary"
    transfer = f"Content-Transfer-Encoding: {encoding}\r\n" if encoding else ""
    body = (f"--{boundary}\r\nContent-Type: application/json\r\n\r\n{json.dumps(sent)}\r\n"
            f"--{boundary}\r\nContent-Type: application/octet-stream\r\n{transfer}X-Experience-API-Hash: {sha2}\r\n"
            f"\r\n").encode() + content + f"\r\n--{boundary}--".encode()
    return body, f"multipart/mixed; boundary={boundary}"


def test_an_attachment_part_without_content_transfer_encoding_is_binary(lrs: Lrs) -> None:
    client, hdrs = lrs
    content = bytes(range(256))
    body, content_type = _with_attachment(content, None)
    posted = client.post("/xapi/statements", data=body, content_type=content_type, headers=hdrs)
    assert posted.status_code == 200, posted.get_data(as_text=True)
    got = client.get("/xapi/statements", query_string={"statementId": posted.get_json()[0], "attachments": "true"},
                     headers=hdrs)
    assert got.status_code == 200
    assert content in got.get_data()
    body, content_type = _with_attachment(content, "base64")
    refused = client.post("/xapi/statements", data=body, content_type=content_type, headers=hdrs)
    assert refused.status_code == 400
    assert refused.get_json()["message"].startswith("body.part[1]: ")


def test_a_pages_form_cannot_write_with_the_credentials_a_browser_remembers(lrs: Lrs) -> None:
    """1.0.3's alternate request syntax is a form POST, which a browser sends cross-site without a preflight and
    with the Basic credentials it remembers: from a page (an Origin), only a credential in the form counts."""
    client, hdrs = lrs
    form = {"content": json.dumps(statement(5)), "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json"}
    browser = {"Authorization": hdrs["Authorization"], "Origin": "https://evil.example"}
    forged = client.post("/xapi/statements", query_string={"method": "POST"}, data=form, headers=browser)
    assert forged.status_code == 401
    assert client.get("/xapi/statements", headers=hdrs).get_json()["statements"] == []
    # The form's own Authorization field, as §1.3 sends it, works from a page; a header still works without one.
    own = client.post("/xapi/statements", query_string={"method": "POST"},
                      data={**form, "Authorization": hdrs["Authorization"]}, headers={"Origin": "https://lms.example"})
    assert own.status_code == 200, own.get_data(as_text=True)
    plain = client.post("/xapi/statements", query_string={"method": "POST"}, data=form,
                        headers={"Authorization": hdrs["Authorization"]})
    assert plain.status_code == 200
