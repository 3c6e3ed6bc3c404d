"""Compilation runs on the real database: statements posted to our LRS, the mapping saved, snapshots stored.

End to end (criterion states and evidence), idempotency, incremental runs, voiding, and a run interrupted
half-way giving the same hashes as an uninterrupted one, and worker processes compiling exactly the same."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from plugin.clock import utcnow
from plugin.evidence import LEARNER_ROLE, course_reach
from plugin.mapping import store
from plugin.mapping.files import load_mapping
from plugin.models import Course, Enrolment, User
from plugin.models.caseload import SnapshotSummary, UnitSummary
from plugin.models.mapping import CoverageProgress
from plugin.models.portfolios import CompileRun, CompileState, PortfolioSnapshot
from plugin.portfolios import SAMATTHA_PACKAGE_EXTENSION, CourseName, parallel, repository
from plugin.portfolios.run import compile_all
from plugin.portfolios.scheduler import scheduled_run
from tests.lrs_support import headers, issue

ROOT = Path(__file__).resolve().parent.parent
LAB = "http://127.0.0.1:8081"
PACKAGE = "https://samattha.dev/content/dg-opsr-023/ds602"
SCORED = "3e55ca1e-7ed5-498e-93f6-fc5a82660b81"  # the teacher's grade of the assignment, cmid 5


def lab_statements() -> list[dict[str, Any]]:
    data = json.loads((ROOT / "tests" / "fixtures" / "moodle-4.5" / "xapi-quiz-assign.json").read_text("utf-8"))
    return [item["statement"] for item in data["statements"]]


def package_statement(subject: str, number: int, success: bool) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{number:012d}",
        "actor": {"objectType": "Agent", "account": {"homePage": LAB, "name": subject}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/" + ("passed" if success else "failed"),
                 "display": {"en-US": "passed" if success else "failed"}},
        "object": {"id": PACKAGE, "definition": {"name": {"th": "บทเรียน: การรับฟังข้อเสนอแนะ"}}},
        "result": {"success": success, "score": {"scaled": 0.9 if success else 0.3}},
        "context": {"extensions": {SAMATTHA_PACKAGE_EXTENSION: "ds602-service-feedback@1.0.0"}},
        "timestamp": "2026-11-22T08:00:00+07:00",
    }


@pytest.fixture
def course(app: Flask, session: Session, standard: object) -> Iterator[Course]:
    now = utcnow()
    course = Course(issuer=LAB, context_id="2", title="LTI Lab Course", updated_at=now)
    session.add(course)
    for subject in ("3", "4", "5", "6", "7"):
        user = User(issuer=LAB, subject=subject, name=f"Learner {subject}", created_at=now,
                    xapi_actor={"objectType": "Agent", "account": {"homePage": LAB, "name": subject}})
        session.add(user)
        session.flush()
        session.add(Enrolment(course_id=course.id, user_id=user.id, roles=[LEARNER_ROLE], source="launch",
                              updated_at=now))
    index = store.standard_index(session)
    mapping = load_mapping((ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8"), standard=index)
    store.save_mapping(session, course, mapping, index, author=None, now=now, source="file")
    session.commit()
    yield course


@pytest.fixture
def post(app: Flask, client: FlaskClient) -> Any:
    key, secret = issue(app, "all")

    def send(statements: list[dict[str, Any]]) -> None:
        response = client.post("/xapi/statements", json=statements, headers=headers(key, secret))
        assert response.status_code == 200, response.get_data(as_text=True)

    return send


def learner(session: Session, subject: str) -> User:
    return session.scalars(select(User).where(User.subject == subject)).one()


def document(session: Session, course: Course, subject: str) -> dict[str, Any]:
    snapshot = repository.latest_snapshot(session, course, learner(session, subject).id)
    assert snapshot is not None
    return snapshot.document


def status(doc: dict[str, Any], code: str) -> str:
    for unit in doc["units"]:
        for element in unit["elements"]:
            for criterion in element["criteria"]:
                if criterion["code"] == code:
                    return str(criterion["status"])
        for item in unit["knowledge_evidence"] + unit["performance_evidence"]:
            if item["code"] == code:
                return str(item["status"])
    raise KeyError(code)


def evidence_ids(doc: dict[str, Any]) -> set[str]:
    return {piece["statement"] if "statement" in piece else piece["id"] for piece in doc["evidence"]}


def hashes(session: Session) -> dict[tuple[int, int], str]:
    rows = session.execute(select(PortfolioSnapshot.learner_id, PortfolioSnapshot.number,
                                  PortfolioSnapshot.content_hash))
    return {(learner_id, number): digest for learner_id, number, digest in rows}


def test_compile_stores_exact_portfolios_and_is_idempotent(session: Session, course: Course, post: Any) -> None:
    post(lab_statements() + [package_statement("3", 1, True), package_statement("4", 2, False)])
    run, figures = compile_all(session, now=utcnow())
    assert run.status == "finished" and run.learners_compiled == 5 and run.snapshots_created == 5
    assert run.statements_read == 14 and figures[0].due == 5

    mine = document(session, course, "3")
    assert [status(mine, c) for c in ("DS601.01", "DS601.02", "DS601.03", "DG101.01", "DG101.02")] == ["evidenced"] * 5
    assert status(mine, "DG102.01") == "none" and status(mine, "DS602.01") == "evidenced"
    assert status(mine, "DG-OPSR-023.KE2") == "evidenced" and status(mine, "DG-OPSR-023.KE3") == "none"
    sources = {e["source"] for e in mine["evidence"]}
    assert sources == {"moodle", "samattha"}
    assert SCORED in evidence_ids(mine)
    assert "084d4d18-e7e2-4771-b2dd-876cca2164b2" not in evidence_ids(mine)  # the login: no mapped activity
    other = document(session, course, "4")
    assert status(other, "DS602.01") == "some" and status(other, "DS601.01") == "none"
    assert len(other["evidence"]) == 1
    assert status(document(session, course, "5"), "DS602.01") == "none"
    newest = repository.latest_snapshot(session, course, learner(session, "3").id)
    assert newest is not None and newest.number == 1 and newest.mapping_version == 1
    assert run.watermark_us is not None and newest.as_of.replace(tzinfo=None) == run.as_of.replace(tzinfo=None)

    before = hashes(session)
    again, _ = compile_all(session, now=utcnow())
    assert again.learners_compiled == 0 and hashes(session) == before
    full, _ = compile_all(session, now=utcnow(), full=True)  # nothing new stored: same as_of, same hashes
    assert full.learners_compiled == 5 and full.snapshots_created == 0 and hashes(session) == before


def test_incremental_and_voiding(session: Session, course: Course, post: Any) -> None:
    post(lab_statements() + [package_statement("4", 2, False)])
    compile_all(session, now=utcnow())
    before = hashes(session)

    post([package_statement("4", 3, True)])
    run, _ = compile_all(session, now=utcnow())
    assert run.learners_compiled == 1 and run.snapshots_created == 1
    assert status(document(session, course, "4"), "DS602.01") == "evidenced"
    assert {k: v for k, v in hashes(session).items() if k[1] == 1} == before  # nobody else touched

    # The teacher voids the grade: the voiding statement's actor is not the learner, the target's is.
    teacher = {"objectType": "Agent", "account": {"homePage": LAB, "name": "2"}}
    post([{"actor": teacher, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
           "object": {"objectType": "StatementRef", "id": SCORED}}])
    run, _ = compile_all(session, now=utcnow())
    assert run.learners_compiled == 1 and run.snapshots_created == 1
    mine = document(session, course, "3")
    assert SCORED not in evidence_ids(mine)
    assert status(mine, "DG101.01") == "some"  # the submission is still there; the grade that counted is not
    history = repository.snapshot_history(session, course, learner(session, "3").id)
    assert [s.number for s in history] == [2, 1]
    assert SCORED in evidence_ids(history[1].document)  # the earlier snapshot is kept as it was


def test_a_mapping_change_recompiles_the_course(session: Session, course: Course, post: Any) -> None:
    post(lab_statements())
    compile_all(session, now=utcnow())
    index = store.standard_index(session)
    text = (ROOT / "mappings" / "example-dg-opsr-023.toml").read_text("utf-8")
    changed = load_mapping(text.replace('threshold = 0.6 }', 'threshold = 0.9 }'), standard=index)
    store.save_mapping(session, course, changed, index, author=None, now=utcnow(), source="file")
    session.commit()
    run, _ = compile_all(session, now=utcnow())
    assert run.learners_compiled == 5
    mine = document(session, course, "3")
    assert mine["course"]["mapping_version"] == 2 and status(mine, "DG101.01") == "some"  # 0.85 < 0.9


def test_an_interrupted_run_is_completed_with_the_same_hashes(session: Session, course: Course, post: Any) -> None:
    post(lab_statements() + [package_statement(s, n, n % 2 == 0) for n, s in enumerate("34567", start=10)])
    compile_all(session, now=utcnow(), batch=2)
    uninterrupted = hashes(session)
    # The same LRS, nothing compiled yet (a snapshot's summaries go with it).
    for table in (UnitSummary, SnapshotSummary, PortfolioSnapshot, CompileState, CompileRun):
        session.execute(delete(table))
    session.commit()

    def stop_after_first_batch(_course: Course, done: int, _total: int) -> None:
        raise KeyboardInterrupt  # Ctrl+C on `samattha portfolios compile`, after the first batch committed

    with pytest.raises(KeyboardInterrupt):
        compile_all(session, now=utcnow(), batch=2, progress=stop_after_first_batch)
    assert session.scalar(select(func.count()).select_from(PortfolioSnapshot)) == 2
    failed = session.scalars(select(CompileRun)).one()
    assert failed.status == "failed" and failed.learners_compiled == 2

    run, _ = compile_all(session, now=utcnow(), batch=2)
    assert run.learners_compiled == 3 and hashes(session) == uninterrupted


def test_worker_processes_compile_exactly_what_the_run_stored(session: Session, course: Course, post: Any) -> None:
    post(lab_statements() + [package_statement(s, n, n % 2 == 0) for n, s in enumerate("34567", start=10)])
    run, _ = compile_all(session, now=utcnow(), workers=1)
    stored = {s.learner_id: s.content_hash for s in repository.snapshots_for_course(session, course)}
    assert len(stored) == 5
    standard = store.standard_index(session)
    mapping = store.current_mapping(session, course, standard)
    assert mapping is not None
    jobs = []
    for user in session.scalars(select(User).order_by(User.id)):
        ifi = f"account::{user.subject}@{LAB}"  # how the LRS indexes the lab's Moodle accounts
        jobs.append(parallel.Job(user.id, user.display_name, user.xapi_actor, run.as_of, [ifi]))
    names = CourseName(course.title, course.label)
    session.commit()
    with parallel.pool(mapping, standard, names, session.connection, size=2, jobs=parallel.MIN_JOBS) as compiler:
        assert compiler.processes is not None  # two spawned interpreters, each reading the database, do the work
        shared = compiler.start(jobs).wait()
    assert [c.learner_id for c in shared] == [job.learner_id for job in jobs]  # job order kept
    assert {c.learner_id: c.content_hash for c in shared} == stored
    assert sum(c.statements for c in shared) == run.statements_read
    assert shared == parallel.compile_jobs(mapping, standard, names, jobs, session.connection())


def test_the_schedule_also_brings_coverage_up_to_date(app: Flask, session: Session, course: Course,
                                                      post: Any) -> None:
    """After a scheduled run the course's coverage row already holds every learner's reach, so a
    coordinator's first page view does not read the whole course."""
    post(lab_statements() + [package_statement("3", 1, True)])
    messages: list[str] = []
    scheduled_run(app.extensions["samattha.sessionmaker"], messages.append, base_url="http://tool.test")
    assert len(messages) == 1 and session.scalar(select(func.count()).select_from(PortfolioSnapshot)) == 5
    session.expire_all()
    row = session.scalars(select(CoverageProgress).where(CoverageProgress.course_id == course.id)).one()
    assert row.mapping_key and row.watermark_us > 0
    mapping = store.current_mapping(session, course, store.standard_index(session))
    assert mapping is not None
    cached = course_reach(session, course, mapping).actors[(LAB, "3")]
    assert cached.met  # Sam's quiz and package statements met mapped entries


def test_compile_workers_default_to_the_cpus_and_refuse_nonsense() -> None:
    assert parallel.workers({}) == len(os.sched_getaffinity(0))
    assert parallel.workers({"SAMATTHA_COMPILE_WORKERS": "3"}) == 3
    for bad in ("0", "two", "-1"):
        with pytest.raises(ValueError, match="SAMATTHA_COMPILE_WORKERS"):
            parallel.workers({"SAMATTHA_COMPILE_WORKERS": bad})
