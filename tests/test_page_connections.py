"""Kept-alive connections to Samattha's pages under `samattha serve` (granian), issue 18 item 6: a page that
refuses a request before reading its body must not cost the client its next request on the connection."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import TEST_DATABASE_URL, FreshDatabases
from tests.servers import serve
from tests.test_lrs_hardening_server import _response

NEXT = b"GET /healthz HTTP/1.1\r\nHost: samattha\r\n\r\n"


def test_a_page_refusing_before_it_reads_the_body_keeps_the_connection_usable(
        databases: FreshDatabases, tmp_path: Path) -> None:
    body = b"x" * 1_000_000  # beyond what granian drains by itself
    refused = {
        "a method the route does not take": b"POST /healthz HTTP/1.1\r\n",
        "a page that needs a session": b"POST /course/1/mapping HTTP/1.1\r\nContent-Type: text/plain\r\n",
        "no such page": b"PUT /nowhere HTTP/1.1\r\n",
    }
    database_url = databases.new() if TEST_DATABASE_URL else None
    with serve(tmp_path / "instance", database_url, args=("--workers", "1")) as server:
        port = int(server.url.rsplit(":", 1)[1])
        for what, head in refused.items():
            with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
                connection.sendall(head + b"Host: samattha\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                answer = _response(connection)
                assert answer is not None and answer[0].split()[1] in {"401", "404", "405"}, what
                assert answer[1].get("connection") != "close", what
                connection.sendall(NEXT)
                following = _response(connection)
                assert following is not None and following[0].split()[1] == "200", what
