"""Kept-alive connections under `samattha serve` (granian), issue 18 item 6: a refusal that leaves the request's
body unread, or a body that cannot be kept, must not cost the client its next request on the connection."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import TEST_DATABASE_URL, FreshDatabases
from tests.servers import serve

NEXT = b"GET /xapi/about HTTP/1.1\r\nHost: lrs\r\n\r\n"


def _response(connection: socket.socket) -> tuple[str, dict[str, str]] | None:
    """Status line and headers of one response, its body read; None when the connection closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65_536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = connection.recv(65_536)
        if not chunk:
            return None
        body += chunk
    return status, headers


def _next_is_answered(connection: socket.socket) -> bool:
    try:
        connection.sendall(NEXT)
        return _response(connection) is not None
    except OSError:
        return False


def test_a_refusal_before_the_body_is_read_keeps_the_connection_usable(
        databases: FreshDatabases, tmp_path: Path) -> None:
    body = b"x" * 1_000_000  # beyond what granian drains by itself (some tens of kilobytes)
    refused = {
        "no version header": b"POST /xapi/statements HTTP/1.1\r\nContent-Type: application/json\r\n",
        "a bad version header": b"POST /xapi/statements HTTP/1.1\r\nX-Experience-API-Version: 0.9\r\n",
        "a parameter given twice": b"PUT /xapi/statements?statementId=a&statementId=b HTTP/1.1\r\n"
                                   b"X-Experience-API-Version: 1.0.3\r\n",
        "a preflight with a body": b"OPTIONS /xapi/statements HTTP/1.1\r\n",
    }
    database_url = databases.new() if TEST_DATABASE_URL else None
    with serve(tmp_path / "instance", database_url, args=("--workers", "1")) as server:
        port = int(server.url.rsplit(":", 1)[1])
        for what, head in refused.items():
            with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
                connection.sendall(head + b"Host: lrs\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                answer = _response(connection)
                assert answer is not None, what
                assert answer[1].get("connection") != "close", what
                assert _next_is_answered(connection), what
        # What cannot be kept is said to be closing, so the client sends its next request elsewhere.
        cannot_keep = {
            "a body over the limit": b"POST /xapi/statements HTTP/1.1\r\nX-Experience-API-Version: 1.0.3\r\n"
                                     b"Content-Length: 70000000\r\n",
            "a chunked body that breaks off": b"PUT /xapi/activities/state HTTP/1.1\r\nX-Experience-API-Version: "
                                              b"1.0.3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
        }
        for what, request in cannot_keep.items():
            with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
                connection.sendall(request.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nHost: lrs\r\n", 1)
                                   + (b"\r\n" + b"x" * 100_000 if b"70000000" in request else b""))
                answer = _response(connection)
                assert answer is not None, what
                assert answer[1].get("connection") == "close", (what, answer)
