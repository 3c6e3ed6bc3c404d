"""Persistence for LTI: every function takes the caller's Session and neither opens nor commits one.

Rows keyed by what the platform sends (issuer+sub, issuer+context.id, …) are created with
``INSERT … ON CONFLICT DO NOTHING`` then read back, so two first launches of the same person racing
each other (two tabs, a double click) meet on the unique index instead of failing one request."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import lti
from plugin.launch.registrations import to_registration
from plugin.launch.staff import LIMITS, effective_roles
from plugin.models import (
    AssessorAppointment,
    Base,
    Course,
    Deployment,
    Enrolment,
    LaunchNonce,
    Platform,
    StaffLimit,
    User,
)

__all__ = [
    "active_assessors", "appoint_assessor", "apply_moodle_roles", "aware", "consume_nonce",
    "enrol_seen", "is_assessor", "lift_staff_limit", "members",
    "revoke_assessor", "save_registration", "set_staff_limit", "staff_limit", "staff_limits", "to_registration",
    "upsert_roster",
]

Row = TypeVar("Row", bound=Base)


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for ``DateTime(timezone=True)``; everything we store is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


_inserts: dict[tuple[str, type[Base], tuple[str, ...], tuple[str, ...]], Any] = {}


def _insert_ignoring_conflict(
    session: Session, model: type[Base], keys: Sequence[str], values: Mapping[str, Any]
) -> bool:
    """True if the row was inserted. RETURNING, not rowcount: psycopg reports -1 for this statement. Built once
    per shape, its values bound, as the launch's writes are (plugin.launch.recording)."""
    dialect = session.get_bind().dialect.name
    shape = (dialect, model, tuple(keys), tuple(values))
    statement = _inserts.get(shape)
    if statement is None:
        table = cast(Table, model.__table__)
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        statement = _inserts[shape] = (
            insert.values({name: bindparam(name, type_=table.c[name].type) for name in values})
            .on_conflict_do_nothing(index_elements=list(keys)).returning(*table.primary_key.columns))
    return session.execute(statement, dict(values)).first() is not None


def _ensure(session: Session, model: type[Row], keys: Mapping[str, Any], defaults: Mapping[str, Any]) -> Row:
    found = session.scalars(select(model).filter_by(**keys)).one_or_none()
    if found is None:
        _insert_ignoring_conflict(session, model, list(keys), {**keys, **defaults})
        found = session.scalars(select(model).filter_by(**keys)).one()
    return found


# --- registrations and nonces -------------------------------------------------------------------------

def save_registration(
    session: Session, registration: lti.Registration, *, source: str, now: datetime, name: str | None = None
) -> Platform:
    """Create or update the (issuer, client_id) registration; deployment ids are added, never dropped."""
    platform = session.scalars(select(Platform).filter_by(issuer=registration.issuer,
                                                          client_id=registration.client_id)).one_or_none()
    if platform is None:
        platform = Platform(issuer=registration.issuer, client_id=registration.client_id, source=source,
                            created_at=now, active=True, deployments=[])
        session.add(platform)
    platform.auth_login_url = registration.auth_login_url
    platform.auth_token_url = registration.auth_token_url
    platform.key_set_url = registration.key_set_url
    platform.auth_audience = registration.auth_audience
    platform.name = name or platform.name
    known = {d.deployment_id for d in platform.deployments}
    for deployment_id in registration.deployment_ids:
        if deployment_id not in known:
            platform.deployments.append(Deployment(deployment_id=deployment_id))
            known.add(deployment_id)
    session.flush()
    return platform


_NONCE_SWEEP = timedelta(minutes=1)
# engine → when this process last removed expired nonces there
_swept: weakref.WeakKeyDictionary[Engine, datetime] = weakref.WeakKeyDictionary()


