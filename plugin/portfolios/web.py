"""Portfolio pages and API (issue 6). Assessors and coordinators see every learner of their course; a learner
sees only their own portfolio (``_viewer``: every route that shows a portfolio goes through it)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from plugin.clock import utcnow
from plugin.db import get_session
from plugin.evidence import learners_of
from plugin.launch import access, calls
from plugin.launch.i18n import translate
from plugin.launch.rendering import render
from plugin.learner_evidence.store import added_after_judgement, pieces_of
from plugin.mapping.store import standard_index
from plugin.models import Course, User
from plugin.models.portfolios import PortfolioSnapshot
from plugin.portfolios import judgements as judging
from plugin.portfolios import repository
from plugin.portfolios.caseload_web import caseload_nav
from plugin.portfolios.exports import (
    FORMATS,
    file_name,
    learner_pieces,
    pieces_shown,
    portfolio_context,
    render_record_json,
    write_course_zip,
)
from plugin.portfolios.exports import messages as _messages  # noqa: F401 - registers the texts
from plugin.portfolios.exports import render as render_export
from plugin.portfolios.outcome import open_request
from plugin.portfolios.scheduler import compile_learner_if_behind

__all__ = ["bp"]

bp = Blueprint("portfolios", __name__)
STAFF = ("assessor", "coordinator")
# Werkzeug adds "; charset=utf-8" to text/* itself.
_TYPES = {"pdf": "application/pdf", "html": "text/html", "json": "application/json"}


def _viewer(course: Course, learner_id: int) -> tuple[User, User]:
    """(who is looking, whose portfolio): staff of the course, or the learner themself; else 403/404."""
    user = access.require_user()
    roles = access.roles_in(course, user)
    if not roles & set(STAFF) and not (user.id == learner_id and "learner" in roles):
        raise access.AccessDenied(403, "forbidden", f"course {course.id}: only its assessors and coordinators, "
                                  "and the learner themself, see a learner's portfolio")
    learner = next((u for u in learners_of(get_session(), course) if u.id == learner_id), None)
    if learner is None:
        raise access.AccessDenied(404, "forbidden",
                                  f"learner: user {learner_id} is not a learner of course {course.id}")
    return user, learner


def _snapshot(course: Course, learner: User) -> PortfolioSnapshot | None:
    return repository.latest_snapshot(get_session(), course, learner.id)


def _judgements(course: Course, learner: User) -> list[Mapping[str, Any]]:
    db = get_session()
    return judging.trail_json(db, course, judging.judgements_for(db, course, learner.id))


def _snap(snapshot: PortfolioSnapshot) -> dict[str, Any]:
    return {"number": snapshot.number, "content_hash": snapshot.content_hash}


def _page(course: Course, viewer: User, learner: User, *, mine: bool) -> tuple[str, int]:
    snapshot = _snapshot(course, learner)
    trail = _judgements(course, learner)
    context = portfolio_context(snapshot.document, judgements=trail, snapshot=_snap(snapshot),
                                show_missing=True) if snapshot else {}
    roles = access.roles_in(course, viewer)
    db = get_session()
    pieces = pieces_of(db, course, learner.id)
    after = added_after_judgement(db, course, learner.id, pieces, standard_index(db).unit_of) if pieces else set()
    return render("portfolios/view.html", course=course, user=viewer, learner=learner, mine=mine,
                  compiled=snapshot is not None, history=trail, outcomes=judging.OUTCOMES, rules=judging.RULES,
                  rule_states=judging.RULE_STATES, can_judge="assessor" in roles and not mine,
                  csrf=access.csrf_token(), formats=FORMATS,
                  case_nav=caseload_nav(course, viewer, learner.id) if roles & set(STAFF) and not mine else None,
                  request_open=open_request(get_session(), course, learner.id),
                  pieces={p.statement_id: p for p in pieces}, pieces_after_judgement=after, **context)


@bp.get("/course/<int:course_pk>/portfolios/<int:user_id>")
def portfolio_page(course_pk: int, user_id: int) -> tuple[str, int]:
    course = access.course_or_404(course_pk)
    viewer, learner = _viewer(course, user_id)
    return _page(course, viewer, learner, mine=viewer.id == learner.id)


@bp.get("/course/<int:course_pk>/my-portfolio")
def my_portfolio(course_pk: int) -> tuple[str, int]:
    course = access.course_or_404(course_pk)
    user = access.require_role(course, "learner")
    if compile_learner_if_behind(current_app.extensions["samattha.sessionmaker"], course.id, user.id):
        get_session().rollback()  # read the new snapshot in a transaction begun after it was committed
    return _page(course, user, user, mine=True)


@bp.post("/course/<int:course_pk>/portfolios/<int:user_id>/judgements")
def judge(course_pk: int, user_id: int) -> BaseResponse:
    course = access.course_or_404(course_pk)
    assessor = access.require_role(course, "assessor")
    access.check_csrf()
    _, learner = _viewer(course, user_id)
    db = get_session()
    number = request.form.get("snapshot", type=int)
    snapshot = repository.snapshot_by_number(db, course, learner.id, number) if number else None
    if snapshot is None:
        return _bad("snapshot: no such snapshot of this learner's portfolio")
    now = utcnow()
    try:
        judgement = judging.record_judgement(
            db, course, snapshot, assessor=assessor, unit_code=request.form.get("unit", ""),
            outcome=request.form.get("outcome", ""), comments=request.form.get("comments", ""),
            criteria=_rules(request.form), base_url=str(current_app.config["SAMATTHA"].base_url), now=now)
        # Recorded with the judgement, sent outside this request (plugin.launch.calls): Moodle's token endpoint
        # fetches our JWKS while it answers, and this thread may be the one that has to serve it.
        call_id = judging.queue_grade(db, course, judgement, snapshot.document, now=now)
    except judging.JudgementError as error:
        db.rollback()
        return _bad(translate(error.key) if error.key else str(error))
    db.commit()
    flash("", "pf.recorded")
    calls.runner_for(current_app.extensions).kick()
    status = calls.wait_for(current_app.extensions["samattha.sessionmaker"], call_id)
    if status.status in ("retry", "failed"):
        flash(status.error or "", "pf.grade_failed")
    elif status.is_under_way:
        flash("", "pf.grade_pending")
    # Back to the same learner in the same caseload view, so "next learner" still follows the assessor's list.
    back: dict[str, Any] = request.args.to_dict()
    return redirect(url_for("portfolios.portfolio_page", course_pk=course.id, user_id=learner.id, **back), code=303)


def _rules(form: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``rule:<criterion>:<rule>`` = met, not_met or not_assessed; a ``rule:`` key of another shape is bad input,
    not noise. A rule the form leaves out is not assessed."""
    rules: dict[str, dict[str, str]] = {}
    for key in form:
        if key.startswith("rule:"):
            parts = key.split(":")
            if len(parts) != 3:
                raise judging.JudgementError("criteria", f"{key!r} is not rule:<criterion>:<rule>")
            rules.setdefault(parts[1], {})[parts[2]] = form[key]
    return rules


