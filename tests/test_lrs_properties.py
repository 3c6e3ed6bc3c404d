# ruff: noqa: F811 - the `lrs` fixture is imported from tests.lrs_support and used as a parameter
"""No request a client can send produces a 5xx (hypothesis over statements, parameters, headers, bodies)."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lrs_support import lrs, statement  # noqa: F401 - fixture

Lrs = tuple[FlaskClient, dict[str, str]]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
keys = st.sampled_from(["actor", "verb", "object", "result", "context", "timestamp", "id", "attachments",
                        "version", "authority", "stored", "objectType", "mbox", "id"])


@st.composite
def mutated_statements(draw: st.DrawFn) -> Any:
    base: dict[str, Any] = statement(draw(st.integers(0, 9)))
    for _ in range(draw(st.integers(0, 3))):
        target = base
        path = draw(st.lists(keys, min_size=1, max_size=3))
        for key in path[:-1]:
            nxt = target.get(key) if isinstance(target, dict) else None
            if not isinstance(nxt, dict):
                break
            target = nxt
        if isinstance(target, dict):
            target[path[-1]] = draw(json_values)
    return base


@SETTINGS
@given(body=st.one_of(mutated_statements(), st.lists(mutated_statements(), max_size=3), json_values),
       version=st.sampled_from(["1.0.3", "2.0.0"]))
def test_posting_any_statement_never_fails_on_our_side(lrs: Lrs, body: Any, version: str) -> None:
    client, hdrs = lrs
    response = client.post("/xapi/statements", data=json.dumps(body), headers={**hdrs, "X-Experience-API-Version":
                           version}, content_type="application/json")
    assert response.status_code < 500, response.get_data(as_text=True)


params = st.sampled_from(["agent", "verb", "activity", "registration", "related_activities", "related_agents",
                          "since", "until", "limit", "format", "attachments", "ascending", "statementId",
                          "voidedStatementId", "more", "stateId", "activityId", "profileId", "method"])


@SETTINGS
@given(query=st.dictionaries(params, st.text(max_size=40) | json_values.map(json.dumps), max_size=4),
       resource=st.sampled_from(["statements", "activities/state", "activities/profile", "agents/profile",
                                 "activities", "agents", "about", "nothing"]),
       method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
       extra=st.dictionaries(st.sampled_from(["If-Match", "If-None-Match", "Content-Type", "Accept-Language",
                                              "X-Experience-API-Version", "Authorization"]),
                             st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
                             max_size=2),
       body=st.binary(max_size=64))
def test_any_query_headers_and_body_never_fail_on_our_side(
    lrs: Lrs, query: dict[str, str], resource: str, method: str, extra: dict[str, str], body: bytes
) -> None:
    client, hdrs = lrs
    response = client.open(f"/xapi/{resource}", method=method, query_string=query, headers={**hdrs, **extra},
                           data=body)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert "X-Experience-API-Version" in response.headers


def _token(**state: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def test_edited_more_tokens_and_odd_keys_are_refused_not_crashed(lrs: Lrs) -> None:
    """Found on PostgreSQL: a ``more`` token is client-editable JSON, and PostgreSQL (unlike SQLite) refuses
    NUL in text and integers beyond BIGINT, so such values used to reach the database and fail there."""
    client, hdrs = lrs
    for _ in range(3):
        client.post("/xapi/statements", json=statement(1), headers=hdrs)
    first = client.get("/xapi/statements?limit=1", headers=hdrs).get_json()["more"]
    state = json.loads(base64.urlsafe_b64decode(first.split("more=")[1] + "=="))
    assert client.get(first, headers=hdrs).status_code == 200
    edits = [{"agent": "mbox::\x00"}, {"cursor": [2**70, "x"]}, {"cursor": [1, "\x00"]}, {"limit": "10"},
             {"limit": -1}, {"since_us": 2**64}, {"verb": 7}, {"ascending": "yes"}, {"extra": 1}]
    for edit in edits:
        response = client.get(f"/xapi/statements?more={_token(**{**state, **edit})}", headers=hdrs)
        assert response.status_code == 400, (edit, response.get_data(as_text=True))
        assert response.get_json()["message"].startswith("more: ")
    nul_key = {**hdrs, "Authorization": "Basic " + base64.b64encode(b"ab\x00cd:secret").decode()}
    assert client.get("/xapi/statements", headers=nul_key).status_code == 401


def test_long_multibyte_identifiers_fit_every_index(lrs: Lrs) -> None:
    """Thai IRIs of under 500 characters can exceed PostgreSQL's ~2.7 kB index row when three meet in one
    index (documents: activity, agent, document id; agents: agent, verb)."""
    client, hdrs = lrs
    thai = "ก" * 450  # 1,350 UTF-8 bytes
    agent = {"objectType": "Agent", "account": {"homePage": "https://moodle.test", "name": thai}}
    stmt = statement(1, actor=agent, verb={"id": f"http://example.org/{thai}"},
                     object={"id": f"http://example.org/a/{thai}"})
    assert client.post("/xapi/statements", json=stmt, headers=hdrs).status_code == 200
    params = {"agent": json.dumps(agent), "verb": stmt["verb"]["id"]}
    found = client.get("/xapi/statements", query_string=params, headers=hdrs).get_json()["statements"]
    assert len(found) == 1
    document = {"activityId": stmt["object"]["id"], "agent": json.dumps(agent), "stateId": thai}
    put = client.put("/xapi/activities/state", query_string=document, data=b"{}", headers=hdrs,
                     content_type="application/json")
    assert put.status_code == 204
    assert client.get("/xapi/activities/state", query_string=document, headers=hdrs).get_data() == b"{}"
