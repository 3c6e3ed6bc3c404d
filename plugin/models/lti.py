"""LTI 1.3 tables: who Samattha trusts (platform registrations and their deployments), its own signing
keys, consumed launch nonces, and what launches and the roster tell it (users, courses, resource links,
enrolments), plus Samattha's own assessor appointments and its AGS bookkeeping.

Identity follows LTI Core 1.3 §5.3.6 / §5.4.1 / §5.3.5: a user is (issuer, sub), a course is
(issuer, context.id), a resource link is (issuer, resource_link.id) — never the client_id, because one
Moodle gives every course-level tool its own client_id for the same people and courses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.models.base import Base, JsonData

__all__ = [
    "AgsLineItem", "AgsScoreLog", "AssessorAppointment", "Course", "Deployment", "Enrolment", "LaunchNonce",
    "Platform", "ResourceLink", "SigningKey", "StaffLimit", "User",
]

ID = String(255)  # LTI Core 1.3 caps sub, context.id, resource_link.id and deployment_id at 255 characters


class Platform(Base):
    """One registration of Samattha on a platform (LTI Core 1.3 §3.1.3): an (issuer, client_id) pair."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(ID)  # looked up through the (issuer, client_id) unique index
    client_id: Mapped[str] = mapped_column(ID)
    auth_login_url: Mapped[str] = mapped_column(Text)
    auth_token_url: Mapped[str] = mapped_column(Text)
    key_set_url: Mapped[str] = mapped_column(Text)
    auth_audience: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(16))  # "dynamic" (registration) or "manual" (CLI)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id", lazy="selectin"
    )


class Deployment(Base):
    """A deployment id under a registration (LTI Core 1.3 §3.1.3); Moodle: the tool type id."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(ID)

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class SigningKey(Base):
    """The tool's RSA keys. Newest unretired signs; every unretired key is published in the JWKS."""

    __tablename__ = "tool_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LaunchNonce(Base):
    """Nonces already accepted (Security Framework §5.1.3 step 9); the unique pair makes use single."""

    __tablename__ = "lti_nonces"
    __table_args__ = (UniqueConstraint("issuer", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(ID)
    nonce: Mapped[str] = mapped_column(ID)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class User(Base):
    """A person on a platform. ``xapi_actor`` is the actor Moodle's xAPI log store sends for them:
    ``account {homePage: issuer, name: sub}`` — the join between launches and statements."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(ID)
    subject: Mapped[str] = mapped_column(ID)
    name: Mapped[str | None] = mapped_column(Text)
    given_name: Mapped[str | None] = mapped_column(Text)
    family_name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str | None] = mapped_column(String(35))
    # The page language the person chose with the switch ("th" or "en"); None follows each launch's locale.
    language: Mapped[str | None] = mapped_column(String(2))
    xapi_actor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_launch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def display_name(self) -> str:
        return self.name or " ".join(p for p in (self.given_name, self.family_name) if p) or self.subject


class Course(Base):
    """A platform context (a Moodle course), with the service URLs its launches last carried."""

    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("issuer", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(ID)
    context_id: Mapped[str] = mapped_column(ID)
    title: Mapped[str | None] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(Text)
    # The registration whose client_id services are called with (AGS/NRPS tokens are per client_id).
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("lti_platforms.id", ondelete="SET NULL"), index=True)
    lineitems_url: Mapped[str | None] = mapped_column(Text)
    ags_scopes: Mapped[list[Any]] = mapped_column(default=list)
    memberships_url: Mapped[str | None] = mapped_column(Text)
    roster_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    platform: Mapped[Platform | None] = relationship()


class ResourceLink(Base):
    """A placement of Samattha in a course; ``unit_code`` comes from the deep-linked custom parameters."""

    __tablename__ = "resource_links"
    __table_args__ = (UniqueConstraint("issuer", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(ID)
    resource_link_id: Mapped[str] = mapped_column(ID)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    custom: Mapped[dict[str, Any]] = mapped_column(default=dict)
    unit_code: Mapped[str | None] = mapped_column(String(40))
    lineitem_url: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Enrolment(Base):
    """A user's membership of a course: from a launch, or from the NRPS roster (never launched).

    ``roles`` are the LIS roles Samattha goes by (plugin.launch.staff.effective_roles): what the latest launch
    and roster sent, corrected by Moodle's own course roles when a Web Services token lets Samattha read them.
    What each source said is kept beside it, so the decision can be re-made and explained."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    launch_roles: Mapped[list[Any] | None] = mapped_column(JsonData)  # the latest launch's, None if never
    nrps_roles: Mapped[list[Any] | None] = mapped_column(JsonData)  # the latest roster's, None if never listed
    # Moodle role shortnames from core_enrol_get_enrolled_users, and when they were read; None = not known.
    moodle_roles: Mapped[list[Any] | None] = mapped_column(JsonData)
    moodle_roles_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(16))  # "launch" once they launched, else "nrps"
    status: Mapped[str] = mapped_column(String(16), default="Active")  # NRPS 2.0 §3.6.2 vocabulary
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()


class AssessorAppointment(Base):
    """Moodle sends no assessor role: a coordinator appoints assessors per course here. A row with
    ``revoked_at`` set is history; at most one unrevoked row per (course, user) is kept by the code."""

    __tablename__ = "assessor_appointments"
    __table_args__ = (Index("ix_assessor_appointments_course_user", "course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    appointed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    appointed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class StaffLimit(Base):
    """A coordinator's decision that a member Moodle sends as Instructor does not coordinate here: they assess
    (``limit`` "assess", with an assessor appointment) or only view ("view"). Append-only like appointments: a
    row with ``lifted_at`` set is history; at most one unlifted row per (course, user) is kept by the code."""

    __tablename__ = "staff_limits"
    __table_args__ = (Index("ix_staff_limits_course_user", "course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    limit: Mapped[str] = mapped_column(String(16))  # "assess" or "view"
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    set_by: Mapped[User | None] = relationship(foreign_keys=[set_by_id])


class AgsLineItem(Base):
    """The gradebook line item Samattha posts one unit's grades to in one course (AGS 2.0 §3.2): the grade item
    of the activity the unit was placed as (``kind`` "activity": Moodle made it from the deep-linking
    ``lineItem``), or, for a unit never placed that way, a column Samattha created ("column")."""

    __tablename__ = "ags_line_items"
    __table_args__ = (UniqueConstraint("course_id", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    unit_code: Mapped[str] = mapped_column(String(40))
    lineitem_url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="column")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AgsScoreLog(Base):
    """The last score timestamp sent per line item and user: Moodle refuses one that is not newer."""

    __tablename__ = "ags_score_log"
    __table_args__ = (UniqueConstraint("line_item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_item_id: Mapped[int] = mapped_column(ForeignKey("ags_line_items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_score: Mapped[float | None] = mapped_column(Float)
