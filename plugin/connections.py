"""Every answer leaves its connection fit for the next request, or says it will close.

A page that refuses a request before reading its body (a 405, a 401 without a session, a CSRF refusal) left the
body on the connection. granian drains a few kilobytes; beyond that it answered as if the connection would be
kept alive, then closed it, so the client's next request on it was lost without an answer (issue 18 item 6; the
LRS does the same for /xapi in xapi.http). Here the rest of the body is read after the handler, within the
app's body limit, and a connection that cannot be kept is closed in so many words."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

__all__ = ["install"]


def install(app: Flask) -> None:
    @app.after_request
    def _drain(response: Response) -> Response:
        if not _keeps_connection():
            # RFC 9112 §9.6: a client told nothing would send its next request into a closing connection.
            response.headers["Connection"] = "close"
        return response


def _keeps_connection() -> bool:
    # A chunked body that broke off reads as one that ended (granian), so such a connection is never kept.
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return False
    try:
        stream = request.stream
        while stream.read(65_536):
            pass
    except HTTPException:  # over MAX_CONTENT_LENGTH, or the client sent less than it said
        return False
    return True
