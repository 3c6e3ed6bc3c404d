"""Every answer leaves its connection fit for the next request, or says it will close.

A page that refuses a request before reading its body (a 405, a 401 without a session, a CSRF refusal) left the
body on the connection, and the client's next request on it was lost (issue 18 item 6). The LRS's own check
(xapi.keeps_connection) reads the rest after the handler, within the app's body limit; a connection that cannot
be kept is closed in so many words."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

from xapi import keeps_connection

__all__ = ["install"]


def install(app: Flask) -> None:
    @app.after_request
    def _drain(response: Response) -> Response:
        if not keeps_connection(request):
            # RFC 9112 §9.6: a client told nothing would send its next request into a closing connection.
            response.headers["Connection"] = "close"
        return response
