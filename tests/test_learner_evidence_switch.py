"""A coordinator switches learner-submitted evidence off and on for a course, in its mapping: the learner is told
and refused, the portfolio stops counting the pieces (which stay in the LRS) and counts them again; and the
coordinator's coverage counts a learner's piece exactly as the learner's portfolio does, on and off."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugin.clock import utcnow
from plugin.mapping.editor_form import build_mapping, slots_of
from plugin.mapping.files import dump_mapping, load_mapping
from plugin.models import Course
from plugin.models.learner_evidence import EvidencePiece
from plugin.models.portfolios import PortfolioSnapshot
from plugin.portfolios.run import compile_all
from tests.test_authorization_matrix import World, build_world
from tests.test_learner_evidence_web import _client
from tests.test_mapping_files import EXAMPLE, STANDARD, problems_of
from xapi.models import Statement


def test_the_mapping_file_carries_the_switch_and_older_files_read_back_unchanged() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    mapping = load_mapping(text, standard=STANDARD)
    assert mapping.learner_evidence and "learner_evidence" not in dump_mapping(mapping)
    off = text.replace("[course]\n", "[course]\nlearner_evidence = false\n", 1)
    switched = load_mapping(off, standard=STANDARD)
    assert not switched.learner_evidence and "learner_evidence = false" in dump_mapping(switched)
    assert load_mapping(dump_mapping(switched), standard=STANDARD) == switched
    # Saving the editor's form keeps the switch as it is: the form does not carry it.
    course = Course(issuer="http://127.0.0.1:8081", context_id="2", title="", updated_at=utcnow())
    saved, general = build_mapping(course, slots_of(switched), STANDARD, switched)
    assert saved is not None and not general and not saved.learner_evidence
    [problem] = problems_of(text.replace("[course]\n", '[course]\nlearner_evidence = "no"\n', 1))
    assert problem.field == "course.learner_evidence" and "true or false" in problem.message and problem.line


def _add(client: FlaskClient, world: World, code: str) -> Any:
    return client.post(f"/course/{world.course}/evidence", content_type="multipart/form-data",
                       data={"csrf": "t", "codes": [code], "account": "ฉันตรวจสอบบันทึกการประชุมของกอง",
                             "files": [(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "report.pdf")]})


def _compiled(app: Flask, world: World) -> dict[str, Any]:
    with app.extensions["samattha.sessionmaker"]() as db:
        compile_all(db, now=utcnow())
        snapshot = db.scalars(select(PortfolioSnapshot).filter_by(course_id=world.course,
                                                                  learner_id=world.users["learner_a"])
                              .order_by(PortfolioSnapshot.number.desc())).first()
        assert snapshot is not None
        return snapshot.document


def _statuses(document: dict[str, Any]) -> dict[str, str]:
    return {c["code"]: c["status"] for u in document["units"] for e in u["elements"] for c in e["criteria"]}


def _agree(app: Flask, world: World, coordinator: FlaskClient) -> dict[str, str]:
    """Learner A's criteria as their compiled portfolio has them, once checked against the coordinator's
    coverage of learner A."""
    portfolio = _statuses(_compiled(app, world))
    coverage = coordinator.get(f"/api/courses/{world.course}/coverage").get_json()
    [mine] = [row for row in coverage["learners"] if row["id"] == str(world.users["learner_a"])]
    assert mine["criteria"] == portfolio
    return portfolio


def _switch(client: FlaskClient, world: World, value: str) -> None:
    answer = client.post(f"/course/{world.course}/mapping/learner-evidence",
                         data={"csrf": "t", "learner_evidence": value})
    assert answer.status_code == 303, answer.get_data(as_text=True)


def test_switched_off_the_learner_is_told_and_refused_and_nothing_counts_until_it_is_back_on(
        app: Flask, standard: object, tmp_path: Path) -> None:
    world = build_world(app, tmp_path)
    learner = _client(app, world, "learner_a", "en")
    coordinator = _client(app, world, "coordinator", "th")
    untouched = next(code for code, status in _statuses(_compiled(app, world)).items()
                     if status == "none" and code != "DS601.01")
    assert _add(learner, world, untouched).status_code == 303
    assert _agree(app, world, coordinator)[untouched] == "evidenced"

    _switch(coordinator, world, "off")
    editor = coordinator.get(f"/course/{world.course}/mapping").get_data(as_text=True)
    assert 'data-on="false"' in editor and "ปิดอยู่" in editor
    assert "ปิดการรับหลักฐานที่ผู้เรียนเพิ่มเอง" in coordinator.get(
        f"/course/{world.course}/mapping/history").get_data(as_text=True)
    history = _client(app, world, "coordinator", "en").get(f"/course/{world.course}/mapping/history")
    assert "Switched off evidence learners add themselves" in history.get_data(as_text=True)
    thai = _client(app, world, "learner_a", "th").get(f"/course/{world.course}/evidence").get_data(as_text=True)
    assert "รายวิชานี้ไม่รับหลักฐานที่ผู้เรียนเพิ่มเอง" in thai and 'id="add-evidence"' not in thai
    own = learner.get(f"/course/{world.course}/my-portfolio").get_data(as_text=True)
    assert "This course does not take evidence you add yourself." in own and "/evidence?for=" not in own
    with app.extensions["samattha.sessionmaker"]() as db:
        pieces = db.scalar(select(func.count()).select_from(EvidencePiece))
    refused = _add(learner, world, untouched)
    assert refused.status_code == 409 and "does not take evidence" in refused.get_data(as_text=True)
    off = _agree(app, world, coordinator)
    assert off[untouched] == "none"
    assert not [e for e in _compiled(app, world)["evidence"] if e["source"] == "learner"]
    with app.extensions["samattha.sessionmaker"]() as db:
        assert db.scalar(select(func.count()).select_from(EvidencePiece)) == pieces  # nothing stored
        kept = db.scalars(select(EvidencePiece)).all()
        assert all(piece.withdrawn_at is None for piece in kept)
        assert db.scalar(select(func.count()).select_from(Statement).where(
            Statement.statement_id.in_([piece.statement_id for piece in kept]),
            Statement.voided.is_(False))) == len(kept)  # still in the LRS, untouched

    _switch(_client(app, world, "coordinator", "en"), world, "on")
    assert _agree(app, world, coordinator)[untouched] == "evidenced"
    assert f"/course/{world.course}/evidence?for=" in learner.get(
        f"/course/{world.course}/my-portfolio").get_data(as_text=True)
