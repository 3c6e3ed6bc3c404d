"""Moodle Web Services as an activity source: ``core_course_get_contents`` over Moodle's REST server.

Optional: a platform has a token only when its administrator created one (Site administration → Server →
Web services) and stored it with ``samattha platforms webservice --issuer URL --token T``. Every failure is
a :class:`WebServiceError` whose message says what to fix; the token never appears in one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.mapping.activities import ActivityItem, record_activities
from plugin.mapping.model import normalize_wwwroot
from plugin.mapping.moodle_backup import activity_iri
from plugin.models import Course
from plugin.models.mapping import MoodleWebService

__all__ = [
    "REST_PATH", "WebServiceError", "course_contents", "record_webservice_activities", "save_token",
    "token_for",
]

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
    row.url, row.token, row.updated_at = normalize_wwwroot(url or issuer), token.strip(), now
    session.flush()
    return row


def token_for(session: Session, issuer: str) -> MoodleWebService | None:
    return session.scalars(select(MoodleWebService).where(MoodleWebService.issuer == issuer)).first()


def course_contents(url: str, token: str, course_id: str, *, http: requests.Session | None = None) -> list[Any]:
    """Moodle's sections with their modules for ``course_id``, exactly as the REST server returns them."""
    try:
        response = (http or requests).post(
            f"{normalize_wwwroot(url)}{REST_PATH}", timeout=TIMEOUT,
            data={"wstoken": token, "wsfunction": "core_course_get_contents", "moodlewsrestformat": "json",
                  "courseid": course_id})
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
        raise WebServiceError(code, f"Moodle refused core_course_get_contents ({code}): {body.get('message', '')}")
    if not isinstance(body, list):
        raise WebServiceError("http", "core_course_get_contents: Moodle answered something other than a list")
    return body


def activity_items(wwwroot: str, sections: list[Any]) -> list[ActivityItem]:
    """Course modules in course order. Modules without a view page (labels) are not activities."""
    items = []
    for order, section in enumerate(s for s in sections if isinstance(s, dict)):
        number = section.get("section") if isinstance(section.get("section"), int) else order
        for position, module in enumerate((m for m in section.get("modules") or [] if isinstance(m, dict)), 1):
            cmid, modname = module.get("id"), module.get("modname")
            if not isinstance(cmid, int) or not isinstance(modname, str) or module.get("noviewlink"):
                continue
            items.append(ActivityItem(iri=activity_iri(wwwroot, modname, cmid), name=str(module.get("name") or ""),
                                      cmid=cmid, module=modname, section=number, position=position))
    return items


def record_webservice_activities(session: Session, course: Course, *, now: datetime,
                                 http: requests.Session | None = None) -> int:
    """Fetch the course's modules with its platform's token and record them; returns how many are new."""
    service = token_for(session, course.issuer)
    if service is None:
        raise WebServiceError("notoken", f"no Web Services token for {course.issuer}: set one with "
                                         f"`samattha platforms webservice --issuer {course.issuer} --token …`")
    sections = course_contents(service.url, service.token, course.context_id, http=http)
    return record_activities(session, course, activity_items(normalize_wwwroot(course.issuer), sections),
                             source="webservice", now=now)
