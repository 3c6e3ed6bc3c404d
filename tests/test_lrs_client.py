"""pull and forward against a second real Samattha server acting as the remote LRS."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from email import message_from_bytes
from email.policy import HTTP
from pathlib import Path

import requests
from flask import Flask

import xapi
from plugin.clock import utcnow
from tests.conftest import FreshDatabases
from tests.lrs_support import empty_lrs, headers, issue, statement
from tests.servers import serve
from tests.test_lrs_server import _credential
from xapi.multipart import encode_multipart


def test_pull_then_forward_round_trip(app: Flask, databases: FreshDatabases, tmp_path: Path) -> None:
    remote_url = databases.new()
    hdrs = _credential(remote_url)
    key, secret = base64.b64decode(hdrs["Authorization"].split()[1]).decode().split(":", 1)
    sent = [statement(n, id=str(uuid.uuid4())) for n in range(25)]
    with serve(tmp_path / "remote", remote_url) as server:
        endpoint = server.url + "/xapi"
        assert requests.post(endpoint + "/statements", json=sent, headers=hdrs, timeout=30).status_code == 200
        maker = app.extensions["samattha.sessionmaker"]
        authority = {"objectType": "Agent", "name": "pull", "account": {"homePage": endpoint, "name": key}}
        with maker() as session:
            progress = xapi.pull(session, endpoint, key, secret, since=None, authority=authority, clock=utcnow,
                                 page_size=10)
            assert progress.statements == 25
            assert {s["id"] for s in xapi.query_statements(session)} == {s["id"] for s in sent}
            again = xapi.pull(session, endpoint, key, secret, since=progress.position, authority=authority,
                              clock=utcnow)
            assert again.statements == 0
            # forward ours back: the remote keeps one copy of each id
            assert xapi.forward(session, endpoint, key, secret, since_us=None, page_size=10).statements == 25
        stored = requests.get(endpoint + "/statements?limit=0", headers=hdrs, timeout=30).json()["statements"]
        assert len(stored) == 25
    empty_lrs(app)


def test_forward_carries_each_statements_attachments_byte_for_byte(app: Flask, databases: FreshDatabases,
                                                                    tmp_path: Path) -> None:
    """A learner's evidence files travel as attachments without a fileUrl: the other LRS refuses a statement
    whose part is missing, so forward must send them."""
    content = "ประวัติการทำงาน".encode() + bytes(range(256))  # not text: every byte value must survive
    sha2 = hashlib.sha256(content).hexdigest()
    sent = statement(0, id=str(uuid.uuid4()), attachments=[{
        "usageType": "http://id.tincanapi.com/attachment/supporting_media", "display": {"th": "หลักฐาน"},
        "contentType": "application/octet-stream", "length": len(content), "sha2": sha2}])
    body, content_type = encode_multipart(json.dumps(sent).encode(), [(sha2, "application/octet-stream", content)])
    ours = headers(*issue(app, "all"))
    assert app.test_client().post("/xapi/statements", data=body, headers={**ours, "Content-Type": content_type}
                                  ).status_code == 200
    remote_url = databases.new()
    hdrs = _credential(remote_url)
    key, secret = base64.b64decode(hdrs["Authorization"].split()[1]).decode().split(":", 1)
    with serve(tmp_path / "remote", remote_url) as server:
        endpoint = server.url + "/xapi"
        with app.extensions["samattha.sessionmaker"]() as session:
            assert xapi.forward(session, endpoint, key, secret, since_us=None).statements == 1
        got = requests.get(endpoint + "/statements", params={"statementId": sent["id"], "attachments": "true"},
                           headers=hdrs, timeout=30)
    assert got.status_code == 200
    message = message_from_bytes(b"Content-Type: " + got.headers["Content-Type"].encode() + b"\r\n\r\n"
                                 + got.content, policy=HTTP)
    parts = list(message.iter_parts())
    assert json.loads(parts[0].get_content())["attachments"][0]["sha2"] == sha2
    assert [p.get_payload(decode=True) for p in parts[1:]] == [content]
    empty_lrs(app)
