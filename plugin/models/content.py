"""Content package tables (issue 7): uploaded Tin Can / cmi5 packages and each launch of one.

A package's files live under ``<instance>/packages/<id>/``; the row keeps what launching needs (the
manifest's activities or AUs as plain JSON) so a launch never re-reads the zip. A launch row is one
session of one learner in one AU: its registration and credential tie the statements the content sends
back to the cmi5 rules (plugin.content.cmi5), which keep their progress in the row's flags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.models.base import Base
from plugin.models.lti import Course, User

__all__ = ["ContentLaunch", "ContentPackage"]


class ContentPackage(Base):
    __tablename__ = "content_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "tincan" or "cmi5"
    title: Mapped[str] = mapped_column(Text)
    activity_iri: Mapped[str] = mapped_column(String(2048))  # the Tin Can launch activity or the cmi5 course
    prefix: Mapped[str] = mapped_column(String(1024), default="")  # the single wrapping folder, if any
    # {"items": [{"iri", "title", "url", ...}]}: Tin Can activities with a launch, or cmi5 AUs in order.
    manifest: Mapped[dict[str, Any]] = mapped_column(default=dict)
    file_name: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(Integer, default=0)  # uncompressed bytes
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    course: Mapped[Course] = relationship()


class ContentLaunch(Base):
    __tablename__ = "content_launches"

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("content_packages.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    activity_iri: Mapped[str] = mapped_column(String(2048))  # the AU / activity launched
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    package: Mapped[ContentPackage] = relationship()
    user: Mapped[User] = relationship()
