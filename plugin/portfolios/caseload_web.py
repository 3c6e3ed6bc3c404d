"""The assessor's caseload pages (issue 19) and the learner's request to be assessed again. Thin: parse the
query, one call into plugin.portfolios.caseload, render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from plugin.clock import utcnow
from plugin.db import get_session
from plugin.launch import access
from plugin.launch.i18n import translate
from plugin.launch.rendering import render
from plugin.models import AssessorAppointment, Course, User
from plugin.models.caseload import ReassessmentRequest
from plugin.portfolios import caseload, outcome, repository
from plugin.portfolios import messages as _messages  # noqa: F401 - registers the texts
from plugin.portfolios.exports import FORMATS

__all__ = ["bp", "caseload_nav"]

bp = Blueprint("caseload", __name__)
STAFF = ("assessor", "coordinator")
MAX_NOTE = 2000


def _query() -> caseload.Query:
    return caseload.parse_query(request.args)


@bp.app_errorhandler(caseload.CaseloadError)  # also for the portfolio pages, which read the same query
def _bad_query(error: caseload.CaseloadError) -> tuple[Response, int]:
    choices = str(error).split(": ", 1)[1]
    return Response(translate(f"cl.bad.{error.field}", choices=choices), mimetype="text/plain"), 400


def _assessed_courses(user: User) -> list[Course]:
    """The courses the user is an appointed assessor of now (plugin.launch.access decides, as on every page)."""
    query = (select(Course).join(AssessorAppointment, AssessorAppointment.course_id == Course.id)
             .where(AssessorAppointment.user_id == user.id, AssessorAppointment.revoked_at.is_(None))
             .order_by(Course.title, Course.id).distinct())
    return [c for c in get_session().scalars(query) if "assessor" in access.roles_in(c, user)]


def _rows(courses: list[Course]) -> tuple[list[str], list[caseload.Row]]:
    db = get_session()
    units: dict[str, None] = {}
    rows: list[caseload.Row] = []
    for course in courses:
        found, course_rows = caseload.course_rows(db, course)
        units.update(dict.fromkeys(found))
        rows += course_rows
    db.commit()  # the summaries of snapshots stored before summaries existed, written on the way
    return list(units), rows


def _show(courses: list[Course], course: Course | None, user: User) -> tuple[str, int]:
    query = _query()
    units, rows = _rows(courses)
    shown = caseload.select_rows(rows, query)
    page_rows, page, pages = caseload.page_of(shown, query.page)
    roles = access.roles_in(course, user) if course is not None else frozenset()
    scope = {} if course is not None else {"scope": "all"}

    def args(**changes: Any) -> dict[str, Any]:
        return query.args(**changes) | scope

    return render("portfolios/caseload.html", course=course, user=user, roles=roles,
                  role="assessor" if "assessor" in roles else None, units=units, rows=page_rows, shown=len(shown),
                  total=len(rows), query=query, page=page, pages=pages, statuses=caseload.STATUSES,
                  sorts=caseload.SORTS, formats=FORMATS, args=args,
                  many_courses=len(courses) > 1 or course is None)


@bp.get("/course/<int:course_pk>/portfolios")
def course_caseload(course_pk: int) -> tuple[str, int]:
    course = access.course_or_404(course_pk)
    user = access.require_role(course, *STAFF)
    return _show([course], course, user)


@bp.get("/caseload")
def all_courses() -> tuple[str, int]:
    user = access.require_user()
    courses = _assessed_courses(user)
    if not courses:
        raise access.AccessDenied(403, "forbidden", "caseload: you are not an appointed assessor of any course")
    return _show(courses, None, user)


def caseload_nav(course: Course, viewer: User, learner_id: int) -> dict[str, Any]:
    """Previous and next learner in the caseload the assessor came from (its query string, ``scope=all`` for
    every course of theirs), and the way back to it."""
    query = _query()
    every = request.args.get("scope") == "all"
    courses = _assessed_courses(viewer) if every else [course]
    _, rows = _rows(courses or [course])
    shown = caseload.select_rows(rows, query, keep=(course.id, learner_id))
    before, after, position = caseload.neighbours(shown, course.id, learner_id)
    args = query.args() | ({"scope": "all"} if every else {})

    def link(row: caseload.Row | None) -> str | None:
        return url_for("portfolios.portfolio_page", course_pk=row.course.id, user_id=row.learner_id,
                       **args) if row else None

    back = url_for("caseload.all_courses", **query.args()) if every else url_for(
        "caseload.course_caseload", course_pk=course.id, **query.args())
    return {"prev": link(before), "next": link(after), "back": back, "position": position, "count": len(shown),
            "args": args}


@bp.post("/course/<int:course_pk>/reassessment")
def ask_again(course_pk: int) -> BaseResponse:
    """A learner asks to be assessed again; one open request at a time, so a second press changes nothing."""
    course = access.course_or_404(course_pk)
    learner = access.require_role(course, "learner")
    access.check_csrf()
    note = request.form.get("note", "").strip()
    if len(note) > MAX_NOTE:
        return Response(translate("re.too_long", limit=MAX_NOTE), status=400, mimetype="text/plain")
    db = get_session()
    snapshot = repository.latest_snapshot(db, course, learner.id)
    if snapshot is None:
        return Response(translate("re.no_portfolio"), status=400, mimetype="text/plain")
    if outcome.open_request(db, course, learner.id) is None:
        db.add(ReassessmentRequest(course_id=course.id, learner_id=learner.id, note=note,
                                   snapshot_number=snapshot.number, requested_at=utcnow()))
        db.commit()
    flash(translate("re.sent"), "re.sent")
    back = "portfolios.my_portfolio" if request.form.get("from") == "portfolio" else "launch.learner_page"
    return redirect(url_for(back, course_pk=course.id), code=303)


@bp.app_template_global("learner_outcome")
def _learner_outcome(course: Course, learner: User) -> outcome.Outcome | None:
    return outcome.learner_outcome(get_session(), course, learner.id)