def consume_nonce(session: Session, issuer: str, nonce: str, until: datetime, *, now: datetime) -> bool:
    """True the first time (issuer, nonce) is seen (Security Framework §5.1.3 step 9). The unique index
    makes it atomic: a concurrent replay waits for our commit and then inserts nothing. Expired nonces are
    removed at most once a minute per process, not at every launch: a nonce is remembered until its token
    expires, and a token past that is refused by its expiry before its nonce is looked at."""
    database = session.get_bind().engine
    last = _swept.get(database)
    if last is None or now - last >= _NONCE_SWEEP or now < last:
        session.execute(delete(LaunchNonce).where(LaunchNonce.expires_at < now))
        _swept[database] = now
    return _insert_ignoring_conflict(session, LaunchNonce, ("issuer", "nonce"),
                                     {"issuer": issuer, "nonce": nonce, "expires_at": until})


# --- enrolments -------------------------------------------------------------------------------------

def _listed(session: Session, course: Course, user: User, roles: Sequence[str], status: str,
            now: datetime) -> Enrolment:
    """The enrolment a roster (NRPS) shows."""
    enrolment = _ensure(session, Enrolment, {"course_id": course.id, "user_id": user.id},
                        {"roles": list(roles), "source": "nrps", "status": status, "updated_at": now})
    enrolment.source = "nrps" if enrolment.source == "lrs" else enrolment.source  # the roster knows them now
    enrolment.nrps_roles = list(roles)
    enrolment.status, enrolment.updated_at = status, now
    _settle_roles(enrolment)
    return enrolment


def _settle_roles(enrolment: Enrolment) -> None:
    enrolment.roles = effective_roles(enrolment.launch_roles, enrolment.nrps_roles, enrolment.moodle_roles)


def apply_moodle_roles(session: Session, course: Course, by_subject: Mapping[str, Sequence[str]], *,
                       now: datetime) -> int:
    """Store Moodle's course roles (shortnames by Moodle user id = LTI ``sub``) on the course's enrolments and
    settle their roles again. A member Moodle did not list is no longer known to it: their LTI roles decide.
    Returns how many enrolments got Moodle roles."""
    found = 0
    query = select(Enrolment, User.subject).join(User, Enrolment.user_id == User.id).where(
        Enrolment.course_id == course.id)
    for enrolment, subject in session.execute(query).all():
        shortnames = by_subject.get(subject)
        enrolment.moodle_roles = list(shortnames) if shortnames is not None else None
        enrolment.moodle_roles_at = now
        found += shortnames is not None
        _settle_roles(enrolment)
    session.flush()
    return found


def upsert_roster(session: Session, course: Course, roster: Sequence[lti.Member], *, now: datetime) -> int:
    """Store an NRPS roster (NRPS 2.0 §3.6.2); members no longer listed are marked "Deleted"."""
    seen: set[int] = set()
    for member in roster:
        user = _ensure(session, User, {"issuer": course.issuer, "subject": member.user_id},
                       {"created_at": now, "xapi_actor": {"objectType": "Agent", "account": {
                           "homePage": course.issuer, "name": member.user_id}}})
        user.name = member.name or user.name
        user.given_name = member.given_name or user.given_name
        user.family_name = member.family_name or user.family_name
        user.email = member.email or user.email
        seen.add(_listed(session, course, user, member.roles, member.status, now).id)
    for enrolment in session.scalars(select(Enrolment).where(Enrolment.course_id == course.id)):
        if enrolment.id not in seen:
            enrolment.status, enrolment.updated_at = "Deleted", now
    course.roster_synced_at = now
    session.flush()
    return len(seen)


def enrol_seen(session: Session, course: Course, seen: Mapping[str, str | None], *, now: datetime) -> int:
    """Enrol as learners the Moodle users the LRS shows acting in the course (``seen``: Moodle user id = LTI
    ``sub`` → the name on their statements) who neither launched nor came with the roster: Moodle's log store
    reports every learner, whether or not they opened Samattha. Their name is replaced when Moodle gives one
    (a launch, the roster). Returns how many were enrolled."""
    known = set(session.scalars(select(User.subject).join(Enrolment, Enrolment.user_id == User.id)
                                .where(Enrolment.course_id == course.id, User.issuer == course.issuer)))
    added = 0
    for subject, name in seen.items():
        if subject in known:
            continue
        user = _ensure(session, User, {"issuer": course.issuer, "subject": subject},
                       {"created_at": now, "name": name, "xapi_actor": {"objectType": "Agent", "account": {
                           "homePage": course.issuer, "name": subject}}})
        _ensure(session, Enrolment, {"course_id": course.id, "user_id": user.id},
                {"roles": [lti.ROLE_LEARNER], "source": "lrs", "status": "Active", "updated_at": now})
        added += 1
    session.flush()
    return added


