"""Content package tables (issue 7): uploaded Tin Can / cmi5 packages and each launch of one.

A package's files live under ``<instance>/packages/<id>/``; the row keeps what launching needs (the
manifest's activities or AUs as plain JSON) so a launch never re-reads the zip. A launch row is one
session of one learner in one AU: its registration and credential tie the statements the content sends
back to the cmi5 rules (plugin.content.cmi5), which keep their progress in the row's flags. A satisfaction
row is a cmi5 block or course the LMS declared satisfied in one registration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.models.base import Base
from plugin.models.lti import Course, User

__all__ = ["ContentLaunch", "ContentPackage", "ContentSatisfaction"]


class ContentPackage(Base):
    __tablename__ = "content_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "tincan" or "cmi5"
    title: Mapped[str] = mapped_column(Text)
    # The Tin Can launch activity, or the cmi5 course's publisher id (its statements use manifest["course"]).
    activity_iri: Mapped[str] = mapped_column(String(2048))
    prefix: Mapped[str] = mapped_column(String(1024), default="")  # the single wrapping folder, if any
    # {"items": [{"iri", "title", "url", ...}]}: Tin Can activities with a launch, or cmi5 AUs in order.
    # cmi5 adds the LMS's own ids (cmi5 §8.1.5, §9.4; "iri" stays the publisher's): "activity_id" on each AU,
    # "course": {"iri", "activity_id"}, and "blocks": [{"iri", "activity_id", "title", "aus": [AU iri…]}],
    # inner blocks before the block holding them. Packages stored before migration 0012 have no "blocks".
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)
    file_name: Mapped[str] = mapped_column(Text, default="")
    # Unpacked bytes; 64-bit, since a package may reach the operator's limit (2 GiB by default, and more). SQLite's
    # INTEGER is 64-bit already.
    size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Removed by a coordinator: files gone, row kept so that its id is never given to another package (placed
    # Moodle links name it) and its launches stay on record.
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    course: Mapped[Course] = relationship()


class ContentLaunch(Base):
    __tablename__ = "content_launches"

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("content_packages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The Tin Can activity, or the cmi5 activityId the AU was launched with (the LMS's id for it).
    activity_iri: Mapped[str] = mapped_column(String(2048))
    registration: Mapped[str] = mapped_column(String(36), index=True)
    session_id: Mapped[str] = mapped_column(String(36), unique=True)
    credential_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    fetch_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # cmi5 fetch URL, SHA-256
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    launch_mode: Mapped[str] = mapped_column(String(16), default="Normal")
    move_on: Mapped[str | None] = mapped_column(String(32))
    mastery_score: Mapped[str | None] = mapped_column(String(32))  # decimal text, exact as in cmi5.xml
    initialized: Mapped[bool] = mapped_column(Boolean, default=False)
    terminated: Mapped[bool] = mapped_column(Boolean, default=False)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the AU has read LMS.LaunchData and the learner preferences with this launch's credential: cmi5
    # §10 and §11 want both read before initialized, and only the LMS sees the reads.
    launch_data_read: Mapped[bool] = mapped_column(Boolean, server_default=false())
    preferences_read: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # When the AU's last statement of the session was stored, and when the LMS abandoned the session because the
    # registration was launched again before it terminated (cmi5 §9.3.6; the duration runs from launch to the last).
    last_statement_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    abandoned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # also the launched statement's time
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    package: Mapped[ContentPackage] = relationship()
    user: Mapped[User] = relationship()


class ContentSatisfaction(Base):
    """A cmi5 block or course the LMS sent ``satisfied`` for (cmi5 §9.3.9): once per registration, which the
    unique constraint holds even if two evaluations raced."""

    __tablename__ = "content_satisfactions"
    __table_args__ = (UniqueConstraint("registration", "activity_iri"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("content_packages.id", ondelete="CASCADE"))
    registration: Mapped[str] = mapped_column(String(36))
    activity_iri: Mapped[str] = mapped_column(String(2048))  # the LMS's id of the block or course
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
