"""The coverage_progress cache never changes a result: after additions, a voiding and a mapping change,
course_reach and the coverage API answer exactly what a from-scratch read of every statement gives; and
coordinators loading the page at the same moment all get it."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

import lti
from plugin.coverage import entries_reached
from plugin.evidence import CourseReach, actor_key, course_reach, course_statements
from plugin.launch.access import USER_KEY
from plugin.mapping.files import load_mapping
from plugin.mapping.model import CourseMapping, Rule
from plugin.mapping.rules import VOIDED_VERB, ActivityIndex
from plugin.mapping.store import current_mapping, save_mapping, standard_index
from plugin.models import Course, Enrolment, User
from plugin.models.mapping import CoverageProgress
from xapi.prepare import prepare_statement, to_micros
from xapi.store import store_statements

ROOT = Path(__file__).resolve().parent.parent
LAB = "http://127.0.0.1:8081"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def lab_statements(user: str, name: str | None = None) -> list[dict[str, Any]]:
    """The Moodle 4.5 log store's quiz and assignment statements, as Moodle user ``user``."""
    data = json.loads((ROOT / "tests" / "fixtures" / "moodle-4.5" / "xapi-quiz-assign.json").read_text("utf-8"))
    out = []
    for item in data["statements"]:
        statement = copy.deepcopy(item["statement"])
        statement.pop("id", None)
        statement["actor"] = {"account": {"homePage": LAB, "name": user}, **({"name": name} if name else {})}
        out.append(statement)
    return out


def store(session: Session, statements: list[dict[str, Any]], at: datetime) -> list[str]:
    prepared = [prepare_statement(s, new_id=lambda: str(uuid.uuid4()), stored_us=to_micros(at) + n,
                                  authority={"mbox": "mailto:lrs@example.org"}, version="1.0.3")
                for n, s in enumerate(statements)]
    ids = store_statements(session, prepared, set())
    session.commit()
    return ids


def from_scratch(session: Session, course: Course, mapping: CourseMapping) -> dict[str, Any]:
    """The reference: every statement read again through course_statements, grouped by actor."""
    evidence = course_statements(session, course, mapping, learners=[])
    index, actors, names, others = ActivityIndex(mapping), {}, {}, []
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for statement in evidence.unmatched:
        key = actor_key(statement.get("actor"))
        if key is not None:
            grouped.setdefault(key, []).append(statement)
        if key is None or key[0] != LAB:
            others.append(statement["id"])
    for key, statements in grouped.items():
        met, touched = entries_reached(index, statements)
        actors[key] = (met, touched - met)
        names[key] = statements[0]["actor"].get("name")
    return {"actors": actors, "names": names, "others": others}


def as_reference(reach: CourseReach) -> dict[str, Any]:
    return {"actors": {k: (a.met, a.touched - a.met) for k, a in reach.actors.items()},
            "names": {k: a.name for k, a in reach.actors.items()},
            "others": [summary["id"] for _, _, summary in reach.others]}


def cache_row(session: Session, course: Course) -> CoverageProgress:
    session.expire_all()
    return session.scalars(select(CoverageProgress).filter_by(course_id=course.id)).one()


def make_course(session: Session, learners: int = 2) -> tuple[Course, CourseMapping, User]:
    course = Course(issuer=LAB, context_id="2", title="Lab", updated_at=T0)
    session.add(course)
    session.flush()
    for i in range(learners + 1):  # Moodle users 3, 4 …; the last one teaches
        user = User(issuer=LAB, subject=str(3 + i), name=f"User {3 + i}", created_at=T0,
                    xapi_actor={"account": {"homePage": LAB, "name": str(3 + i)}})
        session.add(user)
        session.flush()
        role = lti.ROLE_INSTRUCTOR if i == learners else lti.ROLE_LEARNER
        session.add(Enrolment(course_id=course.id, user_id=user.id, source="nrps", updated_at=T0, roles=[role]))
    index = standard_index(session)
    text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8")
    save_mapping(session, course, load_mapping(text, standard=index), index, author=None, now=T0, source="file")
    session.commit()
    mapping = current_mapping(session, course, index)
    assert mapping is not None
    return course, mapping, user


