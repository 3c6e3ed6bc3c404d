"""pull and forward against a second real Samattha server acting as the remote LRS."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

import requests
from flask import Flask

import xapi
from plugin.clock import utcnow
from tests.conftest import FreshDatabases
from tests.lrs_support import empty_lrs, statement
from tests.servers import serve
from tests.test_lrs_server import _credential


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
