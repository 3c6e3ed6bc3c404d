# ruff: noqa: F811 - the `lrs` fixture is imported from tests.lrs_support and used as a parameter
"""Statements over HTTP: Moodle's fixtures, exact round trips, voiding, immutability, queries and paging."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from flask.testing import FlaskClient

from tests.lrs_support import lrs, moodle_statements, statement  # noqa: F401 - fixture

Lrs = tuple[FlaskClient, dict[str, str]]
ASSIGNED = ("id", "stored", "authority", "version")


def _stripped(exact: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in exact.items() if key not in ASSIGNED}


def _exact(client: FlaskClient, hdrs: dict[str, str], statement_id: str) -> bytes:
    response = client.get(f"/xapi/statements?statementId={statement_id}&format=exact", headers=hdrs)
    assert response.status_code == 200
    return response.get_data()


def _assert_round_trip(client: FlaskClient, hdrs: dict[str, str], sent: list[dict[str, Any]], ids: list[str]) -> None:
    assert len(ids) == len(set(ids)) == len(sent)
    for original, statement_id in zip(sent, ids, strict=True):
        exact = json.loads(_exact(client, hdrs, statement_id))
        # The statement as received, key order and values intact, plus only what the LRS assigns (§2.4).
        expected = json.dumps(original, ensure_ascii=False, separators=(",", ":"))
        assert json.dumps(_stripped(exact), ensure_ascii=False, separators=(",", ":")) == expected
        assert exact["id"] == statement_id


def test_moodle_fixtures_in_one_post_round_trip_exactly(lrs: Lrs) -> None:
    client, hdrs = lrs
    sent = moodle_statements()
    assert len(sent) == 190
    response = client.post("/xapi/statements", data=json.dumps(sent), headers=hdrs, content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    _assert_round_trip(client, hdrs, sent, response.get_json())


def test_assigned_ids_are_time_ordered_uuids_a_statement_id_query_finds(lrs: Lrs) -> None:
    """Moodle sends statements without ids: the LRS assigns RFC 9562 version 7 UUIDs (variant 10, which xAPI
    requires of every UUID), later ones sorting after earlier ones."""
    client, hdrs = lrs
    ids = []
    for n in range(3):
        response = client.post("/xapi/statements", json=statement(n), headers=hdrs)
        assert response.status_code == 200
        ids.extend(response.get_json())
        time.sleep(0.002)  # version 7 orders by the millisecond
    assert all(uuid.UUID(i).version == 7 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids)
    for i in ids:
        assert json.loads(_exact(client, hdrs, i))["id"] == i


def test_an_activitys_definition_keeps_every_language_posted_in_separate_requests(lrs: Lrs) -> None:
    """xAPI 1.0.3 §2.5: the canonical definition merges what later statements add (each request reads the
    stored definition first; on PostgreSQL that read travels in one query with the inserts)."""
    client, hdrs = lrs
    activity = "http://example.org/activity/merged"
    for lang, name in (("en", "Backups"), ("th", "การสำรองข้อมูล")):
        sent = statement(1, object={"id": activity, "definition": {"name": {lang: name}}})
        assert client.post("/xapi/statements", json=sent, headers=hdrs).status_code == 200
    response = client.get("/xapi/activities", query_string={"activityId": activity}, headers=hdrs)
    assert response.status_code == 200
    assert response.get_json()["definition"]["name"] == {"en": "Backups", "th": "การสำรองข้อมูล"}


def test_moodle_fixtures_one_by_one(lrs: Lrs) -> None:
    client, hdrs = lrs
    sent = moodle_statements()
    ids = []
    for stmt in sent:
        response = client.post("/xapi/statements", json=[stmt], headers=hdrs)
        assert response.status_code == 200, response.get_data(as_text=True)
        ids.extend(response.get_json())
    _assert_round_trip(client, hdrs, sent, ids)
    everything = client.get("/xapi/statements?limit=0", headers=hdrs).get_json()
    assert len(everything["statements"]) == 190


def test_same_id_same_content_is_stored_once_different_content_conflicts(lrs: Lrs) -> None:
    client, hdrs = lrs
    stmt = statement(1, id=str(uuid.uuid4()))
    assert client.put(f"/xapi/statements?statementId={stmt['id']}", json=stmt, headers=hdrs).status_code == 204
    assert client.post("/xapi/statements", json=stmt, headers=hdrs).status_code == 200
    changed = {**stmt, "verb": {"id": "http://example.org/verbs/other"}}
    assert client.post("/xapi/statements", json=changed, headers=hdrs).status_code == 409
    assert len(client.get("/xapi/statements", headers=hdrs).get_json()["statements"]) == 1


def test_voiding_hides_the_statement_but_voidedStatementId_finds_it(lrs: Lrs) -> None:
    client, hdrs = lrs
    (target,) = client.post("/xapi/statements", json=statement(2), headers=hdrs).get_json()
    voiding = statement(3, verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                        object={"objectType": "StatementRef", "id": target})
    (voiding_id,) = client.post("/xapi/statements", json=voiding, headers=hdrs).get_json()
    assert client.get(f"/xapi/statements?statementId={target}", headers=hdrs).status_code == 404
    assert client.get(f"/xapi/statements?voidedStatementId={target}", headers=hdrs).status_code == 200
    ids = [s["id"] for s in client.get("/xapi/statements", headers=hdrs).get_json()["statements"]]
    assert ids == [voiding_id]
    # A voiding statement cannot itself be voided (1.0.3 §2.3.2).
    again = statement(4, verb={"id": "http://adlnet.gov/expapi/verbs/voided"},
                      object={"objectType": "StatementRef", "id": voiding_id})
    assert client.post("/xapi/statements", json=again, headers=hdrs).status_code == 400


def test_filters_and_more_paging(lrs: Lrs) -> None:
    client, hdrs = lrs
    batch = [statement(n) for n in range(60)]
    assert client.post("/xapi/statements", json=batch, headers=hdrs).status_code == 200
    agent = json.dumps({"mbox": "mailto:learner3@example.org"})
    query = {"agent": agent, "verb": "http://adlnet.gov/expapi/verbs/completed", "limit": "2"}
    expected = [
        s for s in batch if s["actor"]["mbox"].endswith("learner3@example.org") and "completed" in s["verb"]["id"]
    ]
    seen: list[dict[str, Any]] = []
    page = client.get("/xapi/statements", query_string=query, headers=hdrs).get_json()
    while True:
        seen.extend(page["statements"])
        if not page["more"]:
            break
        page = client.get(page["more"], headers=hdrs).get_json()
    assert len(seen) == len(expected) and len({s["id"] for s in seen}) == len(seen)
    activity = {"activity": "http://example.org/activity/4"}
    by_activity = client.get("/xapi/statements", query_string=activity, headers=hdrs)
    assert len(by_activity.get_json()["statements"]) == 12
    ascending = client.get("/xapi/statements?ascending=true&limit=5&format=ids", headers=hdrs).get_json()["statements"]
    assert [s["stored"] for s in ascending] == sorted(s["stored"] for s in ascending)
    assert set(ascending[0]["verb"]) == {"id"} and set(ascending[0]["object"]) == {"id"}


def test_version_header_required_and_echoed(lrs: Lrs) -> None:
    client, hdrs = lrs
    no_version = {"Authorization": hdrs["Authorization"]}
    response = client.get("/xapi/statements", headers=no_version)
    assert response.status_code == 400 and "X-Experience-API-Version" in response.headers
    assert json.loads(response.get_data())["message"].startswith("X-Experience-API-Version")
    v2 = client.get("/xapi/statements", headers={**hdrs, "X-Experience-API-Version": "2.0.0"})
    assert v2.headers["X-Experience-API-Version"] == "2.0.0"
    assert client.get("/xapi/about").get_json()["version"][-1] == "2.0.0"


def test_errors_carry_the_reason_and_say_what_is_accepted(lrs: Lrs) -> None:
    """A client's log shows the error body: its title is the HTTP reason, its message what would be right."""
    client, hdrs = lrs
    missing = client.get(f"/xapi/statements?statementId={uuid.uuid4()}", headers=hdrs)
    assert (missing.status_code, missing.get_json()["error"]) == (404, "Not Found")
    sent = statement()
    sent["id"] = str(uuid.uuid4())
    assert client.post("/xapi/statements", json=sent, headers=hdrs).status_code == 200
    changed = {**sent, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    conflict = client.post("/xapi/statements", json=changed, headers=hdrs)
    assert (conflict.status_code, conflict.get_json()["error"]) == (409, "Conflict")
    url = "/xapi/activities/state?activityId=http://x.org/a&agent=%7B%22mbox%22%3A%22mailto%3Aa%40b.c%22%7D&stateId=s"
    assert client.put(url, data=b"x", headers=hdrs).status_code == 204
    stale = client.put(url, data=b"y", headers={**hdrs, "If-Match": '"not-the-etag"'})
    assert (stale.status_code, stale.get_json()["error"]) == (412, "Precondition Failed")
    since = client.get("/xapi/statements?since=yesterday", headers=hdrs).get_json()["message"]
    assert since == "since: must be a timestamp such as 2026-01-31T09:30:00Z; 'yesterday' is not an ISO 8601 date-time"
    old = client.get("/xapi/statements", headers={**hdrs, "X-Experience-API-Version": "0.95"})
    assert old.status_code == 400
    assert old.get_json()["message"] == ("X-Experience-API-Version: unsupported xAPI version '0.95': this LRS speaks "
                                         "1.0.3 (also as 1.0 and any 1.0.x) and 2.0.0")


def test_authentication_and_scopes(lrs: Lrs, app: Any) -> None:
    from tests.lrs_support import headers, issue

    client, hdrs = lrs
    assert client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"}).status_code == 401
    wrong = headers("nobody", "nothing")
    assert client.post("/xapi/statements", json=statement(), headers=wrong).status_code == 401
    writer = headers(*issue(app, "statements/write", "statements/read/mine", name="moodle"))
    assert client.post("/xapi/statements", json=statement(), headers=writer).status_code == 200
    client.post("/xapi/statements", json=statement(9), headers=hdrs)
    mine = client.get("/xapi/statements", headers=writer).get_json()["statements"]
    assert len(mine) == 1 and mine[0]["authority"]["name"] == "moodle"
    assert client.put("/xapi/activities/state?activityId=http://x.org/a&agent=%7B%22mbox%22%3A%22mailto%3Aa%40b.c%22%7D"
                      "&stateId=s", data=b"x", headers=writer).status_code == 403


def test_statement_errors_name_the_field(lrs: Lrs) -> None:
    client, hdrs = lrs
    bad = statement(verb={"id": "not an iri"})
    response = client.post("/xapi/statements", json=[statement(), bad], headers=hdrs)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("[1].verb.id:")
    assert client.get("/xapi/statements", headers=hdrs).get_json()["statements"] == []


def test_numbers_beyond_a_double_are_refused_and_wide_integers_kept_to_the_digit(lrs: Lrs) -> None:
    client, hdrs = lrs
    body = json.dumps(statement(result={"extensions": {"http://x.org/e": 12345}})).replace("12345", "1e400")
    response = client.post("/xapi/statements", data=body, content_type="application/json", headers=hdrs)
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("body:")
    assert client.get("/xapi/statements", headers=hdrs).get_json()["statements"] == []
    # orjson would read these as doubles; the LRS keeps and returns every digit, in every format.
    wide = {"http://x.org/big": 123456789012345678901234567890, "http://x.org/neg": -9999999999999999999}
    ids = client.post("/xapi/statements", json=statement(result={"extensions": wide}), headers=hdrs).get_json()
    exact = json.loads(_exact(client, hdrs, ids[0]))
    assert exact["result"]["extensions"] == wide
    canonical = client.get("/xapi/statements", query_string={"statementId": ids[0], "format": "canonical"},
                           headers=hdrs)
    assert b"123456789012345678901234567890" in canonical.data and b"-9999999999999999999" in canonical.data


def test_a_body_over_the_apps_limit_is_refused_with_413_and_nothing_stored(lrs: Lrs) -> None:
    client, hdrs = lrs
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    # Attachments are what may make a body this large (statements' JSON alone has its own, lower limit).
    body = json.dumps([statement(0)]).encode()
    response = client.post("/xapi/statements", data=body + b" " * (limit + 1 - len(body)), headers=hdrs,
                           content_type="multipart/mixed; boundary=b")
    assert response.status_code == 413
    assert "body: is larger than this LRS accepts" in response.get_json()["message"]
    # Answered in the version the client speaks, as every other response.
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    # The same through 1.0.3's alternate request syntax, whose headers travel in the (too large) form.
    form = {"X-Experience-API-Version": "1.0.3", "Authorization": hdrs["Authorization"], "content": "x" * limit}
    alternate = client.post("/xapi/statements", query_string={"method": "PUT"}, data=form)
    assert alternate.status_code == 413
    assert alternate.get_json()["message"].startswith("body: is larger than this LRS accepts")
    assert alternate.headers["X-Experience-API-Version"] == "1.0.3"
    found = client.get("/xapi/statements", headers=hdrs).get_json()
    assert found["statements"] == []


def test_a_401_challenges_clients_but_never_prompts_over_a_learners_page(lrs: Lrs) -> None:
    client, hdrs = lrs
    wrong = {**hdrs, "Authorization": "Basic " + "d3Jvbmc6d3Jvbmc="}  # wrong:wrong
    plain = client.get("/xapi/statements", headers=wrong)
    assert plain.status_code == 401 and plain.headers["WWW-Authenticate"] == 'Basic realm="xAPI"'
    # Content's own script (fetch or XMLHttpRequest, as Fetch Metadata says) gets the same error, no challenge:
    # a Basic challenge would open the browser's login prompt over the content.
    for mode in ("cors", "same-origin", "no-cors"):
        script = client.post("/xapi/statements", json=statement(), headers={**wrong, "Sec-Fetch-Mode": mode})
        assert script.status_code == 401 and "WWW-Authenticate" not in script.headers
        assert script.get_json()["error"] == "Unauthorized"
    navigated = client.get("/xapi/statements", headers={**wrong, "Sec-Fetch-Mode": "navigate"})
    assert navigated.headers["WWW-Authenticate"] == 'Basic realm="xAPI"'
