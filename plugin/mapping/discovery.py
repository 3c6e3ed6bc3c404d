"""A course's activities, found by Samattha itself from every source it has: its own placed links, the
statements in its LRS, the content packages, and Moodle Web Services when the platform has a token (uploaded
backups are read when they are uploaded). Run when a coordinator opens the course, by the compile schedule, by
the mapping page's Refresh button and by ``samattha mappings activities --discover``."""

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

__all__ = ["Found", "Refresh", "refresh_activities", "refresh_courses", "refresh_in_background"]

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
    modules: list[ActivityItem] = []
    if token_for(session, course.issuer) is not None:
        try:
            modules = webservice_items(session, course)
        except WebServiceError as err:
            report.errors["webservice"] = str(err)
    links = {link.resource_link_id: link for link in
             session.scalars(select(ResourceLink).where(ResourceLink.course_id == course.id))}
    # Moodle's LTI resource link id is the mod_lti instance id: that pairs a link with its course module.
    cmids = {str(m.instance): m.cmid for m in modules if m.module == "lti" and m.instance is not None
             and m.cmid is not None}
    holding_packages = {cmid for rid, cmid in cmids.items()
                        if rid in links and PACKAGE_PARAM in (links[rid].custom or {})}
    _record(session, course, report, "lti", resource_link_items(session, course, base_url=base_url, cmids=cmids), now)
    _record(session, course, report, "lrs", [a for a in lrs_activities(session, course)
                                             if a.cmid not in holding_packages], now)
    _record(session, course, report, "package", [a for p in packages_of(session, course)
                                                 for a in package_activities(p)], now)
    if "webservice" not in report.errors and token_for(session, course.issuer) is not None:
        _record(session, course, report, "webservice", [m for m in modules if m.cmid not in holding_packages], now)
    if holding_packages:
        # The Moodle activity that only holds a package's link is that package: list the package once.
        session.execute(delete(CourseActivity).where(CourseActivity.course_id == course.id,
                                                     CourseActivity.cmid.in_(holding_packages)))
    report.backups = session.scalar(select(func.count()).select_from(CourseActivity).where(
        CourseActivity.course_id == course.id, CourseActivity.source == "backup")) or 0
    session.flush()
    return report


def _record(session: Session, course: Course, report: Refresh, source: str, items: list[ActivityItem],
            now: datetime) -> None:
    report.found[source] = Found(len(items), record_activities(session, course, items, source=source, now=now))


# Opening the course refreshes in the background, at most this often per course and process: Moodle's Web
# Services may take seconds, and a coordinator's launch must not wait for them.
BACKGROUND_INTERVAL = 300.0
_last_started: dict[tuple[int, int], float] = {}  # (id of the app's sessionmaker, course id)
_lock = threading.Lock()


def refresh_in_background(sessions: Callable[[], Session], course_id: int, *, base_url: str,
                          now: Callable[[], datetime]) -> bool:
    """Start a refresh of the course in a thread of its own with its own Session; False when one ran lately."""
    key = (id(sessions), course_id)
    with _lock:
        last = _last_started.get(key)
        if last is not None and time.monotonic() - last < BACKGROUND_INTERVAL:
            return False
        _last_started[key] = time.monotonic()

    def run() -> None:
        try:
            with sessions() as session:
                course = session.get(Course, course_id)
                if course is not None:
                    refresh_activities(session, course, base_url=base_url, now=now())
                    session.commit()
        except Exception:  # noqa: BLE001 - a background refresh must never take the process down
            log.warning("refreshing the activities of course %s failed", course_id, exc_info=True)

    threading.Thread(target=run, name=f"refresh-activities-{course_id}", daemon=True).start()
    return True


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
