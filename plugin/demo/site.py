"""The demonstration site: a Moodle course with five people, and everything Samattha holds about it.

:func:`build_platform` makes the Moodle side (course, users, its activities, the Samattha activity). :func:`seed`
fills the tool the way it would be filled in real use, over real HTTP where Moodle is involved: the platform is
registered; the coordinator places unit DG-OPSR-023 in the course by deep linking (so the course and their
enrolment come from a signed LTI launch); the roster comes through NRPS; the assessor is appointed; the sample
packages are imported and each placed by deep linking; the course's activities come through Moodle Web Services;
the mapping is saved; a week of statements is stored. (``samattha demo`` then compiles portfolios.)"""

from __future__ import annotations

import html
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

import lti
import xapi
from plugin.clock import utcnow
from plugin.content.manifests import read_tincan_manifest
from plugin.content.placement import choices
from plugin.content.samples import sample_names, zip_sample
from plugin.content.store import import_package
from plugin.demo import week
from plugin.demo.moodle import Link, MoodlePlatform, User
from plugin.launch.repository import appoint_assessor, save_registration
from plugin.launch.service import sync_roster
from plugin.mapping.files import dump_mapping, load_mapping
from plugin.mapping.model import CourseMapping, MappingEntry, Rule, StandardIndex
from plugin.mapping.store import save_mapping, standard_index
from plugin.mapping.webservice import record_webservice_activities
from plugin.models import Course
from plugin.models import User as ToolUser
from plugin.models.content import ContentPackage
from plugin.moodle_ws import save_token
from plugin.standards.commands import ensure_standard_loaded

__all__ = ["COURSE", "NON_EDITING_TEACHER", "PEOPLE", "TOOL_CMID", "Person", "build_platform", "launch", "place",
           "restore_links", "saved_links", "seed"]

COURSE: dict[str, Any] = {"id": "2", "label": "DG-OPSR-023",
          "title": "ปรับปรุงงานบริการดิจิทัลเพื่อยกระดับอย่างต่อเนื่อง (DG-OPSR-023)", "type": ["CourseSection"]}
TOOL_CMID = 2  # the course's "Samattha" LTI activity: unit DG-OPSR-023, placed by deep linking
UNIT = "DG-OPSR-023"
FIRST_PACKAGE_CMID = 12


@dataclass(frozen=True)
class Person:
    user: User
    role: str  # the Samattha page a launch lands on
    look_at: str  # a key of the tour's texts


# Moodle user ids 3.., as on a fresh site (2 is the admin). The assessor is a Moodle user whose course role
# lacks mod/lti:manage (an external workplace assessor), so Moodle sends Learner; Samattha appoints them.
PEOPLE = (
    Person(User("3", "somchai", "สมชาย", "ใจดี", "student"), "learner", "tour.learner"),
    Person(User("4", "suda", "สุดา", "แสงทอง", "student"), "learner", "tour.learner"),
    Person(User("5", "nattapon", "ณัฐพล", "วงศ์สวัสดิ์", "student"), "learner", "tour.learner"),
    Person(User("6", "arunee", "อรุณี", "ศรีสุข", "teacher"), "coordinator", "tour.coordinator"),
    Person(User("7", "prasert", "ประเสริฐ", "มั่นคง", "student"), "assessor", "tour.assessor"),
)
# The course's non-editing teacher: Moodle launches them as Instructor like the coordinator, but its own roles
# (read through Web Services) say they do not edit the course, so Samattha makes them staff who view, not a
# coordinator, and never a learner. Not on the tour's list of people to launch as.
NON_EDITING_TEACHER = Person(User("8", "kanya", "กัญญา", "บุญมา", "noneditingteacher"), "viewer", "tour.viewer")
LEARNERS = [p for p in PEOPLE if p.role == "learner"]
COORDINATOR = next(p for p in PEOPLE if p.role == "coordinator")
ASSESSOR = next(p for p in PEOPLE if p.role == "assessor")


def build_platform() -> MoodlePlatform:
    people = [*PEOPLE, NON_EDITING_TEACHER]
    platform = MoodlePlatform(course=COURSE, users=[p.user for p in people], enrolled=[p.user.id for p in people],
                              links=[], modules=week.COURSE_ACTIVITIES, name="demo", locale="th", custom={})
    platform.line_items.clear()
    return platform