@bp.app_template_global("grade_calls")
def _grade_calls(course_id: int, learner_id: int) -> dict[int, calls.CallStatus]:
    return calls.grade_calls(get_session(), course_id, learner_id)


def _bad(message: str) -> Response:
    return Response(message, status=400, mimetype="text/plain")


@bp.get("/course/<int:course_pk>/portfolios/<int:user_id>/export.<fmt>")
def export_one(course_pk: int, user_id: int, fmt: str) -> Response:
    course = access.course_or_404(course_pk)
    _, learner = _viewer(course, user_id)
    if fmt not in FORMATS:
        return _bad(f"format: one of {', '.join(FORMATS)}")
    snapshot = _snapshot(course, learner)
    if snapshot is None:
        return Response("no portfolio has been compiled for this learner yet", status=404, mimetype="text/plain")
    from plugin.launch.i18n import current_language

    trail = _judgements(course, learner)
    pieces = pieces_shown(snapshot.document, learner_pieces(get_session(), course, learner.id).pieces, packed=False)
    body = render_record_json(snapshot.document, _snap(snapshot), trail) if fmt == "json" else render_export(
        snapshot.document, fmt, language=current_language(), judgements=trail, snapshot=_snap(snapshot),
        pieces=pieces)
    return _download(body, _TYPES[fmt], file_name(snapshot.document, fmt))


@bp.get("/course/<int:course_pk>/portfolios/export.zip")
def export_course(course_pk: int) -> Response:
    course = access.course_or_404(course_pk)
    access.require_role(course, *STAFF)
    fmt = request.args.get("format", "pdf")
    if fmt not in FORMATS:
        return _bad(f"format: one of {', '.join(FORMATS)}")
    from plugin.launch.i18n import current_language

    db = get_session()
    entries: list[tuple[Mapping[str, Any], Mapping[str, Any], list[Mapping[str, Any]]]] = [
        (s.document, _snap(s), judging.trail_json(db, course, judging.judgements_for(db, course, s.learner_id)))
        for s in repository.snapshots_for_course(db, course)]
    # On disk, not in memory: with the learners' own files a course's archive may be large.
    staging = tempfile.TemporaryFile()
    try:
        write_course_zip(staging, entries, fmt, language=current_language(), evidence=learner_pieces(db, course))
    except LookupError as error:  # a piece's file the LRS no longer holds as it was sent
        staging.close()
        return Response(str(error), status=409, mimetype="text/plain")
    staging.seek(0)
    return send_file(staging, mimetype="application/zip", as_attachment=True,
                     download_name=f"portfolios-{course.context_id}-{fmt}.zip")


def _download(body: bytes, mimetype: str, name: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


# --- JSON API: staff only (learners read their own portfolio through the pages) -------------------------

@bp.get("/api/learners/<int:user_id>/portfolio")
def api_learner(user_id: int) -> Response:
    course_pk = request.args.get("course", type=int)
    if course_pk is None:
        abort(400, description="course: required, the course's id in Samattha (?course=<id>)")
    course = access.course_or_404(course_pk)
    access.require_role(course, *STAFF)
    learner = next((u for u in learners_of(get_session(), course) if u.id == user_id), None)
    if learner is None:
        abort(404, description=f"learner: user {user_id} is not a learner of course {course.id}")
    snapshot = _snapshot(course, learner)
    if snapshot is None:
        abort(404, description=f"portfolio: none compiled yet for user {user_id} in course {course.id}")
    response = jsonify(snapshot.document)
    response.headers["ETag"] = f'"{snapshot.content_hash}"'
    response.headers["X-Samattha-Snapshot"] = str(snapshot.number)
    return response


@bp.get("/api/courses/<int:course_pk>/portfolios")
def api_course(course_pk: int) -> Response:
    course = access.course_or_404(course_pk)
    access.require_role(course, *STAFF)
    snapshots = repository.snapshots_for_course(get_session(), course)
    return jsonify({"format": "samattha-portfolios/1", "course": {"id": course.id, "context_id": course.context_id,
                                                                   "issuer": course.issuer, "title": course.title,
                                                                   "label": course.label},
                    "portfolios": [{"snapshot": _snap(s), "portfolio": s.document} for s in snapshots]})
