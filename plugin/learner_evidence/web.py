"""The learner's evidence pages: add a piece (files, a link, their own account) for criteria and evidence items of
the course's units, see and withdraw their pieces; and the files themselves, for the learner and the course's
assessors and coordinators only. Files are served with the type their bytes were found to be, never sniffed,
as downloads, or inline (images, PDF) under a sandboxing CSP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from plugin.clock import utcnow
from plugin.db import get_session
from plugin.launch import access
from plugin.launch.i18n import translate
from plugin.launch.rendering import render
from plugin.learner_evidence import messages as _messages  # noqa: F401 - registers the texts
from plugin.learner_evidence.files import EvidenceFile, FileRefused, read_evidence_file, shown_inline
from plugin.learner_evidence.store import EvidenceRefused, Limits, add_piece, file_of, pieces_of, withdraw_piece
from plugin.mapping import store as mapping_store
from plugin.mapping.model import CourseMapping, StandardIndex, mapped_units
from plugin.models import Course
from plugin.models.learner_evidence import EvidencePiece

__all__ = ["bp", "takes_learner_evidence"]

bp = Blueprint("learner_evidence", __name__)
_READERS = ("assessor", "coordinator")
_FILE_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


@dataclass(frozen=True)
class _Unit:
    code: str
    title: str
    criteria: list[tuple[str, str]]  # (code, text)
    items: list[tuple[str, str]]


def _mapping(course: Course) -> tuple[StandardIndex, CourseMapping | None]:
    """The course's mapping, read once per request: a portfolio page asks for each of its criteria and items."""
    read: dict[int, tuple[StandardIndex, CourseMapping | None]] = g.setdefault("learner_evidence_mappings", {})
    if course.id not in read:
        db = get_session()
        standard = mapping_store.standard_index(db)
        read[course.id] = (standard, mapping_store.current_mapping(db, course, standard))
    return read[course.id]


def takes_learner_evidence(course: Course) -> bool:
    """Whether the course's mapping lets its learners add evidence of their own (a course not mapped yet says
    so on the page: there is nothing to add evidence for)."""
    mapping = _mapping(course)[1]
    return mapping is None or mapping.learner_evidence


@bp.app_context_processor
def _for_templates() -> dict[str, object]:
    # The learner's portfolio (templates/portfolios/_portfolio.html) words its "Add evidence" links by this.
    return {"takes_learner_evidence": takes_learner_evidence}


def _requirements(course: Course) -> list[_Unit]:
    """The course's mapped units, each with its criteria and evidence items: what a learner may add evidence for."""
    standard, mapping = _mapping(course)
    units = []
    for code in mapped_units(mapping, standard) if mapping else ():
        unit = standard.units[code]
        criteria = [(c, standard.criteria[c].text) for e in unit.elements for c in standard.elements[e].criteria]
        items = [(i, standard.evidence_items[i].text) for i in (*unit.knowledge_evidence, *unit.performance_evidence)]
        units.append(_Unit(code, unit.title, criteria, items))
    return units


def _titles(units: list[_Unit]) -> dict[str, str]:
    return {code: text for unit in units for code, text in (*unit.criteria, *unit.items)}


def _page(course: Course, status: int = 200, /, **context: object) -> tuple[str, int]:
    user = access.require_role(course, "learner")
    units = _requirements(course)
    config = current_app.config["SAMATTHA"]
    chosen: list[str] = list(context.pop("chosen", None) or request.args.getlist("for"))  # type: ignore[call-overload]
    return render("evidence/mine.html", status, course=course, user=user, units=units,
                  takes=takes_learner_evidence(course),
                  pieces=pieces_of(get_session(), course, user.id), csrf=access.csrf_token(),
                  titles=_titles(units), chosen=set(chosen), max_files=config.evidence_files,
                  max_mb=round(config.evidence_file_bytes / 2**20, 1), **context)


@bp.get("/course/<int:course_pk>/evidence")
def mine(course_pk: int) -> tuple[str, int]:
    return _page(access.course_or_404(course_pk))


def _uploads(limit: int, clamd: str | None) -> Iterator[EvidenceFile]:
    for sent in request.files.getlist("files"):
        if sent.filename:
            yield read_evidence_file(sent.stream, sent.filename, limit=limit, clamd=clamd)