def connect(platform: MoodlePlatform, base_url: str, client_id: str | None = None) -> None:
    """The tool as Moodle's admin configured it (Site administration → External tool → Manage tools)."""
    tool = platform.add_tool(target_link_uri=f"{base_url}/lti/launch", jwks_uri=f"{base_url}/.well-known/jwks.json",
                             client_id=client_id)
    tool.initiate_login_uri = f"{base_url}/lti/login"


def _form(page: str, base: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the first form on ``page`` (the auto-submitting ones browsers post)."""
    action = re.search(r'<form[^>]*action="([^"]*)"', page)
    if action is None:
        raise RuntimeError(f"no form in {page[:300]!r}")
    hidden = re.findall(r'type="hidden" name="([^"]*)" value="([^"]*)"', page)
    return urljoin(base, html.unescape(action.group(1))), {html.unescape(k): html.unescape(v) for k, v in hidden}


def _through_moodle(browser: requests.Session, url: str, params: dict[str, str]) -> requests.Response:
    """What a browser does from Moodle's launch page: post the login form to the tool, follow its redirect to
    Moodle's auth.php, post the id_token back to the tool, follow to where the tool sends it."""
    page = browser.get(url, params=params, timeout=30)
    page.raise_for_status()
    for _ in range(2):
        action, fields = _form(page.text, page.url)
        page = browser.post(action, data=fields, timeout=30)
        page.raise_for_status()
    return page


def launch(platform: MoodlePlatform, user_id: str, cmid: int = TOOL_CMID,
           browser: requests.Session | None = None) -> requests.Response:
    """A resource-link launch of the course's activity ``cmid`` by ``user_id``, as their browser makes it."""
    return _through_moodle(browser or requests.Session(), f"{platform.url}/mod/lti/launch.php",
                           {"id": str(cmid), "user": user_id})


def place(platform: MoodlePlatform, user_id: str, code: str, cmid: int) -> Link:
    """The teacher adds an activity with "Select content": a deep-linking launch, the choice ``code`` on
    Samattha's page, its signed response posted back to Moodle, and the activity saved as ``cmid``."""
    browser = requests.Session()
    page = _through_moodle(browser, f"{platform.url}/mod/lti/contentitem.php", {"user": user_id})
    action, fields = _form(page.text, page.url)
    returned = browser.post(action, data={"csrf": fields["csrf"], "code": code}, timeout=30)
    returned.raise_for_status()
    action, fields = _form(returned.text, returned.url)
    before = len(platform.deep_link_returns)
    browser.post(action, data=fields, timeout=30).raise_for_status()
    if len(platform.deep_link_returns) != before + 1 or len(platform.deep_link_returns[-1]["items"]) != 1:
        raise RuntimeError(f"placing {code}: Moodle received no content item")
    return platform.add_link(cmid, platform.deep_link_returns[-1]["items"][0])


def demo_mapping(wwwroot: str, packages: dict[str, ContentPackage], standard: StandardIndex) -> CourseMapping:
    """mappings/example-dg-opsr-023.toml for the demo course, plus the DS601 and DS603 packages, each under the
    title the course shows it by (the package's own), so coverage names it as the tour and the editor do."""
    text = resources.files("mappings").joinpath("example-dg-opsr-023.toml").read_text(encoding="utf-8")
    example = load_mapping(text, standard=standard)
    added = tuple(MappingEntry(activity=packages[name].activity_iri, title=packages[name].title, evidence="knowledge",
                               rule=Rule("passed"), targets=(element,))
                  for name, element in (("dg-opsr-023-ds601", "DS601"), ("dg-opsr-023-ds603", "DS603"))
                  if name in packages)
    mapping = replace(example, wwwroot=wwwroot, title=COURSE["title"], entries=(*example.entries, *added))
    return load_mapping(dump_mapping(mapping), standard=standard)  # checked as any mapping file is


def _tool_user(session: Session, course: Course, person: Person) -> ToolUser:
    return session.scalars(select(ToolUser).filter_by(issuer=course.issuer, subject=person.user.id)).one()


def seed(app: Flask, platform: MoodlePlatform, base_url: str, *, report: Any = print) -> int:
    """Fill a fresh demo instance; returns the Samattha course id (its pages are /course/<id>/...)."""
    now = utcnow()
    loaded = ensure_standard_loaded(app, now=now)
    report(f"Loaded the competency standard: {loaded} units.")
    sessions = app.extensions["samattha.sessionmaker"]
    tool = platform.tool()
    with sessions() as session:
        save_registration(session, lti.Registration(
            platform.url, tool.client_id, f"{platform.url}/mod/lti/auth.php", f"{platform.url}/mod/lti/token.php",
            f"{platform.url}/mod/lti/certs.php", (tool.deployment_id,)), source="manual", now=now,
            name="Samattha demo Moodle")
        session.commit()
    place(platform, COORDINATOR.user.id, UNIT, TOOL_CMID)  # the coordinator's first launch makes the course
    with sessions() as session:
        course: Course = session.scalars(select(Course).filter_by(issuer=platform.url,
                                                                  context_id=COURSE["id"])).one()
        course_pk = course.id
        # As an administrator would: a Web Services token for the site (`samattha platforms webservice`); the
        # roster sync then reads Moodle's own course roles with it, as well as the NRPS roster.
        save_token(session, issuer=platform.url, token=platform.webservice_token, url=None, now=now)
        report(f"Roster from Moodle (NRPS): {sync_roster(session, course, now)} members.")
        coordinator = _tool_user(session, course, COORDINATOR)
        appoint_assessor(session, course, _tool_user(session, course, ASSESSOR), by=coordinator, now=now)
        packages = _import_packages(session, course, app.instance_path, coordinator, now)
        session.commit()
        for number, choice in enumerate(c for c in choices(session, course) if not c.is_au):
            place(platform, COORDINATOR.user.id, choice.code, FIRST_PACKAGE_CMID + number)
        # The course's activities from core_course_get_contents (`samattha mappings activities --discover`).
        found = record_webservice_activities(session, course, now=now)
        session.commit()
        report(f"Course activities from Moodle Web Services: {found}.")
        standard = standard_index(session)
        save_mapping(session, course, demo_mapping(platform.url, packages, standard), standard, author=coordinator,
                     now=now, source="file")
        session.commit()
        stored = _store_week(session, course, platform, packages, now)
        session.commit()
        report(f"A week of learning: {stored} statements.")
    return course_pk


def _import_packages(session: Session, course: Course, instance: str, coordinator: ToolUser,
                     now: datetime) -> dict[str, ContentPackage]:
    """Import each sample package, as the coordinator's upload does. Returns sample name → package."""
    found: dict[str, ContentPackage] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in sample_names():
            archive = zip_sample(name, Path(scratch) / f"{name}.zip")
            found[name] = import_package(session, course, archive, file_name=archive.name, instance_path=instance,
                                         uploader=coordinator, now=now)
    return found


def _package_names(packages: dict[str, ContentPackage]) -> dict[str, dict[str, str]]:
    """Package activity IRI → its name in each language, as its tincan.xml gives it and its own statements send it."""
    names: dict[str, dict[str, str]] = {}
    for sample, package in packages.items():
        manifest = read_tincan_manifest(resources.files("content.packages").joinpath(sample, "tincan.xml").read_bytes())
        names[package.activity_iri] = next(dict(a.name) for a in manifest.activities if a.id == package.activity_iri)
    return names


def _store_week(session: Session, course: Course, platform: MoodlePlatform, packages: dict[str, ContentPackage],
                now: datetime) -> int:
    """The week's statements, each day's batch stored that day (so ``stored`` follows the week too)."""
    start = (now - timedelta(days=week.DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    learners = [_tool_user(session, course, p) for p in LEARNERS]
    names = _package_names(packages)
    authority = {"objectType": "Agent", "name": "Moodle xAPI log store",
                 "account": {"homePage": platform.url, "name": "logstore_xapi"}}
    iris = {name: package.activity_iri for name, package in packages.items()}
    steps = week.plan(iris.get("dg-opsr-023-ds602", ""), iris.get("dg-opsr-023-ds603", ""))
    count = 0
    for day in range(week.DAYS):
        batch = [week.statement(s, wwwroot=platform.url, course=COURSE, actor=dict(learners[s.learner].xapi_actor),
                                start=start, package_name=names.get(s.package))
                 for s in steps if s.day == day and (s.what != "package" or s.package)]
        if batch:
            xapi.record_statements(session, batch, authority=authority, now=start + timedelta(days=day, hours=23))
            count += len(batch)
    return count


def saved_links(platform: MoodlePlatform) -> list[dict[str, Any]]:
    """The course's LTI activities as the demo instance remembers them for its next start."""
    return [{"cmid": link.cmid, "title": link.title, "text": link.description, "custom": link.custom,
             "url": link.url, **({"lineItem": link.line_item} if link.line_item else {})}
            for link in platform.links.values()]


def restore_links(platform: MoodlePlatform, saved: list[dict[str, Any]]) -> None:
    for item in saved:
        platform.add_link(int(item["cmid"]), item)
