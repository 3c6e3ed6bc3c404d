"""Moodle Web Services over Moodle's REST server: the platform's token and one call.

Optional: a platform has a token only when its administrator created one (Site administration → Server →
Web services) and stored it in Samattha (the admin page, or ``samattha platforms webservice --issuer URL
--token T``). Every failure is a :class:`WebServiceError` whose message says what to fix; the token never
appears in one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.models.mapping import MoodleWebService

__all__ = ["REST_PATH", "WebServiceError", "call", "save_token", "token_for"]

REST_PATH = "/webservice/rest/server.php"
TIMEOUT = (5.0, 30.0)  # connect, read: a large course's contents take a few seconds to build


class WebServiceError(RuntimeError):
    """The call failed; ``code`` is Moodle's errorcode (``invalidtoken`` …) or our own (``http``, ``network``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def save_token(session: Session, *, issuer: str, token: str, url: str | None, now: datetime) -> MoodleWebService:
    """Set (or replace) the platform's token. The caller commits."""
    if not token.strip():
        raise ValueError("token: must not be empty")
    row = session.scalars(select(MoodleWebService).where(MoodleWebService.issuer == issuer)).first()
    if row is None:
        row = MoodleWebService(issuer=issuer, url="", token="")
        session.add(row)
    row.url, row.token, row.updated_at = (url or issuer).rstrip("/"), token.strip(), now
    session.flush()
    return row


def token_for(session: Session, issuer: str) -> MoodleWebService | None:
    return session.scalars(select(MoodleWebService).where(MoodleWebService.issuer == issuer)).first()


def call(url: str, token: str, function: str, params: dict[str, str], *,
         http: requests.Session | None = None) -> Any:
    """One Web Services function, exactly as the REST server returns it (JSON)."""
    try:
        response = (http or requests).post(
            f"{url.rstrip('/')}{REST_PATH}", timeout=TIMEOUT,
            data={**params, "wstoken": token, "wsfunction": function, "moodlewsrestformat": "json"})
    except requests.Timeout:
        raise WebServiceError("network", f"Moodle at {url} did not answer within {TIMEOUT[1]:g} s") from None
    except requests.RequestException as err:
        raise WebServiceError("network", f"cannot reach Moodle at {url}: {type(err).__name__}") from None
    if response.status_code != 200:
        raise WebServiceError("http", f"Moodle Web Services at {url} answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise WebServiceError("http", f"Moodle at {url} did not answer with JSON: is {REST_PATH} the REST "
                                      "protocol, and is it enabled?") from None
    if isinstance(body, dict) and "exception" in body:
        # Moodle's REST server reports a failed call as HTTP 200 {"exception", "errorcode", "message"}.
        code = str(body.get("errorcode") or "exception")
        raise WebServiceError(code, f"Moodle refused {function} ({code}): {body.get('message', '')}")
    return body
