"""Who is looking, and what they may see: the session a launch starts, and ``require_role`` for every
blueprint that shows course data.

Roles in a course (LTI Core 1.3 §A.2 for what Moodle sends; assessors are Samattha's own):
- coordinator: ``membership#Instructor`` in that course (as plugin.launch.staff settles it: with Moodle's own
  roles, editing teachers and managers; without, every Instructor), unless a coordinator limited them to
  assessing or viewing; or Administrator of the course's platform;
- assessor: an active appointment in that course (it grants access to other learners' portfolios);
- learner: ``membership#Learner`` in that course (a learner sees only themself), unless appointed assessor
  there: Moodle sends an external assessor as a Learner, but here they assess the learners, they are not
  one (the same rule as plugin.evidence.learner_actors, so the pages and the portfolios agree); staff (a
  non-editing teacher, say) are never learners;
- viewer: staff of the course who hold none of the roles above (they see the course page, nothing of anyone's);
- admin: institution/system Administrator of the course's platform (from the latest launch).
Coordinator and assessor are read from the database on every request, so a revoked appointment or a
changed Moodle role takes effect at once; the session keeps only the user, the launch course, the
administrator flag (Moodle sends it per launch, there is no other source) and the locale."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable

from flask import request, session
from sqlalchemy import select

import lti
from plugin.db import get_session
from plugin.launch import repository as repo
from plugin.launch.staff import is_staff
from plugin.models import Course, Enrolment, User

__all__ = [
    "ROLES", "AccessDenied", "check_csrf", "course_or_404", "csrf_token", "current_user", "landing_role",
    "require_role", "require_user", "roles_in", "start_session",
]

ROLES = ("admin", "coordinator", "assessor", "learner", "viewer")  # landing order: the most capable page first
USER_KEY, COURSE_KEY, ADMIN_KEY, LOCALE_KEY, CSRF_KEY, DEEP_LINK_KEY = (
    "lti_user", "lti_course", "lti_admin_of", "locale", "csrf", "lti_deep_link")


class AccessDenied(Exception):
    """Rendered by the launch blueprint as a page in the user's language (401 without a session, 403 else), or
    under /api/ as JSON whose message is ``detail``: what is missing or not allowed, for the program that asked."""

    def __init__(self, status: int, key: str, detail: str = "") -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.detail = detail


def start_session(ctx: lti.LaunchContext, user_id: int, course_id: int | None) -> None:
    """Replace whatever identity the browser had: the latest launch decides who is here."""
    session.clear()
    session[USER_KEY] = user_id
    session[COURSE_KEY] = course_id
    session[ADMIN_KEY] = [ctx.issuer] if ctx.is_administrator else []
    session[LOCALE_KEY] = ctx.locale or ""
    session[CSRF_KEY] = secrets.token_urlsafe(24)


def current_user() -> User | None:
    """The launched user of this browser, or None."""
    user_id = session.get(USER_KEY)
    return get_session().get(User, user_id) if isinstance(user_id, int) else None


def require_user() -> User:
    user = current_user()
    if user is None:
        raise AccessDenied(401, "nosession", "session: none; open Samattha from Moodle first")
    return user


def course_or_404(course_pk: int) -> Course:
    require_user()  # before the lookup: without a session nobody learns even which course ids exist
    course = get_session().get(Course, course_pk)
    if course is None:
        raise AccessDenied(404, "forbidden", f"course: no course has the id {course_pk}")
    return course


def roles_in(course: Course, user: User) -> frozenset[str]:
    """The user's Samattha roles in ``course`` (see the module docstring)."""
    if user.issuer != course.issuer:
        return frozenset()
    db = get_session()
    roles: set[str] = set()
    admin_of = session.get(ADMIN_KEY) or []
    if session.get(USER_KEY) == user.id and course.issuer in admin_of:
        roles.update(("admin", "coordinator"))
    assessor = repo.is_assessor(db, course.id, user.id)
    if assessor:
        roles.add("assessor")
    enrolment = db.scalars(select(Enrolment).filter_by(course_id=course.id, user_id=user.id)).one_or_none()
    if enrolment is not None and enrolment.status == "Active":
        # Read per request, like appointments: a limit set by a coordinator takes effect on the next page.
        limited = repo.staff_limit(db, course.id, user.id) is not None
        if lti.ROLE_INSTRUCTOR in enrolment.roles and not limited:
            roles.add("coordinator")
        staff = is_staff(enrolment.roles)
        if lti.ROLE_LEARNER in enrolment.roles and not assessor and not staff:
            roles.add("learner")
        if staff and not roles:
            roles.add("viewer")
    return frozenset(roles)


def require_role(course: Course, *allowed: str) -> User:
    """The current user if they hold one of ``allowed`` roles in ``course``; else 401 (no launch) or 403."""
    unknown = set(allowed) - set(ROLES)
    if unknown or not allowed:
        raise ValueError(f"unknown roles {sorted(unknown)}; use {ROLES}")
    user = require_user()
    if not roles_in(course, user) & set(allowed):
        raise AccessDenied(403, "forbidden", f"course {course.id}: needs the role {' or '.join(allowed)} in it")
    return user


def landing_role(roles: Iterable[str]) -> str | None:
    held = set(roles)
    return next((role for role in ROLES if role in held), None)


def csrf_token() -> str:
    token = session.get(CSRF_KEY)
    return token if isinstance(token, str) else ""


def check_csrf() -> None:
    """Course pages POST with the session cookie, which is SameSite=None inside Moodle's iframe: so a
    form token is what stops another site from posting on the user's behalf."""
    sent = request.form.get("csrf", "")
    expected = csrf_token()
    if not expected or not hmac.compare_digest(sent, expected):
        raise AccessDenied(403, "forbidden", "csrf: the form token is missing or not this session's")
