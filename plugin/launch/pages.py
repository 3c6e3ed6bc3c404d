"""The course pages a launch lands on, one per role: learner, coordinator, assessor, administrator.
Thin views: check the role, call the repository or service, render."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from flask import current_app, flash, redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

import lti
from plugin.clock import utcnow
from plugin.db import get_session
from plugin.launch import access, calls, i18n
from plugin.launch import repository as repo
from plugin.launch.blueprint import bp
from plugin.launch.rendering import render
from plugin.launch.staff import is_staff, standing
from plugin.models import Course, Enrolment, Platform, ResourceLink, StaffLimit, Unit, User
from plugin.moodle_ws import token_for
from plugin.portfolios import repository as portfolios
from plugin.portfolios.scheduler import compile_learner_if_behind
from plugin.standards import catalog

__all__: list[str] = []


def _course_units(course: Course) -> list[Unit]:
    """The units placed in the course by deep linking (their code rides in each link's custom parameters)."""
    query = select(ResourceLink.unit_code).where(ResourceLink.course_id == course.id,
                                                 ResourceLink.unit_code.is_not(None)).distinct()
    codes = sorted(code for code in get_session().scalars(query) if code)
    return [unit for unit in (catalog.get_unit(get_session(), code) for code in codes) if unit is not None]


class _Placement(NamedTuple):
    unit_code: str
    element_code: str | None
    name: str | None  # the activity's name in Moodle, without the code in front of it


def _placements(links: Iterable[ResourceLink]) -> list[_Placement]:
    """The links that place a unit or element, each named as Moodle names the activity. Our deep-linking
    response titles it "<code> <title>" and Moodle sends that name back with every launch: the code, shown
    once already, is taken off its front so the page does not say it twice."""
    found = []
    for link in links:
        if not link.unit_code:
            continue
        sent = link.custom.get("element_code")  # a custom parameter: whatever Moodle kept
        element = sent if isinstance(sent, str) and sent else None
        name, code = (link.title or "").strip(), element or link.unit_code
        if name == code or name.startswith(code + " "):
            name = name[len(code):].strip()
        found.append(_Placement(link.unit_code, element, name or None))
    return found


def _page(template: str, course: Course, user: User, role: str, **context: object) -> tuple[str, int]:
    return render(template, course=course, user=user, role=role, roles=access.roles_in(course, user),
                  csrf=access.csrf_token(), **context)


@bp.get("/course/<int:course_pk>/")
def course_home(course_pk: int) -> Response:
    """Where a launch lands: the page of the most capable role the user holds in this course."""
    course = access.course_or_404(course_pk)
    role = access.landing_role(access.roles_in(course, access.require_user()))
    if role is None:
        raise access.AccessDenied(403, "forbidden", f"course {course.id}: you hold no role in it")
    return redirect(url_for(f"launch.{role}_page", course_pk=course.id), code=303)


@bp.get("/course/<int:course_pk>/learner")
def learner_page(course_pk: int) -> tuple[str, int]:
    course = access.course_or_404(course_pk)
    user = access.require_role(course, "learner")
    if compile_learner_if_behind(current_app.extensions["samattha.sessionmaker"], course.id, user.id):
        get_session().rollback()  # read the new snapshot in a transaction begun after it was committed
    snapshot = portfolios.latest_snapshot(get_session(), course, user.id)
    statuses: dict[str, str] = {}
    units = _course_units(course)
    if snapshot is not None:
        # Progress as of the last compilation, criterion by criterion, over every unit the mapping reaches.
        mapped = [u["code"] for u in snapshot.document["units"]]
        statuses = {c["code"]: c["status"] for u in snapshot.document["units"] for e in u["elements"]
                    for c in e["criteria"]}
        placed = {unit.code for unit in units}
        units += [unit for code in mapped if code not in placed
                  and (unit := catalog.get_unit(get_session(), code)) is not None]
    return _page("lti/learner.html", course, user, "learner", units=units, statuses=statuses, snapshot=snapshot)


class _Member(NamedTuple):
    """A roster row: the enrolment, what Samattha makes of it, and whether the viewer may limit them."""

    enrolment: Enrolment
    standing: str  # see plugin.launch.staff.standing
    limit: StaffLimit | None
    limitable: bool  # an Instructor other than the viewer: a coordinator may limit them to assessing or viewing


def _members(roster: Iterable[Enrolment], appointed: set[int], limits: dict[int, StaffLimit],
             viewer: User) -> tuple[list[_Member], list[_Member]]:
    """(staff, learners): staff, and appointed assessors, are listed apart and never among the learners."""
    staff: list[_Member] = []
    learners: list[_Member] = []
    for e in roster:
        limit = limits.get(e.user_id)
        row = _Member(e, standing(e.roles, limit=limit.limit if limit else None, assessor=e.user_id in appointed),
                      limit, lti.ROLE_INSTRUCTOR in e.roles and e.user_id != viewer.id and e.status == "Active")
        (staff if is_staff(e.roles) or e.user_id in appointed else learners).append(row)
    return staff, learners


@bp.get("/course/<int:course_pk>/coordinator")
def coordinator_page(course_pk: int) -> tuple[str, int]:
    course = access.course_or_404(course_pk)
    user = access.require_role(course, "coordinator")
    db = get_session()
    assessors = repo.active_assessors(db, course)
    appointed = {a.user_id for a in assessors}
    roster = repo.members(db, course)
    staff, learners = _members(roster, appointed, repo.staff_limits(db, course), user)
    candidates = [e for e in roster if e.status == "Active" and e.user_id not in appointed]
    links = db.scalars(select(ResourceLink).where(ResourceLink.course_id == course.id).order_by(ResourceLink.id))
    roles_read = max((e.moodle_roles_at for e in roster if e.moodle_roles_at is not None), default=None)
    return _page("lti/coordinator.html", course, user, "coordinator", staff=staff, learners=learners,
                 assessors=assessors, candidates=candidates, placements=_placements(links), roles_read=roles_read,
                 failures=portfolios.compile_failures(db, course))


STAFF_CHOICES = ("coordinate", "assess", "view")


@bp.post("/course/<int:course_pk>/coordinator/staff/<int:user_pk>")
def limit_staff(course_pk: int, user_pk: int) -> Response:
    """A coordinator decides what an Instructor does here: coordinate (as Moodle says), only assess (appointed
    assessor), or only view. Kept as history (who, when); it counts from the member's next page."""
    course = access.course_or_404(course_pk)
    coordinator = access.require_role(course, "coordinator")
    access.check_csrf()
    db = get_session()
    choice = request.form.get("limit", "")
    enrolment = next((e for e in repo.members(db, course) if e.user_id == user_pk and e.status == "Active"), None)
    if choice not in STAFF_CHOICES or enrolment is None or lti.ROLE_INSTRUCTOR not in enrolment.roles \
            or user_pk == coordinator.id:
        raise access.AccessDenied(400, "forbidden", "limit: choose coordinate, assess or view for another active "
                                  "Instructor of this course")
    now = utcnow()
    if choice == "coordinate":
        repo.lift_staff_limit(db, course, user_pk, by=coordinator, now=now)
    else:
        repo.set_staff_limit(db, course, enrolment.user, choice, by=coordinator, now=now)
        if choice == "assess":
            repo.appoint_assessor(db, course, enrolment.user, by=coordinator, now=now)
        else:
            repo.revoke_assessor(db, course, user_pk, now=now)
    db.commit()
    flash(f"{enrolment.user.display_name}\t{choice}", "staff.saved")
    return redirect(url_for("launch.coordinator_page", course_pk=course.id), code=303)


@bp.post("/course/<int:course_pk>/coordinator/roster")
def roster_sync(course_pk: int) -> Response:
    """The sync runs outside this request (plugin.launch.calls): Moodle's token endpoint fetches our JWKS while
    it answers, and this request's thread may be the one that has to serve it. The page waits only briefly."""
    course = access.course_or_404(course_pk)
    coordinator = access.require_role(course, "coordinator")
    access.check_csrf()
    db = get_session()
    call_id = calls.queue_roster_sync(db, course, by=coordinator.id, now=utcnow()).id
    db.commit()
    calls.runner_for(current_app.extensions).kick()
    status = calls.wait_for(current_app.extensions["samattha.sessionmaker"], call_id)
    if status.status == "done":
        flash(str(status.result), "roster.synced")
    elif status.is_under_way:
        flash(i18n.translate("roster.pending"), "roster.pending")
    else:
        flash(status.error or "", "error")
    return redirect(url_for("launch.coordinator_page", course_pk=course.id), code=303)


@bp.app_template_global("roster_call")
def _roster_call(course_id: int) -> calls.CallStatus | None:
    return calls.latest_call(get_session(), course_id, "roster")


@bp.post("/course/<int:course_pk>/coordinator/assessors")
def appoint(course_pk: int) -> Response:
    """Appoint an assessor from the course's members (Moodle has no assessor role to send)."""
    course = access.course_or_404(course_pk)
    coordinator = access.require_role(course, "coordinator")
    access.check_csrf()
    db = get_session()
    member_ids = {e.user_id for e in repo.members(db, course) if e.status == "Active"}
    user_id = request.form.get("user_id", type=int)
    user = db.get(User, user_id) if user_id in member_ids else None
    if user is None:
        raise access.AccessDenied(400, "forbidden", "user_id: not an active member of this course")
    repo.appoint_assessor(db, course, user, by=coordinator, now=utcnow())
    db.commit()
    return redirect(url_for("launch.coordinator_page", course_pk=course.id), code=303)


@bp.post("/course/<int:course_pk>/coordinator/assessors/<int:user_pk>/revoke")
def revoke(course_pk: int, user_pk: int) -> Response:
    course = access.course_or_404(course_pk)
    access.require_role(course, "coordinator")
    access.check_csrf()
    db = get_session()
    repo.revoke_assessor(db, course, user_pk, now=utcnow())
    db.commit()
    return redirect(url_for("launch.coordinator_page", course_pk=course.id), code=303)


@bp.get("/course/<int:course_pk>/assessor")
def assessor_page(course_pk: int) -> Response:
    """An assessor's page is their caseload (plugin.portfolios.caseload_web)."""
    access.require_role(access.course_or_404(course_pk), "assessor")
    return redirect(url_for("caseload.course_caseload", course_pk=course_pk), code=303)


@bp.get("/course/<int:course_pk>/viewer")
def viewer_page(course_pk: int) -> tuple[str, int]:
    """Staff of the course without a Samattha role (a non-editing teacher not appointed assessor): the units
    the course covers, and nobody's progress or portfolio."""
    course = access.course_or_404(course_pk)
    user = access.require_role(course, "viewer")
    links = get_session().scalars(select(ResourceLink).where(ResourceLink.course_id == course.id)
                                  .order_by(ResourceLink.id))
    return _page("lti/viewer.html", course, user, "viewer", units=_course_units(course), placements=_placements(links))


@bp.get("/course/<int:course_pk>/admin")
def admin_page(course_pk: int) -> tuple[str, int]:
    course = access.course_or_404(course_pk)
    user = access.require_role(course, "admin")
    platforms = list(get_session().scalars(select(Platform).order_by(Platform.issuer, Platform.client_id)))
    return _page("lti/admin.html", course, user, "admin", platforms=platforms,
                 webservice=token_for(get_session(), course.issuer) is not None)
