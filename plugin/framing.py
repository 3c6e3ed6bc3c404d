"""Who may frame Samattha's pages: Moodle shows the tool in an iframe, so X-Frame-Options cannot be used, but
an open frame-ancestors would let any site overlay our pages (clickjacking). The pages may be framed by
ourselves and by the sites of the platforms we trust, and by nobody else (CSP Level 2 frame-ancestors).

One exception: the dynamic registration pages. Moodle opens them in a dialog on its own admin page before it
is a platform we trust (Dynamic Registration 1.0 §3.3), so they may also be framed by the site that opened
them: the origin of the ``openid_configuration`` URL it passed. That grants nothing a stranger could use:
registering needs the platform's single-use registration token, and the page only asks to confirm."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from plugin.launch import registrations

__all__ = ["REGISTRATION_PATH", "frame_ancestors", "install"]

REGISTRATION_PATH = "/lti/register"


def frame_ancestors(issuers: list[str]) -> str:
    origins = sorted({_origin(issuer) for issuer in issuers} - {""})
    return " ".join(["frame-ancestors", "'self'", *origins])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def _trusted_issuers() -> list[str]:
    """The active platforms' issuers, as plugin.launch.registrations keeps them (read at most every few seconds,
    and again at once after this process registers a platform), not a query per page."""
    known = registrations.cached(current_app.extensions["samattha.engine"])
    if known is None:
        # A fresh short-lived session: the request's own may be gone or failed by now.
        with current_app.extensions["samattha.sessionmaker"]() as session:
            known = registrations.active(session)
    return known.issuers


def install(app: Flask) -> None:
    @app.after_request
    def _frame_policy(response: Response) -> Response:
        if response.mimetype != "text/html" or "Content-Security-Policy" in response.headers:
            return response
        try:
            issuers = _trusted_issuers()
        except SQLAlchemyError:
            # Failing closed: only our own pages may frame this one until the database answers again.
            logging.getLogger(__name__).warning("platform list unavailable; framing limited to 'self'", exc_info=True)
            issuers = []
        if request.path == REGISTRATION_PATH:
            issuers.append(request.values.get("openid_configuration", ""))
        response.headers["Content-Security-Policy"] = frame_ancestors(issuers)
        return response