@bp.post("/course/<int:course_pk>/evidence")
def add(course_pk: int) -> BaseResponse | tuple[str, int]:
    course = access.course_or_404(course_pk)
    learner = access.require_role(course, "learner")
    access.check_csrf()
    if not takes_learner_evidence(course):
        # Refused before anything of the upload is checked or stored.
        return _page(course, 409, refused=True)
    config = current_app.config["SAMATTHA"]
    codes = request.form.getlist("codes")
    db = get_session()
    try:
        files = list(_uploads(config.evidence_file_bytes, config.clamd_socket))
        add_piece(db, course, learner, codes=codes, titles=_titles(_requirements(course)),
                  account=request.form.get("account", ""), link=request.form.get("link"), files=files,
                  limits=Limits(config.evidence_file_bytes, config.evidence_files),
                  base_url=str(config.base_url), now=utcnow(), clock=utcnow)
    except FileRefused as refused:
        db.rollback()
        return _page(course, refused.status, error=translate(refused.reason, **refused.params),
                     detail=refused.detail, field="files", chosen=codes)
    except EvidenceRefused as refused:
        db.rollback()
        return _page(course, 400, error=translate(refused.reason, **refused.params), detail=str(refused),
                     field=refused.field, chosen=codes)
    db.commit()
    flash("", "ev.added")
    return redirect(url_for("learner_evidence.mine", course_pk=course.id), code=303)


def _piece(course: Course, piece_id: int) -> EvidencePiece:
    piece = get_session().get(EvidencePiece, piece_id)
    if piece is None or piece.course_id != course.id:
        abort(404, description=f"piece: no piece of evidence {piece_id} in this course")
    return piece


@bp.post("/course/<int:course_pk>/evidence/<int:piece_id>/withdraw")
def withdraw(course_pk: int, piece_id: int) -> BaseResponse | tuple[str, int]:
    course = access.course_or_404(course_pk)
    learner = access.require_role(course, "learner")
    access.check_csrf()
    piece = _piece(course, piece_id)
    if piece.user_id != learner.id:
        raise access.AccessDenied(403, "forbidden", f"piece {piece_id}: only the learner who added it withdraws it")
    db = get_session()
    standard = mapping_store.standard_index(db)
    units = sorted({unit for code in piece.codes if (unit := standard.unit_of(code)) is not None})
    config = current_app.config["SAMATTHA"]
    try:
        withdraw_piece(db, piece, learner, units=units, base_url=str(config.base_url), now=utcnow(), clock=utcnow)
    except EvidenceRefused as refused:
        db.rollback()
        return _page(course, 409, error=translate(refused.reason), detail=str(refused), field="piece")
    db.commit()
    flash("", "ev.withdrawn")
    return redirect(url_for("learner_evidence.mine", course_pk=course.id), code=303)


@bp.get("/course/<int:course_pk>/evidence/<int:piece_id>/files/<sha2>")
def file(course_pk: int, piece_id: int, sha2: str) -> Response:
    course = access.course_or_404(course_pk)
    user = access.require_user()
    piece = _piece(course, piece_id)
    roles = access.roles_in(course, user)
    if not (roles & set(_READERS) or (user.id == piece.user_id and "learner" in roles)):
        raise access.AccessDenied(403, "forbidden", f"course {course.id}: only the learner, and the course's "
                                  "assessors and coordinators, read a learner's evidence")
    found = file_of(get_session(), piece, sha2)
    if found is None:
        abort(404, description=f"file: piece {piece_id} has no file {sha2[:16]}…")
    described, content = found
    content_type = str(described["content_type"])
    response = Response(content, mimetype=content_type.split(";")[0])
    if content_type.startswith("text/"):
        response.headers["Content-Type"] = content_type
    inline = shown_inline(content_type) and request.args.get("download") is None
    name = quote(str(described["name"]), safe="")
    response.headers["Content-Disposition"] = f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{name}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Whatever a file holds, it runs nothing in Samattha's origin: no scripts, no forms, an opaque origin.
    response.headers["Content-Security-Policy"] = _FILE_POLICY
    response.headers["Cache-Control"] = "private, max-age=300"
    return response
