"""A learner adds their own evidence over HTTP: it is a statement with attachments in Samattha's LRS, read back
byte for byte; the portfolio files it; only the learner and the course's assessors and coordinators read its
files, which are never rendered as a page; what is not what it says is refused in the page's language; and a
piece is withdrawn only until it is judged."""

from __future__ import annotations

import hashlib
import io
import json
from email import message_from_bytes
from email.policy import HTTP
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.clock import utcnow
from plugin.learner_evidence.vocabulary import VERB
from plugin.models.learner_evidence import EvidencePiece
from plugin.models.portfolios import PortfolioSnapshot
from plugin.portfolios.run import compile_all
from tests.lrs_support import headers, issue
from tests.test_authorization_matrix import World, build_world, sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def _client(app: Flask, world: World, persona: str, language: str = "en") -> FlaskClient:
    client = app.test_client()
    sign_in(client, world, persona)
    with client.session_transaction() as flask_session:
        flask_session["locale"] = language
    return client


def _add(client: FlaskClient, world: World, files: list[tuple[bytes, str]], **form: object) -> object:
    data: dict[str, object] = {"csrf": "t", "codes": ["DG-OPSR-023.PE1", "DS601.02"],
                               "account": "ฉันจัดทำทะเบียนข้อมูลส่วนบุคคลของกองในปี 2568", **form}
    data["files"] = [(io.BytesIO(content), name) for content, name in files]
    return client.post(f"/course/{world.course}/evidence", data=data, content_type="multipart/form-data")


def test_a_piece_is_a_statement_with_its_files_read_back_byte_for_byte(app: Flask, standard: object,
                                                                      tmp_path: Path) -> None:
    world = build_world(app, tmp_path)
    learner = _client(app, world, "learner_a")
    answer = _add(learner, world, [(PDF, "ประวัติการทำงาน.pdf"), (PNG, "screen.png")],
                  link="https://example.org/register")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    with app.extensions["samattha.sessionmaker"]() as db:
        piece = db.scalars(select(EvidencePiece).where(EvidencePiece.codes.is_not(None))
                           .order_by(EvidencePiece.id.desc())).first()
        assert piece is not None and piece.codes == ["DG-OPSR-023.PE1", "DS601.02"]
        statement_id = piece.statement_id
    lrs = app.test_client()
    got = lrs.get("/xapi/statements", query_string={"statementId": statement_id, "attachments": "true"},
                  headers=headers(*issue(app, "all")))
    assert got.status_code == 200 and got.mimetype == "multipart/mixed"
    message = message_from_bytes(b"Content-Type: " + got.headers["Content-Type"].encode() + b"\r\n\r\n" + got.data,
                                 policy=HTTP)
    parts = list(message.iter_parts())
    statement = json.loads(parts[0].get_content())
    assert statement["verb"]["id"] == VERB and statement["result"]["response"].startswith("ฉันจัดทำ")
    assert [a["sha2"] for a in statement["attachments"]] == [hashlib.sha256(PDF).hexdigest(),
                                                              hashlib.sha256(PNG).hexdigest()]
    assert {p.get_payload(decode=True) for p in parts[1:]} == {PDF, PNG}
    # The portfolio files the piece under exactly what it names.
    with app.extensions["samattha.sessionmaker"]() as db:
        compile_all(db, now=utcnow())
        snapshot = db.scalars(select(PortfolioSnapshot).filter_by(course_id=world.course,
                                                                  learner_id=world.users["learner_a"])
                              .order_by(PortfolioSnapshot.number.desc())).first()
        assert snapshot is not None
        filed = next(e for e in snapshot.document["evidence"] if e["id"] == statement_id)
        assert filed["source"] == "learner"
        items = {i["code"]: i for u in snapshot.document["units"] for i in u["performance_evidence"]}
        assert items["DG-OPSR-023.PE1"]["status"] == "evidenced"


def test_only_the_learner_and_the_courses_staff_read_a_file_and_it_never_renders_as_a_page(
        app: Flask, standard: object, tmp_path: Path) -> None:
    world = build_world(app, tmp_path)
    path = f"/course/{world.course}/evidence/{world.piece}/files/{world.sha2}"
    mine = _client(app, world, "learner_a").get(path)
    assert mine.status_code == 200 and mine.data.startswith(b"%PDF")
    assert mine.headers["Content-Type"] == "application/pdf"
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    assert mine.headers["Content-Security-Policy"].startswith("sandbox")
    assert mine.headers["Content-Disposition"].startswith("inline")
    assert _client(app, world, "assessor").get(path).status_code == 200
    assert _client(app, world, "coordinator").get(path + "?download").headers["Content-Disposition"].startswith(
        "attachment")
    assert _client(app, world, "learner_b").get(path).status_code == 403
    assert _client(app, world, "other_coordinator").get(path).status_code == 403
    assert app.test_client().get(path).status_code == 401
    assert _client(app, world, "learner_a").get(path[:-4] + "0000").status_code == 404


