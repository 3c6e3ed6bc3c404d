"""A learner's own evidence: the file checks that decide what may be stored and how it is served, and how the
portfolio compiler files a piece (pure; the pages and the LRS are tested over HTTP elsewhere)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from plugin.learner_evidence.files import FileRefused, read_evidence_file, shown_inline
from plugin.learner_evidence.vocabulary import evidence_codes, evidence_statement
from plugin.mapping.model import course_iri
from tests.test_portfolio_compiler import LEARNER, MAPPING, compile_, criterion, item, lab_statements

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _read(data: bytes, name: str, limit: int = 1024 * 1024) -> Any:
    return read_evidence_file(io.BytesIO(data), name, limit=limit)


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_accepted_files_are_typed_by_their_bytes_and_only_images_and_pdf_show_inline() -> None:
    assert _read(PDF, "report.pdf").content_type == "application/pdf"
    assert _read(PNG, "screen.PNG").content_type == "image/png"
    assert _read(_docx(), "ประวัติการทำงาน.docx").name == "ประวัติการทำงาน.docx"
    assert _read("บันทึกการทำงาน".encode(), "notes.txt").content_type.startswith("text/plain")
    assert shown_inline("application/pdf") and shown_inline("image/png")
    assert not shown_inline("text/plain; charset=utf-8")
    assert not shown_inline("application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@pytest.mark.parametrize("data, name, reason", [
    (b"<!doctype html><script>alert(document.cookie)</script>", "report.pdf", "ev.file.mismatch"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "notes.txt", "ev.file.mismatch"),
    (PDF, "report.html", "ev.file.type"),
    (PNG, "report.pdf", "ev.file.mismatch"),
    (b"", "empty.pdf", "ev.file.empty"),
    (PDF, "", "ev.file.no_name"),
])
def test_what_a_browser_would_run_or_what_is_not_what_it_says_is_refused(data: bytes, name: str, reason: str) -> None:
    with pytest.raises(FileRefused) as refused:
        _read(data, name)
    assert refused.value.reason == reason


def test_a_name_keeps_no_folder_and_a_file_over_the_limit_is_refused_while_it_is_read() -> None:
    assert _read(PDF, "../../etc/report.pdf").name == "report.pdf"
    assert _read(PDF, "C:\\Users\\sam\\report.pdf").name == "report.pdf"

    class Endless(io.RawIOBase):
        read_so_far = 0

        def read(self, size: int = -1) -> bytes:
            self.read_so_far += size
            return b"%PDF-" + b"x" * (size - 5) if self.read_so_far == size else b"x" * size

    stream = Endless()
    with pytest.raises(FileRefused) as refused:
        read_evidence_file(stream, "huge.pdf", limit=200_000)  # type: ignore[arg-type]
    assert refused.value.reason == "ev.file.too_big" and stream.read_so_far < 300_000


def _piece(codes: list[str], *, course: str | None = None, sid: str = "5f0c7a8e-0000-4000-8000-000000000001",
           files: list[tuple[str, str, int, str]] | None = None) -> dict[str, Any]:
    statement = evidence_statement(
        actor=LEARNER["actor"], codes=codes, titles={}, account="I led the records audit in 2025.",
        link="https://example.org/audit-report", files=files or [], piece="7",
        course=course or course_iri(MAPPING), course_title="DG-OPSR-023",
        now=datetime(2026, 6, 1, tzinfo=UTC))
    return {**statement, "id": sid, "stored": "2026-06-01T00:00:00.000Z"}


def test_a_piece_evidences_exactly_what_it_names_in_its_own_course() -> None:
    piece = _piece(["DG-OPSR-023.PE1", "DS601.03"],
                   files=[("cv.pdf", "application/pdf", len(PDF), "ab" * 32)])
    assert piece["attachments"][0]["sha2"] == "ab" * 32
    assert evidence_codes(piece, course_iri(MAPPING)) == ("DG-OPSR-023.PE1", "DS601.03")
    portfolio = compile_([*lab_statements(), piece])
    assert item(portfolio, "DG-OPSR-023.PE1").status == "evidenced"
    assert criterion(portfolio, "DS601.03").status == "evidenced"
    assert item(portfolio, "DG-OPSR-023.PE2").status == "none"  # not named, not claimed
    filed = next(e for e in portfolio.evidence if e.statement_id == piece["id"])
    assert filed.source == "learner" and filed.activities == ()
    # A piece for another course of the same learner is not this course's evidence.
    elsewhere = _piece(["DG-OPSR-023.PE2"], course=course_iri(replace(MAPPING, course_id="99")),
                       sid="5f0c7a8e-0000-4000-8000-000000000002")
    assert item(compile_([*lab_statements(), elsewhere]), "DG-OPSR-023.PE2").status == "none"
