"""The conversation pages: a unit's conversation for the learner and the course's assessors and coordinators
(nobody else: 403, or 404 for someone who is not a learner of the course), comments added to it, and the
learner marking what is new as seen. Thin: check who is asking, one call into plugin.conversations.store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from plugin.clock import utcnow
from plugin.conversations import messages as _messages  # noqa: F401 - registers the texts
from plugin.conversations import store
from plugin.db import get_session
from plugin.evidence import learner_actors
from plugin.launch import access
from plugin.launch.i18n import translate
from plugin.launch.rendering import render
from plugin.models import Course, User
from plugin.models.conversations import UnitComment
from plugin.portfolios import caseload, repository
from plugin.portfolios import judgements as judging
from plugin.portfolios.outcome import open_request

__all__ = ["bp"]

bp = Blueprint("conversations", __name__)


def _party(course: Course, learner_id: int) -> tuple[User, str]:
    """(who is asking, the role they write in): the learner themself, or an assessor or coordinator of the course."""
    user = access.require_user()
    roles = access.roles_in(course, user)
    if user.id == learner_id and "learner" in roles:
        role = "learner"
    elif roles & {"assessor", "coordinator"}:
        role = "assessor" if "assessor" in roles else "coordinator"
    else:
        raise access.AccessDenied(403, "forbidden", f"course {course.id}: only the learner, and the course's "
                                  "assessors and coordinators, take part in a learner's conversation")
    if learner_id not in learner_actors(get_session(), course):
        raise access.AccessDenied(404, "forbidden",
                                  f"learner: user {learner_id} is not a learner of course {course.id}")
    return user, role


def _unit(course: Course, learner_id: int, code: str) -> Mapping[str, Any]:
    """The unit as the learner's latest portfolio has it: what a conversation can be about."""
    snapshot = repository.latest_snapshot(get_session(), course, learner_id)
    unit: Mapping[str, Any] | None = next((u for u in snapshot.document["units"] if u["code"] == code),
                                          None) if snapshot else None
    if unit is None:
        raise access.AccessDenied(404, "forbidden", f"unit: {code!r} is not a unit of this learner's portfolio")
    return unit


def _page(course: Course, learner_id: int, code: str, status: int = 200, /, **context: Any) -> tuple[str, int]:
    user, role = _party(course, learner_id)
    unit = _unit(course, learner_id, code)
    db = get_session()
    learner = db.get(User, learner_id)
    judged = [j for j in judging.judgements_for(db, course, learner_id) if j.unit_code == code]
    mine = role == "learner"
    return render("conversations/unit.html", status, course=course, user=user, learner=learner, unit=unit,
                  mine=mine, latest=judging.judgement_json(judged[-1]) if judged else None,
                  comments=store.thread(db, course.id, learner_id, code), csrf=access.csrf_token(),
                  request_open=open_request(db, course, learner_id) if mine else None,
                  max_comment=store.MAX_COMMENT, **context)


@bp.get("/course/<int:course_pk>/portfolios/<int:user_id>/units/<code>/conversation")
def conversation(course_pk: int, user_id: int, code: str) -> tuple[str, int]:
    return _page(access.course_or_404(course_pk), user_id, code)


@bp.post("/course/<int:course_pk>/portfolios/<int:user_id>/units/<code>/comments")
def comment(course_pk: int, user_id: int, code: str) -> BaseResponse | tuple[str, int]:
    course = access.course_or_404(course_pk)
    author, role = _party(course, user_id)
    access.check_csrf()
    _unit(course, user_id, code)
    body = request.form.get("body", "")
    db = get_session()
    try:
        store.add_comment(db, course, user_id, code, author=author, role=role, body=body, now=utcnow())
    except store.CommentRefused as refused:
        db.rollback()
        return _page(course, user_id, code, 400, error=translate(refused.key, **refused.params), field=refused.field,
                     body=body)
    if request.form.get("from") == "workspace" and role != "learner":
        # Back beside the unit's judge panel, in the caseload view the assessor came from.
        back = url_for("portfolios.portfolio_page", course_pk=course.id, user_id=user_id, **_caseload_view())
        target = f"{back}#conversation-{code}"
    else:
        target = url_for("conversations.conversation", course_pk=course.id, user_id=user_id, code=code)
    db.commit()
    flash(translate("cv.sent"), "cv.sent")
    return redirect(target, code=303)


def _caseload_view() -> dict[str, Any]:
    """The caseload view's query string as the workspace reads it (caseload_nav); one it cannot use is dropped,
    so nothing else the client put in the URL reaches url_for."""
    try:
        args = caseload.parse_query(request.args).args()
    except caseload.CaseloadError:
        args = {}
    return args | ({"scope": "all"} if request.args.get("scope") == "all" else {})


@bp.post("/course/<int:course_pk>/news/seen")
def news_seen(course_pk: int) -> BaseResponse:
    course = access.course_or_404(course_pk)
    learner = access.require_role(course, "learner")
    access.check_csrf()
    db = get_session()
    store.mark_seen(db, course.id, learner.id, utcnow())
    db.commit()
    return redirect(url_for("launch.learner_page", course_pk=course.id), code=303)


@bp.app_template_global("unit_conversation")
def _unit_conversation(course_id: int, learner_id: int, code: str) -> list[UnitComment]:
    return store.thread(get_session(), course_id, learner_id, code)


@bp.app_template_global("conversation_counts")
def _conversation_counts(course_id: int, learner_id: int) -> dict[str, int]:
    return store.comment_counts(get_session(), course_id, learner_id)


@bp.app_template_global("learner_news")
def _learner_news(course: Course, learner: User) -> list[store.News]:
    return store.news_for(get_session(), course, learner.id)


@bp.app_template_global("reassessment_open")
def _reassessment_open(course: Course, learner: User) -> object:
    return open_request(get_session(), course, learner.id)
