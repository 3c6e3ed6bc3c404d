"""The exports carry what learners added themselves: the course ZIP packs each piece's files, byte for byte as
the LRS holds them, under paths no learner-chosen name can leave, and ``index.json`` lists each with its
SHA-256, size, type, piece and learner; the HTML and PDF show each piece's account in full and list its files."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path, PurePosixPath

import pypdfium2 as pdfium
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import delete, select

from plugin.cli import main
from plugin.clock import utcnow
from plugin.learner_evidence.files import EvidenceFile
from plugin.learner_evidence.store import Limits, add_piece
from plugin.models import Course, User
from plugin.portfolios.run import compile_all
from tests.test_authorization_matrix import World, build_world
from tests.test_learner_evidence_web import PDF, PNG, _client
from tests.test_portfolio_cli import cli_env  # noqa: F401  (fixture)
from xapi.models import Attachment

ACCOUNT = "ฉันจัดทำทะเบียนข้อมูลส่วนบุคคลของกองในปี 2568\nแล้วนำเสนอต่อที่ประชุม (I presented it to the board.)"
HOSTILE = "../../../../etc/passwd\\..\\..\\x.png"
TEXT = "บันทึกการทำงาน\n".encode()


def _world_with_pieces(app: Flask, tmp_path: Path) -> tuple[World, dict[str, bytes]]:
    """The world, learner A with a second piece of three files (one named to climb out of any folder), and
    learner B with a piece of their own; compiled. Returns the world and every added file by SHA-256."""
    world = build_world(app, tmp_path)
    files = [EvidenceFile("ประวัติการทำงาน.pdf", "application/pdf", PDF),
             EvidenceFile(HOSTILE, "image/png", PNG),  # as no upload can name it: the export must not trust it
             EvidenceFile("..", "text/plain; charset=utf-8", TEXT)]
    with app.extensions["samattha.sessionmaker"]() as db:
        course = db.get(Course, world.course)
        assert course is not None
        for who, pieces in (("learner_a", files), ("learner_b", [EvidenceFile("cv.pdf", "application/pdf", PDF)])):
            learner = db.get(User, world.users[who])
            assert learner is not None
            add_piece(db, course, learner, codes=["DG-OPSR-023.PE1", "DS601.02"],
                      titles={"DG-OPSR-023.PE1": "", "DS601.02": ""}, account=ACCOUNT,
                      link="https://example.org/register", files=pieces, limits=Limits(2**20, 5),
                      base_url="http://tool.test", now=utcnow(), clock=utcnow)
        db.commit()
        compile_all(db, now=utcnow())
    return world, {hashlib.sha256(f.data).hexdigest(): f.data for f in files}


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_the_course_zip_packs_every_file_by_its_hash_and_its_index_lists_them(
        app: Flask, standard: object, tmp_path: Path, cli_env: None) -> None:  # noqa: F811
    world, added = _world_with_pieces(app, tmp_path)
    out = tmp_path / "course.zip"
    result = CliRunner().invoke(main, ["portfolios", "export", "--course", "2", "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    members = _members(out.read_bytes())
    index = json.loads(members["index.json"])
    listed = index["evidence_files"]
    learner_a, learner_b = str(world.users["learner_a"]), str(world.users["learner_b"])
    # World's own piece (cv.pdf) and the two added, for A; one for B.
    assert sorted(f["learner"] for f in listed) == sorted([learner_a] * 4 + [learner_b])
    for entry in listed:
        data = members[entry["path"]]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
        assert entry["path"].startswith(f"evidence/{entry['learner']}/{entry['piece']}/")
    mine = {e["sha256"]: e for e in listed if e["learner"] == learner_a and e["sha256"] in added}
    assert {sha: members[e["path"]] for sha, e in mine.items()} == added  # byte for byte
    png = mine[hashlib.sha256(PNG).hexdigest()]
    assert (png["name"], png["content_type"]) == (HOSTILE, "image/png")
    # Every member stays inside the archive's own folder, whatever the learner called the file.
    for name in members:
        path = PurePosixPath(name)
        assert not path.is_absolute() and ".." not in path.parts and "\\" not in name, name
    assert len({e["path"] for e in listed}) == len(listed)
    # A file the LRS no longer holds as its piece names it stops the export: nothing half-made is written.
    with app.extensions["samattha.sessionmaker"]() as db:
        db.execute(delete(Attachment).where(Attachment.sha2 == png["sha256"]))
        db.commit()
    again = CliRunner().invoke(main, ["portfolios", "export", "--course", "2", "--format", "json",
                                      "--out", str(tmp_path / "again.zip")])
    assert again.exit_code == 1 and png["sha256"] in again.output and "no export written" in again.output
    assert not (tmp_path / "again.zip").exists() and not list(tmp_path.glob(".again.zip.*"))
    # The assessor's download says the same, as a conflict naming the file, never a 500.
    web = _client(app, world, "assessor").get(f"/course/{world.course}/portfolios/export.zip?format=json")
    assert web.status_code == 409 and png["sha256"] in web.get_data(as_text=True)


def test_the_html_in_the_zip_shows_the_account_in_full_and_links_the_packed_files(app: Flask, standard: object,
                                                                                 tmp_path: Path) -> None:
    world, _ = _world_with_pieces(app, tmp_path)
    # Streamed from a staging file, closed when the response is.
    with _client(app, world, "assessor").get(f"/course/{world.course}/portfolios/export.zip?format=html") as answer:
        assert answer.status_code == 200 and answer.mimetype == "application/zip"
        assert answer.headers["Content-Disposition"].startswith("attachment")
        members = _members(answer.data)
    index = json.loads(members["index.json"])
    entry = next(p for p in index["portfolios"] if p["learner"] == str(world.users["learner_a"]))
    page = members[entry["file"]].decode()
    assert "ฉันจัดทำทะเบียนข้อมูลส่วนบุคคลของกองในปี 2568\nแล้วนำเสนอต่อที่ประชุม" in page
    for listed in (f for f in index["evidence_files"] if f["learner"] == entry["learner"]):
        assert f'href="{listed["path"]}"' in page and listed["sha256"] in page


def test_a_learners_pdf_record_shows_their_words_and_their_files(app: Flask, standard: object,
                                                                 tmp_path: Path) -> None:
    world, added = _world_with_pieces(app, tmp_path)
    answer = _client(app, world, "assessor", language="th").get(
        f"/course/{world.course}/portfolios/{world.users['learner_a']}/export.pdf")
    assert answer.status_code == 200
    pdf = pdfium.PdfDocument(answer.data)
    try:
        text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()
    squeezed = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", ACCOUNT) in squeezed
    assert "ประวัติการทำงาน.pdf" in squeezed and "https://example.org/register" in squeezed
    assert all(sha in squeezed for sha in added)
    assert "อยู่ใน ZIP" not in text  # a single record packs no files, so it names no place in a ZIP
    with app.extensions["samattha.sessionmaker"]() as db:
        assert db.scalar(select(User.name).where(User.id == world.users["learner_a"])) in text