def test_cached_reach_equals_a_full_read_through_additions_voiding_and_mapping_changes(
    session: Session, standard: object
) -> None:
    course, mapping, _ = make_course(session)
    stranger = {"actor": {"mbox": "mailto:visitor@example.org"}, "verb": {"id": "http://id.tincanapi.com/verb/viewed"},
                "object": {"id": f"{LAB}/mod/page/view.php?id=3"},
                "context": {"contextActivities": {"parent": [{"id": f"{LAB}/course/view.php?id=2"}]}}}
    first = store(session, [*lab_statements("3", "Sam"), stranger], T0)

    reach = course_reach(session, course, mapping, now=T0 + HOUR)
    assert as_reference(reach) == from_scratch(session, course, mapping)
    assert reach.actors[(LAB, "3")].met and reach.actors[(LAB, "3")].name == "Sam"
    assert [s["actor"] for _, _, s in reach.others] == [stranger["actor"]]
    row = cache_row(session, course)
    # The watermark is the LRS's Consistent-Through when the request read: the clock's moment, less 1 µs.
    assert to_micros(T0) < row.watermark_us <= to_micros(datetime.now(UTC)) and row.generation == 1

    # Additions after the watermark (a statement still being written is stored after it, see
    # tests/test_lrs_server.py): the row grows by them alone, and still answers as a full read does.
    store(session, lab_statements("5"), datetime.now(UTC))
    store(session, [*lab_statements("4"), *lab_statements("9", "Nine")], datetime.now(UTC))
    reach = course_reach(session, course, mapping, now=T0 + 3 * HOUR)
    assert as_reference(reach) == from_scratch(session, course, mapping)
    assert {(LAB, "3"), (LAB, "4"), (LAB, "5"), (LAB, "9")} <= set(reach.actors)
    assert cache_row(session, course).generation == 2
    # Nothing new: the same answer from the row alone.
    assert as_reference(course_reach(session, course, mapping, now=T0 + 3 * HOUR)) == as_reference(reach)

    # Voiding every statement of learner 3 that met an entry takes the evidence away again.
    index = ActivityIndex(mapping)
    met = [sid for sid, s in zip(first, lab_statements("3"), strict=False)
           if any(index.relations(s).values())]
    assert met
    voids = [{"actor": {"mbox": "mailto:teacher@example.org"}, "verb": {"id": VOIDED_VERB},
              "object": {"objectType": "StatementRef", "id": sid}} for sid in met]
    store(session, voids, datetime.now(UTC))
    reach = course_reach(session, course, mapping, now=T0 + 5 * HOUR)
    assert as_reference(reach) == from_scratch(session, course, mapping)
    assert not reach.actors[(LAB, "3")].met
    # Seen once, the voiding does not make every later request read everything again.
    generation = cache_row(session, course).generation
    course_reach(session, course, mapping, now=T0 + 4 * HOUR + timedelta(minutes=1))
    assert cache_row(session, course).generation == generation

    # A new mapping (a lower quiz threshold) is counted afresh.
    lower = tuple(replace(e, rule=Rule("score", threshold=0.1)) if e.rule.kind == "score" else e
                  for e in mapping.entries)
    changed = replace(mapping, entries=lower, version=mapping.version + 1)
    key = cache_row(session, course).mapping_key
    reach = course_reach(session, course, changed, now=T0 + 6 * HOUR)
    assert as_reference(reach) == from_scratch(session, course, changed)
    assert cache_row(session, course).mapping_key != key


def test_api_answers_the_same_from_the_cache_and_to_coordinators_at_once(app: Flask, standard: object) -> None:
    with app.extensions["samattha.sessionmaker"]() as db:
        course, _, teacher = make_course(db, learners=3)
        now = datetime.now(UTC)
        store(db, [*lab_statements("3", "Sam"), *lab_statements("9")], now - 3 * HOUR)
        store(db, lab_statements("4"), now)
        course_pk, teacher_pk = course.id, teacher.id
    path = f"/api/courses/{course_pk}/coverage"

    def fetch(results: list[Any]) -> None:
        client = app.test_client()
        with client.session_transaction() as flask_session:
            flask_session[USER_KEY] = teacher_pk
        response = client.get(path)
        results.append((response.status_code, response.get_json()))

    results: list[Any] = []
    threads = [threading.Thread(target=fetch, args=(results,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [200] * 4
    document = results[0][1]
    assert all(body == document for _, body in results)
    learners = {row["id"]: row for row in document["learners"]}
    with app.extensions["samattha.sessionmaker"]() as db:  # seen only in the LRS: enrolled once, as a learner
        [nine] = db.scalars(select(User.id).where(User.subject == "9")).all()
    assert learners[str(nine)]["launched"] is False
    assert "evidenced" in learners[str(nine)]["criteria"].values()

    fetch(results)  # from the row
    with app.extensions["samattha.sessionmaker"]() as db:
        db.execute(delete(CoverageProgress).where(CoverageProgress.course_id == course_pk))
        db.commit()
    fetch(results)  # from every statement again
    assert results[-2] == results[-1] == (200, document)
