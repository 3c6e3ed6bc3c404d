"""The LRS limits an operator sets (SAMATTHA_LRS_MAX_*): each is refused with 413 or 400 naming the limit, in the
client's xAPI version, nothing of the request is stored, and a request within every limit still goes in."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import xapi
from plugin.app import create_app
from plugin.config import load_config
from tests.lrs_support import headers, issue, statement

LIMITS = {"SAMATTHA_LRS_MAX_STATEMENT_SIZE": "4KiB", "SAMATTHA_LRS_MAX_BATCH": "5",
          "SAMATTHA_LRS_MAX_BATCH_SIZE": "16KiB", "SAMATTHA_LRS_MAX_CONTEXT_ACTIVITIES": "3",
          "SAMATTHA_LRS_MAX_ATTACHMENT_SIZE": "1KiB"}


@pytest.fixture
def limited(database_url: str, tmp_path: Path) -> Iterator[tuple[FlaskClient, dict[str, str]]]:
    app = create_app(load_config(env=LIMITS, instance_path=tmp_path / "instance", database_url=database_url,
                                 base_url="http://tool.test", testing=True))
    key, secret = issue(app, "all")
    yield app.test_client(), headers(key, secret)
    _empty(app)


def _empty(app: Flask) -> None:
    with app.extensions["samattha.engine"].begin() as connection:
        for table in reversed(xapi.metadata.sorted_tables):
            connection.execute(table.delete())
    app.extensions["samattha.engine"].dispose()


def _stored(client: FlaskClient, hdrs: dict[str, str]) -> list[Any]:
    found: list[Any] = client.get("/xapi/statements", headers=hdrs).get_json()["statements"]
    return found


def _refused(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.data
    message = response.get_json()["message"]
    for word in words:
        assert word in message, message


def test_the_configured_limits_are_read_from_the_environment(tmp_path: Path) -> None:
    limits = load_config(env=LIMITS, instance_path=tmp_path / "i").lrs_limits
    assert (limits.statement_bytes, limits.batch_statements, limits.batch_bytes, limits.context_activities,
            limits.attachment_bytes) == (4096, 5, 16384, 3, 1024)
    with pytest.raises(ValueError, match="SAMATTHA_LRS_MAX_BATCH: a whole number"):
        load_config(env={"SAMATTHA_LRS_MAX_BATCH": "5MiB"}, instance_path=tmp_path / "i")
    with pytest.raises(ValueError, match="SAMATTHA_LRS_MAX_STATEMENT_SIZE: a size"):
        load_config(env={"SAMATTHA_LRS_MAX_STATEMENT_SIZE": "lots"}, instance_path=tmp_path / "i")


def test_a_statement_over_the_size_limit_is_413_naming_it_and_one_within_goes_in(limited: Any) -> None:
    client, hdrs = limited
    big = statement(result={"response": "x" * 5000})
    _refused(client.post("/xapi/statements", json=big, headers=hdrs), 413, "largest statement", "4096 bytes")
    _refused(client.post("/xapi/statements", json=[statement(), big], headers=hdrs), 413, "[1]",
             "largest statement")
    assert _stored(client, hdrs) == []
    assert client.post("/xapi/statements", json=statement(result={"response": "x" * 3000}),
                       headers=hdrs).status_code == 200


def test_a_batch_over_the_statement_count_or_size_is_413_in_the_clients_version(limited: Any) -> None:
    client, hdrs = limited
    six = [statement(n) for n in range(6)]
    response = client.post("/xapi/statements", json=six, headers=hdrs)
    _refused(response, 413, "holds 6 statements", "at most 5", "batch statements")
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    v2 = {**hdrs, "X-Experience-API-Version": "2.0.0"}
    heavy = [statement(n, result={"response": "y" * 3500}) for n in range(5)]
    response = client.post("/xapi/statements", json=heavy, headers=v2)
    _refused(response, 413, "largest batch", "16384 bytes", "batch bytes")
    assert response.headers["X-Experience-API-Version"] == "2.0.0"
    assert _stored(client, hdrs) == []
    assert client.post("/xapi/statements", json=six[:5], headers=hdrs).status_code == 200


def test_a_body_of_many_tiny_objects_is_refused_before_it_is_parsed(limited: Any) -> None:
    # 5 statements × 100 objects is this LRS's budget; "{}" objects cost memory, however short their text.
    client, hdrs = limited
    body = b"[" + b",".join([b"{}"] * 600) + b"]"
    _refused(client.post("/xapi/statements", data=body, content_type="application/json", headers=hdrs), 413,
             "more than 500 JSON objects")


def test_too_many_context_activities_is_400_naming_the_limit(limited: Any) -> None:
    client, hdrs = limited
    activities = [{"id": f"http://example.org/c/{n}"} for n in range(4)]
    crowded = statement(context={"contextActivities": {"parent": activities[:2], "other": activities[2:]}})
    _refused(client.post("/xapi/statements", json=crowded, headers=hdrs), 400, "context.contextActivities",
             "holds 4 activities", "at most 3")
    # A sub-statement's context counts toward the statement holding it.
    sub = statement(object={"objectType": "SubStatement", **statement(
        context={"contextActivities": {"grouping": activities}})})
    _refused(client.post("/xapi/statements", json=[statement(), sub], headers=hdrs), 400,
             "[1].context.contextActivities")
    assert _stored(client, hdrs) == []
    fits = statement(context={"contextActivities": {"parent": activities[:3]}})
    assert client.post("/xapi/statements", json=fits, headers=hdrs).status_code == 200


def _multipart(stmt: dict[str, Any], content: bytes) -> tuple[bytes, str]:
    boundary = "limitboundary"
    parts = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode() + json.dumps(stmt).encode(),
             f"\r\n--{boundary}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
             f"X-Experience-API-Hash: {hashlib.sha256(content).hexdigest()}\r\n\r\n".encode() + content,
             f"\r\n--{boundary}--\r\n".encode()]
    return b"".join(parts), f"multipart/mixed; boundary={boundary}"


def _with_attachment(content: bytes) -> dict[str, Any]:
    return statement(attachments=[{"usageType": "http://example.org/usage", "display": {"en-US": "note"},
                                   "contentType": "text/plain", "length": len(content),
                                   "sha2": hashlib.sha256(content).hexdigest()}])


def test_an_attachment_over_the_limit_is_413_naming_its_part(limited: Any) -> None:
    client, hdrs = limited
    content = b"z" * 2000
    body, ctype = _multipart(_with_attachment(content), content)
    _refused(client.post("/xapi/statements", data=body, content_type=ctype, headers=hdrs), 413,
             "body.part[1]", "largest attachment", "1024 bytes")
    assert _stored(client, hdrs) == []
    small = b"fine"
    body, ctype = _multipart(_with_attachment(small), small)
    assert client.post("/xapi/statements", data=body, content_type=ctype, headers=hdrs).status_code == 200


def test_a_declared_length_over_the_batch_limit_is_refused_before_the_body_is_read(limited: Any) -> None:
    client, hdrs = limited
    body = json.dumps([statement(n) for n in range(3)]).encode() + b" " * 20_000
    response = client.post("/xapi/statements", data=body, content_type="application/json", headers=hdrs)
    _refused(response, 413, "largest batch")
    # The same through PUT, and base64 credentials untouched by the refusal: the next request is answered.
    put = client.put("/xapi/statements", query_string={"statementId": "c70c2b85-c294-464f-baca-cebd4fb9b348"},
                     data=body, content_type="application/json", headers=hdrs)
    _refused(put, 413, "largest batch")
    assert base64.b64decode(hdrs["Authorization"][6:])
    assert client.get("/xapi/statements", headers=hdrs).status_code == 200
