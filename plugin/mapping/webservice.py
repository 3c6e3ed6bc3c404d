"""Moodle Web Services as an activity source: ``core_course_get_contents`` (plugin.moodle_ws does the call)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import requests
from sqlalchemy.orm import Session

from plugin.mapping.activities import ActivityItem, record_activities
from plugin.mapping.model import normalize_wwwroot
from plugin.mapping.moodle_backup import activity_iri
from plugin.models import Course
from plugin.moodle_ws import WebServiceError, call, token_for

__all__ = ["activity_items", "course_contents", "record_webservice_activities", "webservice_items"]


def course_contents(url: str, token: str, course_id: str, *, http: requests.Session | None = None) -> list[Any]:
    """Moodle's sections with their modules for ``course_id``, exactly as the REST server returns them."""
    body = call(url, token, "core_course_get_contents", {"courseid": course_id}, http=http)
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
            instance = module.get("instance")
            items.append(ActivityItem(iri=activity_iri(wwwroot, modname, cmid), name=str(module.get("name") or ""),
                                      cmid=cmid, module=modname, section=number, position=position,
                                      instance=instance if isinstance(instance, int) else None))
    return items


def webservice_items(session: Session, course: Course, *,
                     http: requests.Session | None = None) -> list[ActivityItem]:
    """The course's modules, read with its platform's token."""
    service = token_for(session, course.issuer)
    if service is None:
        raise WebServiceError("notoken", f"no Web Services token for {course.issuer}: set one with "
                                         f"`samattha platforms webservice --issuer {course.issuer} --token …`")
    sections = course_contents(service.url, service.token, course.context_id, http=http)
    return activity_items(normalize_wwwroot(course.issuer), sections)


def record_webservice_activities(session: Session, course: Course, *, now: datetime,
                                 http: requests.Session | None = None) -> int:
    """Fetch the course's modules and record them; returns how many are new."""
    return record_activities(session, course, webservice_items(session, course, http=http), source="webservice",
                             now=now)
