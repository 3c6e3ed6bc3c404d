"""Issue 17's first "done when": a course whose learners come only from Moodle's log store (no launch, no NRPS)
has the same learners in coverage, in the compiled portfolios, on the assessor's list, in the API and in the
export, and a teacher's own statements make no learner of them."""

from __future__ import annotations

import copy
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plugin.cli import main
from plugin.clock import utcnow
from plugin.evidence import course_reach
from plugin.launch.access import USER_KEY
from plugin.launch.repository import appoint_assessor
from plugin.mapping import store
from plugin.models import Course, Enrolment, User
from plugin.portfolios.run import compile_all
from tests.test_portfolio_cli import cli_env
from tests.test_portfolio_run import LAB, course, lab_statements, post

assert course and post and cli_env  # fixtures

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
MOODLE_USERS = ("21", "22", "23")


def _as(subject: str, statement: dict[str, Any]) -> dict[str, Any]:
    moved = copy.deepcopy(statement)
    moved.pop("id", None)
    moved["actor"] = {"account": {"homePage": LAB, "name": subject}, "name": f"ผู้เรียน {subject}"}
    return moved


def _signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session[USER_KEY] = user.id
    return client


def test_learners_seen_only_in_the_lrs_are_learners_everywhere(
        app: Flask, session: Session, course: Course, post: Any, cli_env: None, tmp_path: Path) -> None:
    # Nobody from the fixture's roster: only the teacher, who launched, and the log store's stream.
    session.execute(delete(Enrolment).where(Enrolment.course_id == course.id))
    teacher = User(issuer=LAB, subject="2", name="ครูผู้สอน", created_at=course.updated_at,
                   xapi_actor={"objectType": "Agent", "account": {"homePage": LAB, "name": "2"}})
    assessor = User(issuer=LAB, subject="30", name="ผู้ประเมิน", created_at=course.updated_at)
    session.add_all([teacher, assessor])
    session.flush()
    for user in (teacher, assessor):
        session.add(Enrolment(course_id=course.id, user_id=user.id, roles=[INSTRUCTOR], launch_roles=[INSTRUCTOR],
                              source="launch", updated_at=course.updated_at))
    appoint_assessor(session, course, assessor, by=teacher, now=course.updated_at)
    session.commit()
    statements = lab_statements()
    post([_as(subject, s) for subject in MOODLE_USERS for s in statements] + [_as("2", statements[0])])

    compiled = CliRunner().invoke(main, ["portfolios", "compile"])
    assert compiled.exit_code == 0, compiled.output
    assert "LTI Lab Course: 3 due, 3 compiled, 3 new snapshots" in compiled.output

    coordinator = _signed_in(app, teacher)
    coverage = coordinator.get(f"/api/courses/{course.id}/coverage").get_json()
    learners = session.scalars(select(User).where(User.subject.in_(MOODLE_USERS)).order_by(User.subject)).all()
    ids = {str(user.id) for user in learners}
    assert {row["id"] for row in coverage["learners"]} == ids
    assert {row["name"] for row in coverage["learners"]} == {f"ผู้เรียน {s}" for s in MOODLE_USERS}

    listed = _signed_in(app, assessor).get(f"/course/{course.id}/portfolios").get_data(as_text=True)
    assert set(re.findall(rf"/course/{course.id}/portfolios/(\d+)\"", listed)) == ids
    api = coordinator.get(f"/api/courses/{course.id}/portfolios").get_json()
    assert {p["portfolio"]["learner"]["id"] for p in api["portfolios"]} == ids

    out = tmp_path / "course.zip"
    exported = CliRunner().invoke(main, ["portfolios", "export", "--course", "2", "--format", "json",
                                         "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    with zipfile.ZipFile(out) as archive:
        index = json.loads(archive.read("index.json"))
    assert {entry["learner"] for entry in index["portfolios"]} == ids


def test_a_compile_finds_the_same_lrs_learners_and_names_as_coverage_reads(
        session: Session, course: Course, post: Any) -> None:
    """The compile finds Moodle users seen only in the LRS through its indexes (plugin.portfolios.seen), coverage
    by reading every statement (plugin.evidence.course_reach); both must give the same people and names."""
    base = lab_statements()[1]  # a quiz viewed, inside the course
    other_site = copy.deepcopy(base) | {"actor": {"account": {"homePage": "https://other.example", "name": "41"}}}
    by_mail = copy.deepcopy(base) | {"actor": {"mbox": "mailto:someone@example.org"}}
    slash = copy.deepcopy(base) | {"actor": {"account": {"homePage": LAB + "/", "name": "42"}, "name": "Slash"}}
    for statement in (other_site, by_mail, slash):
        statement.pop("id", None)
    voided_only = _as("43", base) | {"id": "00000000-0000-4000-8000-000000000043"}
    post([_as("21", base) | {"timestamp": "2026-11-01T08:00:00Z"}, other_site, by_mail, slash, voided_only])
    post([_as("21", base) | {"actor": {"account": {"homePage": LAB, "name": "21"}, "name": "Renamed later"}}])
    post([{"actor": {"account": {"homePage": LAB, "name": "2"}}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
           "object": {"objectType": "StatementRef", "id": voided_only["id"]}}])

    run, _ = compile_all(session, now=utcnow())
    assert run.message == ""
    by_compile = {user.subject: user.name for user in session.scalars(
        select(User).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course.id, Enrolment.source == "lrs"))}

    mapping = store.current_mapping(session, course, store.standard_index(session))
    assert mapping is not None
    reach = course_reach(session, course, mapping)
    by_coverage = {name: actor.name for (home, name), actor in reach.actors.items() if home == LAB}
    by_coverage = {subject: name for subject, name in by_coverage.items() if subject not in ("3", "4", "5", "6", "7")}
    assert by_compile == by_coverage == {"21": "ผู้เรียน 21", "42": "Slash"}

    # A later run reads only what came since the last one, and still finds a newcomer.
    post([_as("44", base)])
    run, _ = compile_all(session, now=utcnow())
    assert run.message == "" and run.learners_compiled == 1
    assert session.scalars(select(User.name).join(Enrolment, Enrolment.user_id == User.id).where(
        Enrolment.course_id == course.id, User.subject == "44")).one() == "ผู้เรียน 44"
