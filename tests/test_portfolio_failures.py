"""No statement can stop a compile run: a number no double can hold is not a score, and a learner whose
compile fails for any other reason is recorded as failed, retried next run, and shown, while every other
learner and course is compiled."""

from __future__ import annotations

import copy
from typing import Any

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.cli import main
from plugin.models import Course
from plugin.models.portfolios import CompileState
from plugin.portfolios import repository
from plugin.portfolios.run import compile_all
from tests.test_portfolio_cli import cli_env
from tests.test_portfolio_run import course, document, lab_statements, learner, post, status
from xapi.models import Statement

assert course and post and cli_env  # fixtures shared with test_portfolio_run and test_portfolio_cli

HUGE = int("9" * 401)


def _as(subject: str, statement: dict[str, Any]) -> dict[str, Any]:
    moved = copy.deepcopy(statement)
    moved.pop("id", None)
    moved["actor"]["account"]["name"] = subject
    return moved


def test_a_score_no_double_can_hold_is_not_a_score(session: Session, course: Course, post: Any) -> None:
    statements = lab_statements()
    post(statements)
    quiz = next(s for s in statements if (s.get("result") or {}).get("score", {}).get("raw") is not None)
    poisoned = _as("4", quiz)
    poisoned["result"]["score"] = {"raw": HUGE, "min": 0, "max": HUGE * 10}
    post([poisoned, _as("5", quiz)])
    run, _ = compile_all(session, now=repository_now())
    assert run.status == "finished" and run.learners_compiled == 5
    # Learner 5's copy of the quiz counts as it does for learner 3; learner 4's cannot be read as a score.
    assert status(document(session, course, "5"), "DS601.01") == status(document(session, course, "3"), "DS601.01")
    assert document(session, course, "4")["evidence"]


def repository_now() -> Any:
    from plugin.clock import utcnow
    return utcnow()


def _break_one_statement_of(session: Session, subject: str) -> str:
    """A stored statement of the learner's that no longer parses, as a damaged row would."""
    user = learner(session, subject)
    home, name = user.xapi_actor["account"]["homePage"], user.xapi_actor["account"]["name"]
    rows = session.execute(select(Statement.statement_id, Statement.raw)).all()
    target = next(sid for sid, raw in rows if f'"name":"{name}"' in raw.replace(" ", "") and home in raw)
    session.execute(update(Statement).where(Statement.statement_id == target).values(raw='{"broken'))
    session.commit()
    return target


def test_a_learner_whose_compile_fails_is_reported_and_the_others_are_compiled(
        app: Flask, session: Session, course: Course, post: Any, cli_env: None) -> None:
    statements = lab_statements()
    post(statements + [_as("4", s) for s in statements])
    broken = _break_one_statement_of(session, "4")
    runner = CliRunner()
    result = runner.invoke(main, ["portfolios", "compile"])
    assert result.exit_code == 1, result.output
    four = learner(session, "4")
    assert f"1 FAILED (the next run tries them again):\n    learner {four.id}: " in result.output
    assert "1 learner could not be compiled" in result.output
    # Everyone else has a portfolio; learner 4 has none yet and stays due.
    for subject in ("3", "5", "6", "7"):
        assert repository.latest_snapshot(session, course, learner(session, subject).id) is not None
    assert repository.latest_snapshot(session, course, four.id) is None
    failures = repository.compile_failures(session, course)
    assert [(user.id, error.split(":")[0]) for user, error in failures] == [(four.id, "JSONDecodeError")]
    # The coordinator's course page says so.
    teacher = _coordinator(app, session, course)
    page = teacher.get(f"/course/{course.id}/coordinator").get_data(as_text=True)
    assert 'id="compile-failures"' in page and four.display_name in page
    # Mended, the next run (with nothing else new) compiles learner 4 and the failure is gone.
    session.execute(update(Statement).where(Statement.statement_id == broken)
                    .values(raw=next(r for sid, r in _raws(session) if sid != broken)))
    session.commit()
    again = runner.invoke(main, ["portfolios", "compile"])
    assert again.exit_code == 0, again.output
    assert repository.latest_snapshot(session, course, four.id) is not None
    assert repository.compile_failures(session, course) == []
    assert session.scalar(select(CompileState.error).where(CompileState.learner_id == four.id)) is None


def _raws(session: Session) -> list[tuple[str, str]]:
    return [(sid, raw) for sid, raw in session.execute(select(Statement.statement_id, Statement.raw))]


def _coordinator(app: Flask, session: Session, course: Course) -> Any:
    from plugin.launch.access import USER_KEY
    from plugin.models import Enrolment, User

    teacher = User(issuer=course.issuer, subject="teacher", name="ครู", created_at=repository_now())
    session.add(teacher)
    session.flush()
    session.add(Enrolment(course_id=course.id, user_id=teacher.id, source="launch", updated_at=repository_now(),
                          roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]))
    session.commit()
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session[USER_KEY] = teacher.id
    return client