def members(session: Session, course: Course) -> list[Enrolment]:
    query = select(Enrolment).join(User, Enrolment.user_id == User.id).where(Enrolment.course_id == course.id)
    return list(session.scalars(query.order_by(User.family_name, User.given_name, User.subject)))


# --- assessors --------------------------------------------------------------------------------------

def _active(course_id: int) -> Any:
    return select(AssessorAppointment).where(AssessorAppointment.course_id == course_id,
                                             AssessorAppointment.revoked_at.is_(None))


def active_assessors(session: Session, course: Course) -> list[AssessorAppointment]:
    return list(session.scalars(_active(course.id).order_by(AssessorAppointment.appointed_at)))


def is_assessor(session: Session, course_id: int, user_id: int) -> bool:
    return session.scalars(_active(course_id).where(AssessorAppointment.user_id == user_id)).first() is not None


def appoint_assessor(session: Session, course: Course, user: User, *, by: User | None,
                     now: datetime) -> AssessorAppointment:
    """Appoint (idempotent: an active appointment is returned as is)."""
    current: AssessorAppointment | None = session.scalars(
        _active(course.id).where(AssessorAppointment.user_id == user.id)).first()
    if current is not None:
        return current
    appointment = AssessorAppointment(course_id=course.id, user_id=user.id, appointed_by_id=by.id if by else None,
                                      appointed_at=now)
    session.add(appointment)
    session.flush()
    return appointment


def _unlifted(course_id: int, user_id: int) -> Any:
    return select(StaffLimit).where(StaffLimit.course_id == course_id, StaffLimit.user_id == user_id,
                                    StaffLimit.lifted_at.is_(None))


def staff_limit(session: Session, course_id: int, user_id: int) -> StaffLimit | None:
    found: StaffLimit | None = session.scalars(_unlifted(course_id, user_id).order_by(StaffLimit.id.desc())).first()
    return found


def staff_limits(session: Session, course: Course) -> dict[int, StaffLimit]:
    """User id → their current limit in the course."""
    query = select(StaffLimit).where(StaffLimit.course_id == course.id, StaffLimit.lifted_at.is_(None))
    return {row.user_id: row for row in session.scalars(query.order_by(StaffLimit.id))}


def set_staff_limit(session: Session, course: Course, user: User, limit: str, *, by: User | None,
                    now: datetime) -> StaffLimit:
    """Limit ``user`` to assessing or viewing. A different current limit is lifted first, so the history reads
    as the coordinators' decisions in order; the same one again changes nothing."""
    if limit not in LIMITS:
        raise ValueError(f"limit: must be one of {', '.join(LIMITS)}")
    current = staff_limit(session, course.id, user.id)
    if current is not None and current.limit == limit:
        return current
    lift_staff_limit(session, course, user.id, by=by, now=now)
    row = StaffLimit(course_id=course.id, user_id=user.id, limit=limit, set_by_id=by.id if by else None, set_at=now)
    session.add(row)
    session.flush()
    return row


def lift_staff_limit(session: Session, course: Course, user_id: int, *, by: User | None, now: datetime) -> bool:
    rows = list(session.scalars(_unlifted(course.id, user_id)))
    for row in rows:
        row.lifted_at, row.lifted_by_id = now, by.id if by else None
    session.flush()
    return bool(rows)


def revoke_assessor(session: Session, course: Course, user_id: int, *, now: datetime) -> bool:
    rows = list(session.scalars(_active(course.id).where(AssessorAppointment.user_id == user_id)))
    for row in rows:
        row.revoked_at = now
    session.flush()
    return bool(rows)
