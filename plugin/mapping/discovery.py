"""A course's activities, found by Samattha itself from every source it has: its own placed links, the
statements in its LRS, the content packages, and Moodle Web Services when the platform has a token (uploaded
backups are read when they are uploaded). Run when a coordinator opens the mapping page, by the compile
schedule, by the mapping page's Refresh button and by ``samattha mappings activities --discover``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from plugin.content.store import package_activities, packages_of
from plugin.mapping.activities import (
    PACKAGE_PARAM,
    ActivityItem,
    lrs_activities,
    record_activities,
    resource_link_items,
)
from plugin.mapping.webservice import webservice_items
from plugin.models import Course, CourseActivity, Platform, ResourceLink
from plugin.moodle_ws import WebServiceError, token_for

__all__ = ["Found", "Refresh", "record_links", "refresh_activities", "refresh_courses", "refresh_when_due"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Found:
    seen: int
    new: int


@dataclass
class Refresh:
    """What each source gave (in the order tried), and why a source could not be read."""

    found: dict[str, Found] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    backups: int = 0  # activities known from backups uploaded earlier

    @property
    def new(self) -> int:
        return sum(found.new for found in self.found.values())


def refresh_activities(session: Session, course: Course, *, base_url: str, now: datetime) -> Refresh:
    """Record what every source knows of the course's activities now. The caller commits."""
    report = Refresh()
    modules: list[ActivityItem] | None = None  # None: Web Services not set up, or they failed
    if token_for(session, course.issuer) is not None:
        try:
            modules = webservice_items(session, course)
        except WebServiceError as err:
            report.errors["webservice"] = str(err)
    holders = record_links(session, course, base_url=base_url, modules=modules or [], now=now, report=report)
    _record(session, course, report, "lrs", [a for a in lrs_activities(session, course) if a.cmid not in holders],
            now)
    _record(session, course, report, "package", [a for p in packages_of(session, course)
                                                 for a in package_activities(p)], now)
    if modules is not None:
        _record(session, course, report, "webservice", [m for m in modules if m.cmid not in holders], now)
    report.backups = session.scalar(select(func.count()).select_from(CourseActivity).where(
        CourseActivity.course_id == course.id, CourseActivity.source == "backup")) or 0
    session.flush()
    return report


def record_links(session: Session, course: Course, *, base_url: str, modules: list[ActivityItem], now: datetime,
                 report: Refresh | None = None) -> set[int]:
    """Record Samattha's own links, each as one activity with the Moodle module that holds it where ``modules``
    (from Web Services or a backup) show which: Moodle's LTI resource link id is the mod_lti instance id.
    A module that only holds a content package's link is that package: it is not listed apart. Returns the
    cmids of those modules."""
    links = {link.resource_link_id: link for link in
             session.scalars(select(ResourceLink).where(ResourceLink.course_id == course.id))}
    cmids = {str(m.instance): m.cmid for m in modules if m.module == "lti" and m.instance is not None
             and m.cmid is not None}
    holders = {cmid for rid, cmid in cmids.items() if rid in links and PACKAGE_PARAM in (links[rid].custom or {})}
    # A placement nobody has launched yet has no ResourceLink to say what it holds; deep linking named its Moodle
    # activity after the package, so an unlaunched LTI activity named as one of the course's packages is it.
    placed = _package_titles(session, course) if modules else set()
    holders |= {m.cmid for m in modules if m.module == "lti" and m.cmid is not None and m.instance is not None
                and str(m.instance) not in links and _plain(m.name) in placed}
    _record(session, course, report or Refresh(), "lti",
            resource_link_items(session, course, base_url=base_url, cmids=cmids), now)
    if holders:
        session.execute(delete(CourseActivity).where(CourseActivity.course_id == course.id,
                                                     CourseActivity.cmid.in_(holders)))
    return holders


def _package_titles(session: Session, course: Course) -> set[str]:
    """Every title a placement of one of the course's packages may carry: the package's, its parts', and each
    language's (plugin.content.placement offers them to deep linking)."""
    titles: set[str] = set()
    for package in packages_of(session, course):
        titles |= {_plain(a.name) for a in package_activities(package)}
        titles |= {_plain(str(t)) for t in (package.manifest.get("titles") or {}).values()}
        titles |= {_plain(str(t)) for item in package.manifest.get("items") or () for t in
                   (item.get("titles") or {}).values()}
    titles.discard("")
    return titles


def _plain(name: str) -> str:
    return " ".join(name.split()).casefold()


def _record(session: Session, course: Course, report: Refresh, source: str, items: list[ActivityItem],
            now: datetime) -> None:
    report.found[source] = Found(len(items), record_activities(session, course, items, source=source, now=now))


# Opening the mapping page refreshes at most this often per course and app: Moodle's Web Services may take
# seconds, and a coordinator moving between pages should not wait for them each time (Refresh always does).
REFRESH_INTERVAL = 300.0
_last_refreshed: dict[tuple[int, int], float] = {}  # (id of the app, course id) → time.monotonic()
_lock = threading.Lock()


def refresh_when_due(session: Session, course: Course, *, base_url: str, now: datetime,
                     owner: object) -> Refresh | None:
    """:func:`refresh_activities` unless ``owner`` (the app) refreshed this course in the last
    ``REFRESH_INTERVAL`` seconds. The caller commits."""
    key = (id(owner), course.id)
    with _lock:
        last = _last_refreshed.get(key)
        if last is not None and time.monotonic() - last < REFRESH_INTERVAL:
            return None
        _last_refreshed[key] = time.monotonic()
    return refresh_activities(session, course, base_url=base_url, now=now)


def refresh_courses(sessions: Callable[[], Session], *, base_url: str, now: Callable[[], datetime]) -> int:
    """The schedule's share: refresh every course of an active platform; returns how many activities are new.
    One course failing (Moodle down, a concurrent refresh) leaves the others to go on."""
    with sessions() as session:
        course_ids = list(session.scalars(select(Course.id).join(Course.platform).where(Platform.active.is_(True))))
    new = 0
    for course_id in course_ids:
        try:
            with sessions() as session:
                course = session.get(Course, course_id)
                if course is not None:
                    new += refresh_activities(session, course, base_url=base_url, now=now()).new
                    session.commit()
        except SQLAlchemyError:
            log.warning("refreshing the activities of course %s failed", course_id, exc_info=True)
    return new
