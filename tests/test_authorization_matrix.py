"""Who may do what, route by route: every rule of the app's url_map and every method, for every kind of person,
against an explicit decision. A new route fails this test until it is given its decision here.

One course (C) with learners A and B, its coordinator, an appointed assessor, a teacher limited to viewing
(viewer) and the platform's administrator; and the coordinator of another course (D) of the same platform.
Every URL parameter is a real id (C, learner A, the assessor, the viewer, a stored content package, mapping
revision 1) and learner A has a compiled portfolio, so "allowed" and "refused" are about real data: learner B
asking for learner A's portfolio is refused, learner A is not. Sessions are made as a launch makes them
(plugin.launch.access's keys, as tests/test_coverage_cache.py does), each with a form token and a pending
deep-linking request, so that only the role decides. The LRS mounted at /xapi is checked too: a browser
session is no LRS credential."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

import lti
from plugin.clock import utcnow
from plugin.content.samples import zip_sample
from plugin.content.store import import_package
from plugin.launch import access
from plugin.launch.service import DeepLinkRequest
from plugin.learner_evidence.files import EvidenceFile
from plugin.learner_evidence.store import Limits, add_piece
from plugin.mapping.files import load_mapping
from plugin.mapping.store import save_mapping, standard_index
from plugin.models import AssessorAppointment, Course, Enrolment, User
from plugin.models.lti import StaffLimit
from plugin.models.portfolios import PortfolioSnapshot
from plugin.portfolios.run import compile_all
from tests.lrs_support import headers, issue
from tests.test_judgements import LAB, ROOT, lab_statements
from xapi.http import ROUTES as LRS_ROUTES

ISSUER = LAB  # the lab statements' actors are this site's users: learner A is its user "3"
PERSONAS = ("anonymous", "learner_a", "learner_b", "other_coordinator", "coordinator", "assessor", "viewer",
            "admin")
PUBLIC = frozenset(PERSONAS)
MEMBERS = frozenset({"learner_a", "learner_b", "coordinator", "assessor", "viewer", "admin"})
LEARNERS = frozenset({"learner_a", "learner_b"})
COORDINATORS = frozenset({"coordinator", "admin"})  # the platform's administrator coordinates every course of it
STAFF = COORDINATORS | {"assessor"}  # who sees the learners' portfolios
ADMIN = frozenset({"admin"})
# /lti/deep-link has no course in its URL: it serves the course of the deep-linking launch in the session, and
# the other course's coordinator launched from their own course.
DEEP_LINKERS = COORDINATORS | {"other_coordinator"}

# (rule, method) -> the personas allowed. Everyone else is refused: 401 without a session, 403 with one.
DECISIONS: dict[tuple[str, str], frozenset[str]] = {
    ("/", "GET"): PUBLIC,
    ("/static/<path:filename>", "GET"): PUBLIC,
    ("/healthz", "GET"): PUBLIC,
    ("/favicon.ico", "GET"): PUBLIC,
    ("/language", "GET"): PUBLIC,  # the Thai/English switch: a session's or the launched person's own choice
    ("/standards", "GET"): PUBLIC,  # the published standard
    ("/standards/<code>", "GET"): PUBLIC,
    ("/api/standards", "GET"): PUBLIC,
    ("/api/standards/<code>", "GET"): PUBLIC,
    ("/.well-known/jwks.json", "GET"): PUBLIC,  # the tool's public keys
    ("/lti/login", "GET"): PUBLIC,  # the LTI endpoints: the platform's signature decides, not a session
    ("/lti/login", "POST"): PUBLIC,
    ("/lti/launch", "POST"): PUBLIC,
    ("/lti/register", "GET"): PUBLIC,  # dynamic registration: Moodle's registration token decides
    ("/lti/register", "POST"): PUBLIC,
    ("/content/fetch/<token>", "POST"): PUBLIC,  # cmi5 §8.2: the fetch token is the secret, not a session
    ("/lti/deep-link", "GET"): DEEP_LINKERS,
    ("/lti/deep-link", "POST"): DEEP_LINKERS,
    ("/course/<int:course_pk>/", "GET"): MEMBERS,
    # ... or a browser holding a launch's grant in the path (tests/test_package_isolation.py), not a session
    ("/content/<int:package_id>/files/<path:name>", "GET"): MEMBERS,
    ("/course/<int:course_pk>/learner", "GET"): LEARNERS,
    ("/course/<int:course_pk>/my-portfolio", "GET"): LEARNERS,
    ("/course/<int:course_pk>/portfolios/<int:user_id>", "GET"): STAFF | {"learner_a"},
    ("/course/<int:course_pk>/portfolios/<int:user_id>/export.<fmt>", "GET"): STAFF | {"learner_a"},
    ("/course/<int:course_pk>/portfolios/<int:user_id>/judgements", "POST"): frozenset({"assessor"}),
    ("/course/<int:course_pk>/portfolios", "GET"): STAFF,  # the caseload
    ("/caseload", "GET"): frozenset({"assessor"}),  # the caseload of every course one is appointed assessor of
    ("/course/<int:course_pk>/reassessment", "POST"): LEARNERS,  # ask to be assessed again
    ("/course/<int:course_pk>/portfolios/export.zip", "GET"): STAFF,
    ("/api/courses/<int:course_pk>/portfolios", "GET"): STAFF,
    ("/api/learners/<int:user_id>/portfolio", "GET"): STAFF,  # learners read their own through the pages
    ("/course/<int:course_pk>/assessor", "GET"): frozenset({"assessor"}),
    ("/course/<int:course_pk>/viewer", "GET"): frozenset({"viewer"}),
    ("/course/<int:course_pk>/coordinator", "GET"): COORDINATORS,
    ("/course/<int:course_pk>/coordinator/assessors", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/coordinator/assessors/<int:user_pk>/revoke", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/coordinator/roster", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/coordinator/staff/<int:user_pk>", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/coverage", "GET"): COORDINATORS,
    ("/course/<int:course_pk>/coverage/<any(matrix, progress):kind>.csv", "GET"): COORDINATORS,
    ("/course/<int:course_pk>/coverage/progress.svg", "GET"): COORDINATORS,
    ("/api/courses/<int:course_pk>/coverage", "GET"): COORDINATORS,
    ("/course/<int:course_pk>/content", "GET"): COORDINATORS,
    ("/course/<int:course_pk>/content", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/content/<int:package_id>/replace", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/content/<int:package_id>/remove", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/content/<int:package_id>/waive", "POST"): STAFF,  # cmi5 §9.3.7, for a learner
    ("/course/<int:course_pk>/mapping", "GET"): COORDINATORS,
    ("/course/<int:course_pk>/mapping", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/mapping/backup", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/mapping/history", "GET"): COORDINATORS,
    ("/course/<int:course_pk>/mapping/history/<int:number>/restore", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/mapping/undo", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/mapping/learner-evidence", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/mapping/refresh", "POST"): COORDINATORS,
    ("/course/<int:course_pk>/evidence", "GET"): LEARNERS,  # a learner's own evidence, added and listed
    ("/course/<int:course_pk>/evidence", "POST"): LEARNERS,
    ("/course/<int:course_pk>/evidence/<int:piece_id>/withdraw", "POST"): frozenset({"learner_a"}),  # A's piece
    ("/course/<int:course_pk>/evidence/<int:piece_id>/files/<sha2>", "GET"): STAFF | {"learner_a"},
    # A unit's conversation: learner A's own, and the course's staff
    ("/course/<int:course_pk>/portfolios/<int:user_id>/units/<code>/conversation", "GET"): STAFF | {"learner_a"},
    ("/course/<int:course_pk>/portfolios/<int:user_id>/units/<code>/comments", "POST"): STAFF | {"learner_a"},
    ("/course/<int:course_pk>/news/seen", "POST"): LEARNERS,
    ("/course/<int:course_pk>/admin", "GET"): ADMIN,
    ("/course/<int:course_pk>/admin/webservice", "GET"): ADMIN,
    ("/course/<int:course_pk>/admin/webservice", "POST"): ADMIN,
}

# Run last, in this order, so that what they change (a package removed, an appointment revoked) comes after
# every other request of the same person.
LAST = ("/course/<int:course_pk>/evidence/<int:piece_id>/withdraw",
        "/course/<int:course_pk>/content/<int:package_id>/remove",
        "/course/<int:course_pk>/coordinator/assessors/<int:user_pk>/revoke")


@dataclass
class World:
    course: int
    other_course: int
    users: dict[str, int]
    package: int
    snapshot: int
    piece: int  # learner A's piece of evidence, with one file
    sha2: str

    def fill(self, rule: str) -> list[str]:
        """The rule with real ids in it (an export in each format), and the query it needs."""
        path = (rule.replace("<int:course_pk>", str(self.course)).replace("<int:user_id>", str(self.users["learner_a"]))
                .replace("<int:package_id>", str(self.package)).replace("<path:name>", "index.html")
                .replace("<code>", "DG-OPSR-023").replace("<int:number>", "1").replace("<token>", "no-such-token")
                .replace("<path:filename>", "style.css").replace("<any(matrix, progress):kind>", "matrix")
                .replace("<int:piece_id>", str(self.piece)).replace("<sha2>", self.sha2))
        if "/revoke" in rule:
            path = path.replace("<int:user_pk>", str(self.users["assessor"]))
        path = path.replace("<int:user_pk>", str(self.users["viewer"]))  # the limited teacher
        if rule.startswith("/api/learners/"):
            path += f"?course={self.course}"
        paths = [path.replace("<fmt>", fmt) for fmt in ("html", "json", "pdf")] if "<fmt>" in path else [path]
        assert all("<" not in p for p in paths), f"{rule}: give its arguments real values in World.fill"
        return paths


def _user(db: Session, subject: str, name: str) -> User:
    actor = {"objectType": "Agent", "account": {"homePage": ISSUER, "name": subject}}
    user = User(issuer=ISSUER, subject=subject, name=name, xapi_actor=actor, created_at=utcnow())
    db.add(user)
    db.flush()
    return user


def _enrol(db: Session, course: Course, user: User, role: str) -> None:
    db.add(Enrolment(course_id=course.id, user_id=user.id, roles=[role], launch_roles=[role], source="launch",
                     updated_at=utcnow()))


def build_world(app: Flask, tmp_path: Path) -> World:
    now = utcnow()
    client = app.test_client()
    answer = client.post("/xapi/statements", json=lab_statements(ISSUER), headers=headers(*issue(app, "all")))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    with app.extensions["samattha.sessionmaker"]() as db:
        course = Course(issuer=ISSUER, context_id="2", title="Digital skills", updated_at=now)
        other = Course(issuer=ISSUER, context_id="9", title="Another course", updated_at=now)
        db.add_all([course, other])
        db.flush()
        users = {"learner_a": _user(db, "3", "Sam Student"), "learner_b": _user(db, "6", "Other Learner"),
                 "coordinator": _user(db, "4", "Terry Teacher"), "assessor": _user(db, "5", "Ann Assessor"),
                 "viewer": _user(db, "7", "Vic Viewer"), "other_coordinator": _user(db, "8", "Olga Other"),
                 "admin": _user(db, "2", "Ada Admin")}
        for learner in ("learner_a", "learner_b", "assessor"):  # Moodle sends an external assessor as a Learner
            _enrol(db, course, users[learner], lti.ROLE_LEARNER)
        for teacher in ("coordinator", "viewer"):
            _enrol(db, course, users[teacher], lti.ROLE_INSTRUCTOR)
        _enrol(db, other, users["other_coordinator"], lti.ROLE_INSTRUCTOR)
        db.add(AssessorAppointment(course_id=course.id, user_id=users["assessor"].id,
                                   appointed_by_id=users["coordinator"].id, appointed_at=now))
        db.add(StaffLimit(course_id=course.id, user_id=users["viewer"].id, limit="view",
                          set_by_id=users["coordinator"].id, set_at=now))
        index = standard_index(db)
        text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8")
        save_mapping(db, course, load_mapping(text, standard=index), index, author=users["coordinator"], now=now,
                     source="file")
        package = import_package(db, course, zip_sample("dg-opsr-023-ds601", tmp_path / "ds601.zip"),
                                 file_name="ds601.zip", instance_path=app.instance_path, uploader=users["coordinator"],
                                 now=now)
        db.commit()
        compile_all(db, now=utcnow())
        snapshot = db.scalars(select(PortfolioSnapshot).filter_by(course_id=course.id,
                                                                  learner_id=users["learner_a"].id)).first()
        assert snapshot is not None, "learner A's portfolio was not compiled"
        pdf = EvidenceFile("cv.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")
        piece = add_piece(db, course, users["learner_a"], codes=["DS601.01"], titles={"DS601.01": "DS601.01"},
                          account="My own work", link=None, files=[pdf], limits=Limits(2**20, 5),
                          base_url="http://tool.test", now=utcnow(), clock=utcnow)
        db.commit()
        return World(course.id, other.id, {k: u.id for k, u in users.items()}, package.id, snapshot.number,
                     piece.id, piece.files[0]["sha2"])


@pytest.fixture
def world(app: Flask, standard: object, tmp_path: Path) -> Iterator[World]:
    yield build_world(app, tmp_path)


def sign_in(client: FlaskClient, world: World, persona: str) -> None:
    """The session a launch would have left, with a form token and a pending deep-linking request."""
    if persona == "anonymous":
        return
    course = world.other_course if persona == "other_coordinator" else world.course
    deep_link = DeepLinkRequest(ISSUER, "client", "1", persona, ISSUER + "/mod/lti/contentitem_return.php",
                                context_id="9" if persona == "other_coordinator" else "2")
    with client.session_transaction() as flask_session:
        flask_session[access.USER_KEY] = world.users[persona]
        flask_session[access.COURSE_KEY] = course
        flask_session[access.ADMIN_KEY] = [ISSUER] if persona == "admin" else []
        flask_session[access.LOCALE_KEY] = "en"
        flask_session[access.CSRF_KEY] = "t"
        flask_session[access.DEEP_LINK_KEY] = deep_link.as_dict()


def app_routes(app: Flask) -> list[tuple[str, str]]:
    found = {(rule.rule, method) for rule in app.url_map.iter_rules()
             for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}}
    last = {rule: n for n, rule in enumerate(LAST, 1)}
    return sorted(found, key=lambda rm: (last.get(rm[0], 0), rm[1] != "GET", rm))


def status_of(client: FlaskClient, method: str, path: str) -> int:
    response: TestResponse = client.open(path, method=method, data={"csrf": "t"} if method != "GET" else None)
    response.close()  # a file sent from disk (a static file, a package's page) is open until then
    return response.status_code


def test_every_route_has_a_decision(app: Flask) -> None:
    routes = set(app_routes(app))
    assert sorted(routes - set(DECISIONS)) == [], "new routes: add their decision to DECISIONS"
    assert sorted(set(DECISIONS) - routes) == [], "routes gone: remove them from DECISIONS"


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_route_allows_exactly_its_roles(app: Flask, world: World, persona: str) -> None:
    client = app.test_client()
    sign_in(client, world, persona)
    wrong = []
    for rule, method in app_routes(app):
        allowed = persona in DECISIONS[(rule, method)]
        for path in world.fill(rule):
            status = status_of(client, method, path)
            if status >= 500:
                wrong.append(f"{method} {path}: {status}")
            elif allowed and status in (401, 403):
                wrong.append(f"{method} {path}: {status}, but {persona} is allowed")
            elif not allowed and status != (401 if persona == "anonymous" else 403):
                wrong.append(f"{method} {path}: {status}, but {persona} must be refused")
            elif allowed and method == "GET" and rule.startswith(("/course/", "/api/courses/", "/api/learners/",
                                                                  "/content/")) and status >= 400:
                wrong.append(f"{method} {path}: {status}, {persona} should see it")
    assert wrong == []


def test_a_learner_reads_only_their_own_portfolio(app: Flask, world: World) -> None:
    """The matrix's decision for learner B made concrete: not A's page, not A's export, not through the API."""
    client = app.test_client()
    sign_in(client, world, "learner_b")
    a = world.users["learner_a"]
    for path in (f"/course/{world.course}/portfolios/{a}", f"/course/{world.course}/portfolios/{a}/export.json",
                 f"/api/learners/{a}/portfolio?course={world.course}", f"/api/courses/{world.course}/portfolios"):
        response = client.get(path)
        assert response.status_code == 403 and "Sam Student" not in response.get_data(as_text=True), path
    sign_in(client, world, "learner_a")
    own = client.get(f"/course/{world.course}/portfolios/{a}/export.json")
    assert own.status_code == 200 and own.get_json()["portfolio"]["learner"]["name"] == "Sam Student"