def test_a_page_named_pdf_is_refused_in_thai_and_nothing_is_stored(app: Flask, standard: object,
                                                                   tmp_path: Path) -> None:
    world = build_world(app, tmp_path)
    learner = _client(app, world, "learner_a", language="th")
    with app.extensions["samattha.sessionmaker"]() as db:
        before = len(db.scalars(select(EvidencePiece)).all())
    answer = _add(learner, world, [(b"<!doctype html><script>alert(document.cookie)</script>", "report.pdf")])
    assert answer.status_code == 400  # type: ignore[attr-defined]
    page = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "เนื้อหาของไฟล์ไม่ตรงกับชนิดที่ชื่อไฟล์ระบุ" in page and 'id="evidence-error"' in page
    no_codes = _add(learner, world, [(PDF, "cv.pdf")], codes=[])
    assert no_codes.status_code == 400  # type: ignore[attr-defined]
    assert "โปรดเลือกเกณฑ์" in no_codes.get_data(as_text=True)  # type: ignore[attr-defined]
    with app.extensions["samattha.sessionmaker"]() as db:
        assert len(db.scalars(select(EvidencePiece)).all()) == before


def test_a_nul_in_the_account_is_refused_naming_it_and_nothing_is_stored(app: Flask, standard: object,
                                                                         tmp_path: Path) -> None:
    world = build_world(app, tmp_path)
    with app.extensions["samattha.sessionmaker"]() as db:
        before = db.scalars(select(EvidencePiece.id)).all()
    refused = _add(_client(app, world, "learner_a", "th"), world, [], account="ฉันทำ\x00แล้ว")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "account: มีอักขระ NUL" in refused.get_data(as_text=True)  # type: ignore[attr-defined]
    with app.extensions["samattha.sessionmaker"]() as db:
        assert db.scalars(select(EvidencePiece.id)).all() == before


def test_a_piece_is_withdrawn_until_it_is_judged(app: Flask, standard: object, tmp_path: Path) -> None:
    world = build_world(app, tmp_path)
    learner = _client(app, world, "learner_a")
    # The assessor judges DG-OPSR-023 (the unit of DS601.01, which the world's piece is for).
    assessor = _client(app, world, "assessor")
    judged = assessor.post(f"/course/{world.course}/portfolios/{world.users['learner_a']}/judgements",
                           data={"csrf": "t", "snapshot": world.snapshot, "unit": "DG-OPSR-023",
                                 "outcome": "more_evidence", "comments": "Add the audit report"})
    assert judged.status_code == 303, judged.get_data(as_text=True)
    assert _add(learner, world, [(PDF, "a.pdf")]).status_code == 303  # type: ignore[attr-defined]
    with app.extensions["samattha.sessionmaker"]() as db:
        newest = db.scalars(select(EvidencePiece).order_by(EvidencePiece.id.desc())).first()
        assert newest is not None
        first, second = world.piece, newest.id
    # The assessor's portfolio says which piece came after their judgement.
    with app.extensions["samattha.sessionmaker"]() as db:
        compile_all(db, now=utcnow())
    page = assessor.get(f"/course/{world.course}/portfolios/{world.users['learner_a']}").get_data(as_text=True)
    shown = {chunk.split('"', 1)[0]: "added after the last judgement" in chunk.split("</div>", 1)[0]
             for chunk in page.split('class="learner-piece" data-piece="')[1:]}
    assert shown == {str(first): False, str(second): True}
    refused = learner.post(f"/course/{world.course}/evidence/{first}/withdraw", data={"csrf": "t"})
    assert refused.status_code == 409 and "judged" in refused.get_data(as_text=True)
    # A piece added after that judgement is not judged yet: it can go.
    assert learner.post(f"/course/{world.course}/evidence/{second}/withdraw", data={"csrf": "t"}).status_code == 303
    with app.extensions["samattha.sessionmaker"]() as db:
        assert db.get(EvidencePiece, second).withdrawn_at is not None  # type: ignore[union-attr]
        assert db.get(EvidencePiece, first).withdrawn_at is None  # type: ignore[union-attr]


def test_the_assessor_reads_the_piece_in_the_portfolio_and_the_learner_is_offered_to_add_more(
        app: Flask, standard: object, tmp_path: Path) -> None:
    world = build_world(app, tmp_path)
    learner = _client(app, world, "learner_a")
    assert _add(learner, world, [(PNG, "screen.png")], link="https://example.org/register").status_code == 303  # type: ignore[attr-defined]
    with app.extensions["samattha.sessionmaker"]() as db:
        compile_all(db, now=utcnow())
    page = _client(app, world, "assessor").get(f"/course/{world.course}/portfolios/{world.users['learner_a']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "ฉันจัดทำทะเบียนข้อมูลส่วนบุคคล" in text
    assert 'class="piece-preview"' in text and "https://example.org/register" in text
    assert "Add evidence" not in text  # the assessor adds nothing for the learner
    own = learner.get(f"/course/{world.course}/my-portfolio").get_data(as_text=True)
    assert f"/course/{world.course}/evidence?for=DS601.01" in own
