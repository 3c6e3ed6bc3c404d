"""The activities a coordinator can map, from every source Moodle offers, kept per course by IRI."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from plugin.mapping.model import normalize_wwwroot
from plugin.mapping.moodle_backup import CourseBackup
from plugin.models import Course, CourseActivity, ResourceLink
from xapi.models import ActivityDefinition, StatementActivity

__all__ = [
    "SOURCES", "ActivityItem", "backup_items", "course_activities", "display_name", "lrs_activities",
    "moodle_course_iri", "record_activities", "record_backup", "record_lrs_activities", "record_resource_links",
    "resource_link_iri", "resource_link_items",
]

# The custom parameter a content package's placement carries (plugin.content.placement sets it).
PACKAGE_PARAM = "samattha_package"

# Where an activity was learnt of; a later, richer source (a backup's names and sections) refines an entry.
SOURCES = ("lti", "lrs", "backup", "webservice", "package")
_RANK = {"lrs": 0, "lti": 1, "package": 1, "backup": 2, "webservice": 2}


# {wwwroot}/mod/<module>/view.php?id=<cmid>, as moodle-logstore_xapi names a course module (and its parts,
# with a fragment: #submission, #feedback).
_MODULE = re.compile(r"/mod/(?P<module>[a-z][a-z0-9_]*)/view\.php\?id=(?P<cmid>[0-9]+)(?:#.*)?")


@dataclass(frozen=True)
class ActivityItem:
    iri: str
    name: str = ""
    cmid: int | None = None
    module: str | None = None
    section: int | None = None
    position: int | None = None
    instance: int | None = None  # Moodle's module instance id: for mod_lti, the LTI resource link id


def record_activities(session: Session, course: Course, items: Iterable[ActivityItem], *, source: str,
                      now: datetime) -> int:
    """Add or refresh activities by IRI; returns how many are new. The caller commits.

    A source refreshes what an equal or lower-ranked source recorded and only fills in blanks of a
    higher-ranked one: a statement's activity name is whatever the log store sent at the time, while a
    backup or Web Services listing is the course as it is now."""
    if source not in SOURCES:
        raise ValueError(f"source: must be one of {', '.join(SOURCES)}")
    known = {a.iri: a for a in session.scalars(select(CourseActivity).where(CourseActivity.course_id == course.id))}
    added = 0
    for item in items:
        row = known.get(item.iri)
        if row is None:
            row = CourseActivity(course_id=course.id, iri=item.iri, source=source, name="")
            session.add(row)
            known[item.iri] = row
            added += 1
        if _RANK[source] >= _RANK.get(row.source, 0):
            row.source = source
            row.name = item.name or row.name
            row.cmid = item.cmid if item.cmid is not None else row.cmid
            row.module = item.module or row.module
            row.section = item.section if item.section is not None else row.section
            row.position = item.position if item.position is not None else row.position
        else:
            row.name = row.name or item.name
            row.cmid = row.cmid if row.cmid is not None else item.cmid
            row.module = row.module or item.module
            row.section = row.section if row.section is not None else item.section
            row.position = row.position if row.position is not None else item.position
        row.updated_at = now
    session.flush()
    return added


def course_activities(session: Session, course: Course) -> list[CourseActivity]:
    """The course's known activities in course order (section, position), then by name."""
    query = select(CourseActivity).where(CourseActivity.course_id == course.id)
    rows = list(session.scalars(query))
    return sorted(rows, key=lambda a: (a.section is None, a.section or 0, a.position or 0, a.name, a.iri))


def backup_items(backup: CourseBackup) -> list[ActivityItem]:
    """The activities of an uploaded course backup (plugin.mapping.moodle_backup), in course order."""
    positions: dict[int, int] = {}
    items = []
    for activity in backup.activities:
        positions[activity.section_number] = positions.get(activity.section_number, 0) + 1
        items.append(ActivityItem(iri=activity.iri, name=activity.title, cmid=activity.cmid,
                                  module=activity.module_name, section=activity.section_number,
                                  position=positions[activity.section_number], instance=activity.instance))
    return items