# --- the LRS at /xapi: credentials, never the browser's session -------------------------------------------

def lrs_requests() -> list[tuple[str, str, dict[str, Any]]]:
    """Every resource and method of the LRS, with the query its handler needs to get past its first checks."""
    agent = '{"account":{"homePage":"' + ISSUER + '","name":"3"}}'
    query = {"statements": {}, "activities": {"activityId": "https://example.test/a"},
             "agents": {"agent": agent}, "about": {},
             "activities/state": {"activityId": "https://example.test/a", "agent": agent, "stateId": "s"},
             "activities/profile": {"activityId": "https://example.test/a", "profileId": "p"},
             "agents/profile": {"agent": agent, "profileId": "p"}}
    return [(resource, method, query[resource]) for resource, method in sorted(LRS_ROUTES)]


def test_every_lrs_resource_has_a_decision() -> None:
    resources = {resource for resource, _ in LRS_ROUTES}
    assert resources == {"statements", "activities", "agents", "about", "activities/state", "activities/profile",
                         "agents/profile"}, "a new LRS resource: give it its query in lrs_requests"


@pytest.mark.parametrize("persona", [*PERSONAS, "lrs_key"])
def test_the_lrs_takes_credentials_not_sessions(app: Flask, world: World, persona: str) -> None:
    client = app.test_client()
    sign_in(client, world, persona if persona != "lrs_key" else "anonymous")
    sent = headers(*issue(app, "all", name="matrix")) if persona == "lrs_key" else {
        "X-Experience-API-Version": "1.0.3"}
    wrong = []
    for resource, method, query in lrs_requests():
        body = b"[]" if resource == "statements" else b"{}"
        response = client.open(f"/xapi/{resource}", method=method, query_string=query, data=body,
                               headers={**sent, "Content-Type": "application/json"})
        allowed = persona == "lrs_key" or resource == "about"
        status = response.status_code
        if status >= 500 or (allowed and status in (401, 403)) or (not allowed and status != 401):
            wrong.append(f"{method} /xapi/{resource}: {status} for {persona}")
    assert wrong == []


def test_decisions_name_only_known_personas() -> None:
    assert all(allowed <= PUBLIC for allowed in DECISIONS.values())