def record_backup(session: Session, course: Course, backup: CourseBackup, now: datetime) -> int:
    return record_activities(session, course, backup_items(backup), source="backup", now=now)


def resource_link_iri(base_url: str, resource_link_id: str) -> str:
    """The IRI a mapping names Samattha's own LTI placement by: the launch URL with the resource link id.
    The course already fixes the platform, and Moodle's resource link id is the LTI instance, not a cmid."""
    return f"{base_url.rstrip('/')}/lti/launch?{urlencode({'resource_link_id': resource_link_id})}"


def resource_link_items(session: Session, course: Course, *, base_url: str,
                        cmids: Mapping[str, int] | None = None) -> list[ActivityItem]:
    """Samattha's own placements launched in the course (one ResourceLink per launched link), with the course
    module id where ``cmids`` (resource link id → cmid, from Web Services) knows it: the link and the Moodle
    activity that holds it are then one activity. A link that places a content package is left out: the
    package's own activities stand for it."""
    links = session.scalars(select(ResourceLink).where(ResourceLink.course_id == course.id)
                            .order_by(ResourceLink.id))
    return [ActivityItem(iri=resource_link_iri(base_url, link.resource_link_id), name=link.title or "",
                         module="lti", cmid=(cmids or {}).get(link.resource_link_id))
            for link in links if PACKAGE_PARAM not in (link.custom or {})]


def record_resource_links(session: Session, course: Course, *, base_url: str, now: datetime) -> int:
    return record_activities(session, course, resource_link_items(session, course, base_url=base_url),
                             source="lti", now=now)


def moodle_course_iri(course: Course) -> str:
    """The course as Moodle's log store names it; for Moodle the LTI issuer is its wwwroot."""
    return f"{normalize_wwwroot(course.issuer)}/course/view.php?id={course.context_id}"


def lrs_activities(session: Session, course: Course) -> list[ActivityItem]:
    """Course modules that statements about the course name (object or any context activity), with the
    name their activity definition carries. Read-only over the LRS link tables."""
    wwwroot = normalize_wwwroot(course.issuer)
    about, other = aliased(StatementActivity), aliased(StatementActivity)
    query = (select(other.activity_iri).distinct()
             .join(about, about.statement_id == other.statement_id)
             .where(about.activity_iri == moodle_course_iri(course),
                    other.activity_iri.startswith(f"{wwwroot}/mod/", autoescape=True)))
    found: dict[str, ActivityItem] = {}
    for iri in session.scalars(query):
        match = _MODULE.fullmatch(iri[len(wwwroot):])
        if match is None:
            continue
        module_iri = f"{wwwroot}/mod/{match['module']}/view.php?id={match['cmid']}"
        found.setdefault(module_iri, ActivityItem(iri=module_iri, cmid=int(match["cmid"]), module=match["module"]))
    names = {row.activity_iri: display_name(row.definition.get("name"))
             for row in session.scalars(select(ActivityDefinition)
                                        .where(ActivityDefinition.activity_iri.in_(list(found))))}
    return [ActivityItem(iri=i.iri, name=names.get(i.iri, ""), cmid=i.cmid, module=i.module)
            for i in sorted(found.values(), key=lambda i: i.cmid or 0)]


def record_lrs_activities(session: Session, course: Course, *, now: datetime) -> int:
    return record_activities(session, course, lrs_activities(session, course), source="lrs", now=now)


def display_name(language_map: Any, preferred: Iterable[str] = ("th", "en")) -> str:
    """One text from an xAPI language map: the first preferred language present, else any."""
    if not isinstance(language_map, Mapping) or not language_map:
        return ""
    lowered = {str(key).lower(): value for key, value in language_map.items() if isinstance(value, str)}
    for language in preferred:
        for key, value in lowered.items():
            if key == language or key.startswith(language + "-"):
                return value
    return next(iter(lowered.values()), "")
